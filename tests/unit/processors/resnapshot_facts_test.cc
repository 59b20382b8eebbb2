// --resnapshot hands each firing alert over with the facts that decide its
// future messages (core/firing_alert.h): a historical alert still resolves as
// P4 historical, and a repeating poll goes on with the numbering, so the
// command ids, the run without the resnapshot would have given.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "processors/alerts.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

Change PixPending(Micros created_at) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(1), IntentId(1), "openpix", "pix", "pending", "80.00", created_at));
}

Change LedgerEntry(int n, std::string_view direction, Micros created) {
  return InsertIn("reserve", "ledger_entries",
                  LedgerRow(LedgerEntryId(n), LedgerTxnId(1), "guest_receivable", direction, "100.00", created));
}

std::vector<std::string> CommandIds(const std::vector<Message>& messages) {
  std::vector<std::string> ids;
  for (const Message& m : messages) {
    if (m.topic == Topic::kCommands) ids.push_back(m.json.Str("command_id"));
  }
  return ids;
}

std::vector<const OutMessage*> AlertsIn(const std::vector<OutMessage>& out) {
  std::vector<const OutMessage*> alerts;
  for (const OutMessage& m : out) {
    if (m.topic == Topic::kAlerts) alerts.push_back(&m);
  }
  return alerts;
}

// A fresh state over `rows`, read at `at`, taking `firing` over, as
// `walguard run --resnapshot` builds it.
std::vector<OutMessage> Resnapshot(RuleHarness* fresh, Micros at, const std::vector<Change>& rows,
                                   const std::vector<FiringAlert>& firing) {
  std::vector<OutMessage> out;
  const Lsn cp = 0x26B0000;
  fresh->engine().BeginSnapshot(at);
  for (const Change& row : rows) EXPECT_TRUE(fresh->engine().ApplySnapshotRow(row, &fresh->kv(), &out).ok());
  EXPECT_TRUE(fresh->engine().CarryFiring(firing, cp, &fresh->kv(), RuleHarness::DetectedAt(at), &out).ok());
  EXPECT_TRUE(fresh->engine().FinishSnapshot(cp, &fresh->kv(), RuleHarness::DetectedAt(at), &out).ok());
  return out;
}

std::vector<FiringAlert> FiringOf(RuleHarness* h) {
  std::vector<FiringAlert> firing;
  EXPECT_TRUE(ListFiring(&h->kv(), &firing).ok());
  return firing;
}

TEST(ResnapshotFacts, AHistoricalAlertResolvesAsHistorical) {
  RuleHarness live;
  const std::string fp = Fingerprint("ledger_imbalance", LedgerTxnId(1));
  const Micros old = At(-8 * 24 * 60);
  ASSERT_EQ(live.Run(Txn(At(0), {LedgerEntry(1, "debit", old)})).size(), 1u);
  const std::vector<FiringAlert> firing = FiringOf(&live);
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_TRUE(firing[0].historical);
  EXPECT_FALSE(firing[0].repeat.has_value()) << "a historical alert issues no command";

  // Balanced while walguard was away: the snapshot resolves it, as what it fired as.
  RuleHarness fresh;
  const std::vector<OutMessage> out =
      Resnapshot(&fresh, At(60), {LedgerEntry(1, "debit", old), LedgerEntry(2, "credit", At(30))}, firing);
  const std::vector<Message> messages = fresh.Accept(out, At(60), 0x26B0000);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].json.Str("state"), "resolved");
  EXPECT_EQ(messages[0].json.Str("alert_id"), firing[0].alert_id);
  EXPECT_EQ(messages[0].json.Str("severity"), "P4");
  EXPECT_EQ(messages[0].json.Str("historical"), "true");
}

TEST(ResnapshotFacts, AHistoricalAlertStillTrueStaysHistorical) {
  RuleHarness live;
  const Micros old = At(-8 * 24 * 60);
  ASSERT_EQ(live.Run(Txn(At(0), {LedgerEntry(1, "debit", old)})).size(), 1u);
  RuleHarness fresh;
  EXPECT_TRUE(AlertsIn(Resnapshot(&fresh, At(60), {LedgerEntry(1, "debit", old)}, FiringOf(&live))).empty());
  EXPECT_EQ(FiringOf(&fresh), FiringOf(&live));
}

// pix_pending fires at 30:01 (base); repeat n is due at 30:01 + n * 5 min.
class ResnapshotRepeats : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<Message> fired = live_.Run(Txn(At(0), {PixPending(At(0))}));
    ASSERT_TRUE(fired.empty());
    ASSERT_EQ(CommandIds(live_.Run(Clock(At(30, 1)))).size(), 1u);  // fires, polls once
    ASSERT_EQ(CommandIds(live_.Run(Clock(At(36)))).size(), 1u);     // repeat 1 (due 35:01)
    firing_ = FiringOf(&live_);
    ASSERT_EQ(firing_.size(), 1u);
    ASSERT_TRUE(firing_[0].repeat.has_value());
    EXPECT_EQ(firing_[0].repeat->deadline, At(40, 1)) << "repeat 2 is next";
    EXPECT_EQ(firing_[0].repeat->base, At(30, 1));
  }

  RuleHarness live_;
  RuleHarness fresh_;
  std::vector<FiringAlert> firing_;
};

TEST_F(ResnapshotRepeats, ATimerStillAheadFiresWhenDueWithTheSameId) {
  EXPECT_TRUE(AlertsIn(Resnapshot(&fresh_, At(38), {PixPending(At(0))}, firing_)).empty());
  EXPECT_EQ(FiringOf(&fresh_), firing_) << "the same alert, mark and timer";
  EXPECT_TRUE(CommandIds(fresh_.Run(Clock(At(40)))).empty());
  const std::vector<std::string> ids = CommandIds(fresh_.Run(Clock(At(41))));
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids, CommandIds(live_.Run(Clock(At(41)))));
}

TEST_F(ResnapshotRepeats, ATimerThatPassedFiresAtTheNextTickNumberedAsAGapWould) {
  // Down from 36:00 to 52:00: repeats 2 and 3 were due meanwhile.
  EXPECT_TRUE(AlertsIn(Resnapshot(&fresh_, At(52), {PixPending(At(0))}, firing_)).empty());
  const std::vector<std::string> ids = CommandIds(fresh_.Run(Clock(At(53))));
  ASSERT_EQ(ids.size(), 1u) << "one repeat for the gap, not one per interval";
  EXPECT_EQ(ids, CommandIds(live_.Run(Clock(At(53)))));                                    // repeat 4
  EXPECT_EQ(CommandIds(fresh_.Run(Clock(At(56)))), CommandIds(live_.Run(Clock(At(56)))));  // repeat 5 (55:01)
}

TEST_F(ResnapshotRepeats, AnAlertTheSnapshotResolvesKeepsNoTimer) {
  Change paid = PixPending(At(0));
  for (Datum& d : paid.columns) {
    if (d.name == "status") d.text = "canceled";
  }
  const std::vector<OutMessage> out = Resnapshot(&fresh_, At(38), {paid}, firing_);
  const std::vector<Message> messages = fresh_.Accept(out, At(38), 0x26B0000);
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages[0].json.Str("state"), "resolved");
  EXPECT_EQ(messages[0].json.Str("alert_id"), firing_[0].alert_id);
  std::string next;
  EXPECT_TRUE(ScanPrefix(&fresh_.kv(), "E", [&](std::string_view key, std::string_view) {
                next = std::string(key);
                return false;
              }).ok());
  EXPECT_EQ(next, "") << "no repeat timer restored for a resolved alert";
  EXPECT_TRUE(CommandIds(fresh_.Run(Clock(At(60)))).empty());
}

}  // namespace
}  // namespace walguard::rule_test

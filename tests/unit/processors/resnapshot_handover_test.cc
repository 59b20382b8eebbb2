// --resnapshot rebuilds the state from a fresh snapshot. Consumers must not
// see the alerts the old state published fired again with new ids: the old
// firing set is handed over, continued where still true and resolved with
// its old id where not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "processors/alerts.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::UnorderedElementsAre;

Change Pay(int n, std::string_view status, Micros created_at) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(n), IntentId(n), "stripe", "card", status, "80.00", created_at, std::nullopt));
}

// "<state> <fingerprint> <alert_id>" of every alert message.
std::vector<std::string> Alerts(const std::vector<OutMessage>& out) {
  std::vector<std::string> got;
  for (const OutMessage& m : out) {
    if (m.topic != Topic::kAlerts) continue;
    auto field = [&](const std::string& name) {
      const size_t at = m.payload.find("\"" + name + "\":\"");
      if (at == std::string::npos) return std::string("?");
      const size_t from = at + name.size() + 4;
      return m.payload.substr(from, m.payload.find('"', from) - from);
    };
    got.push_back(field("state") + " " + m.key + " " + field("alert_id"));
  }
  return got;
}

TEST(ResnapshotHandover, StillTrueContinuesSilentlyAndGoneResolvesWithTheOldId) {
  RuleHarness h;
  const std::string still = Fingerprint("stuck_payment", PaymentId(2));
  const std::string fixed = Fingerprint("stuck_payment", PaymentId(5));
  const std::string deleted = Fingerprint("stuck_payment", PaymentId(6));
  const std::string disabled = "rule_disabled:rule:stuck_payment";
  const std::string lag = "replication_lag:slot:walguard";
  const std::vector<FiringAlert> handover = {{still, "old-still"},
                                             {fixed, "old-fixed"},
                                             {deleted, "old-deleted"},
                                             {disabled, "old-disabled"},
                                             {lag, "old-lag"}};

  std::vector<OutMessage> out;
  h.engine().BeginSnapshot(At(30));
  for (const Change& row : {Pay(2, "processing", At(-61)), Pay(5, "failed", At(-70)), Pay(7, "processing", At(-90))}) {
    ASSERT_TRUE(h.engine().ApplySnapshotRow(row, &h.kv(), &out).ok());
  }
  const Lsn cp = 0x16B0000;
  ASSERT_TRUE(h.engine().CarryFiring(handover, cp, &h.kv(), RuleHarness::DetectedAt(At(30)), &out).ok());
  ASSERT_TRUE(h.engine().FinishSnapshot(cp, &h.kv(), RuleHarness::DetectedAt(At(30)), &out).ok());

  // Payment 7 is new: it fires with a fresh id. Payment 2 is still stuck: no
  // message. 5 was fixed and 6 deleted while walguard was away, and every
  // rule reads a repaired schema again: resolved, each with its old id.
  std::vector<std::string> alerts = Alerts(out);
  ASSERT_EQ(alerts.size(), 4u) << ::testing::PrintToString(alerts);
  EXPECT_THAT(alerts,
              ::testing::IsSupersetOf({"resolved " + fixed + " old-fixed", "resolved " + deleted + " old-deleted",
                                       "resolved " + disabled + " old-disabled"}));
  EXPECT_NE(std::find_if(alerts.begin(), alerts.end(),
                         [&](const std::string& a) {
                           return a.rfind("firing " + Fingerprint("stuck_payment", PaymentId(7)), 0) == 0;
                         }),
            alerts.end());

  std::vector<FiringAlert> firing;
  ASSERT_TRUE(ListFiring(&h.kv(), &firing).ok());
  std::vector<std::string> now;
  for (const FiringAlert& a : firing) {
    if (a.fingerprint != Fingerprint("stuck_payment", PaymentId(7))) now.push_back(a.fingerprint + " " + a.alert_id);
  }
  // replication_lag is walguard's own: its next check decides.
  EXPECT_THAT(now, UnorderedElementsAre(still + " old-still", lag + " old-lag"));
}

}  // namespace
}  // namespace walguard::rule_test

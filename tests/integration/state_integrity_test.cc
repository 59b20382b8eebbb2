// A damaged state, end to end: for each damage an operator meets (bytes
// overwritten in a table file, one truncated, one deleted, CURRENT deleted,
// the MANIFEST garbled, a format version from the future), a plain start
// exits 2 naming the damage and `walguard run --resnapshot`, every time, and
// never streams (the slot's confirmed_flush_lsn stays where it was). Then
// --resnapshot recovers: the damaged database is kept aside, every alert
// firing before the damage continues under its old id (still true) or
// resolves under it (fixed while walguard was down), and a new fault fires.
// Also: the alerts' hand-over facts survive a --resnapshot (an old incident
// reported as historical still resolves as P4 historical; a PIX poll goes on
// repeating with the numbering of a run without the resnapshot).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/crash_checks.h"
#include "tests/integration/environment.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "tests/unit/state/state_damage.h"
#include "util/hash.h"
#include "util/time.h"

namespace walguard::testing {
namespace {

using std::chrono::seconds;

constexpr int kTiers = 6;
const std::string kEvent = "e0000000-0000-4000-8000-000000000001";

std::string TierId(int i) {
  char id[40];
  std::snprintf(id, sizeof(id), "7e000000-0000-4000-8000-%012d", i);
  return id;
}

std::string Fingerprint(int tier) {
  return "tier_reserved_drift:tier:" + TierId(tier);
}

std::string SetReserved(int tier, int reserved) {
  return "UPDATE ticketing.ticket_tiers SET reserved_quantity = " + std::to_string(reserved) + " WHERE id = '" +
         TierId(tier) + "'";
}

std::string HealthyTiers() {
  std::string sql = "INSERT INTO ticketing.events (id, title) VALUES ('" + kEvent + "', 'x');";
  for (int i = 1; i <= kTiers; ++i) {
    sql += "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity) VALUES ('" + TierId(i) +
           "', '" + kEvent + "', 'T" + std::to_string(i) + "', 1000, 1000);";
  }
  return sql;
}

std::string ConfirmedFlush(WalguardHarness* h) {
  std::string lsn;
  Status s =
      h->Sql("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + h->slot() + "'", &lsn);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return lsn;
}

std::vector<std::string> DamagedDirs(const std::string& state_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(state_dir)) {
    if (e.path().filename().string().starts_with("damaged-")) out.push_back(e.path().string());
  }
  return out;
}

class StateIntegrityTest : public ::testing::TestWithParam<StateDamage> {};

TEST_P(StateIntegrityTest, APlainStartRefusesAndResnapshotContinuesTheAlerts) {
  const StateDamage damage = GetParam();
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(HealthyTiers()));
  ASSERT_OK(h.StartWalguard());
  for (int tier = 1; tier <= 4; ++tier) ASSERT_OK(h.Sql(SetReserved(tier, 3)));
  ASSERT_EQ(h.WaitFor("tier_reserved_drift", "firing", 4).size(), 4u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  const std::map<std::string, Published> before = h.FiringSet();
  ASSERT_EQ(h.StopWalguard(), 0);
  // A second start turns the state's log into a table file, as any long run does.
  ASSERT_OK(h.StartWalguard());
  ASSERT_EQ(h.StopWalguard(), 0);

  // While walguard is down: tier 1 is fixed, tier 5 breaks, and the state is damaged.
  ASSERT_OK(h.Sql(SetReserved(1, 0)));
  ASSERT_OK(h.Sql(SetReserved(5, 2)));
  const std::string confirmed = ConfirmedFlush(&h);
  ASSERT_OK(DamageState(h.state_dir(), damage));

  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_OK(h.LaunchWalguard({}));
    EXPECT_EQ(h.WaitWalguardExit(seconds(30)), 2) << "attempt " << attempt << ":\n" << h.WalguardLogSinceStart();
    const std::string log = h.WalguardLogSinceStart();
    EXPECT_NE(log.find(StateDamageWords(damage)), std::string::npos) << log;
    EXPECT_NE(log.find("walguard run --resnapshot"), std::string::npos) << log;
    EXPECT_EQ(log.find("streaming from slot"), std::string::npos) << log;
    EXPECT_EQ(ConfirmedFlush(&h), confirmed) << "a refused start moved the slot";
  }

  ASSERT_OK(h.LaunchWalguard({"--resnapshot"}));
  ASSERT_OK(h.WaitStreaming(seconds(60)));
  ASSERT_OK(h.CatchUp());
  // Another format version is whole: rebuilt in place. Every damage is kept aside.
  if (damage != StateDamage::kFutureFormat) {
    const std::vector<std::string> aside = DamagedDirs(h.state_dir());
    ASSERT_EQ(aside.size(), 1u) << h.WalguardLog();
    EXPECT_TRUE(std::filesystem::exists(aside[0] + "/firing.wgh"));
    EXPECT_NE(h.WalguardLogSinceStart().find("moved the damaged database aside into " + aside[0]), std::string::npos);
  }

  const std::map<std::string, Published> after = h.FiringSet();
  // Fixed while down: resolved under the id consumers saw firing.
  EXPECT_EQ(after.count(Fingerprint(1)), 0u) << History(h.All(), Fingerprint(1));
  const std::vector<Published> resolved = h.WaitFor("tier_reserved_drift", "resolved", 1);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].alert_id, before.at(Fingerprint(1)).alert_id);
  // Still true: continued under the old id, not fired again.
  for (int tier = 2; tier <= 4; ++tier) {
    ASSERT_EQ(after.count(Fingerprint(tier)), 1u) << tier;
    EXPECT_EQ(after.at(Fingerprint(tier)).alert_id, before.at(Fingerprint(tier)).alert_id) << tier;
  }
  // New: fired by the snapshot.
  ASSERT_EQ(after.count(Fingerprint(5)), 1u) << h.WalguardLog();
  EXPECT_EQ(after.at(Fingerprint(5)).state, "firing");
  const std::vector<Published> all = h.All();
  StreamSummary summary;
  EXPECT_EQ(CheckPublished(all, &summary), "");
  EXPECT_EQ(summary.firings, 5u) << "every firing published exactly once";
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

INSTANTIATE_TEST_SUITE_P(EachDamage, StateIntegrityTest, ::testing::ValuesIn(kAllStateDamages),
                         [](const ::testing::TestParamInfo<StateDamage>& info) { return StateDamageName(info.param); });

std::string ReserveSchema() {
  std::ifstream in(std::string(WALGUARD_SOURCE_DIR) + "/sql/reserve_schema.sql");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An old ledger imbalance (reported as historical) and a PIX payment pending
// for 40 minutes (pix_pending, whose poll_payment_status repeats).
constexpr const char* kOldAndRepeating = R"SQL(
INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount, created_at) VALUES
 ('1f000000-0000-4000-8000-000000000001', 'cash', 'debit', 100.10, now() - interval '60 days'),
 ('1f000000-0000-4000-8000-000000000001', 'revenue', 'credit', 100.00, now() - interval '60 days');
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at) VALUES
 ('9e000000-0000-4000-8000-000000000001', 'be000000-0000-4000-8000-000000000001', 'openpix', 'pix', 'pending', 80.00,
  now() - interval '40 minutes');
)SQL";
constexpr Micros kRepeatInterval = 3 * kMicrosPerSecond;

// The repeat number n of a poll_payment_status caused by `alert_id`, from
// its command_id (command_repeats.h); -1 when it is none of the first 1000.
int RepeatNumber(const std::string& alert_id, const std::string& command_id) {
  for (int n = 0; n < 1000; ++n) {
    const std::string source = alert_id + "/poll_payment_status" + (n == 0 ? "" : "/" + std::to_string(n));
    if (StableUuid(source) == command_id) return n;
  }
  return -1;
}

// The repeat numbers of the polls caused by `alert_id` published so far, in order.
std::vector<int> Polls(WalguardHarness* h, const std::string& alert_id) {
  std::vector<int> out;
  for (const Published& p : h->All()) {
    if (p.topic == "walguard.commands" && p.caused_by == alert_id) out.push_back(RepeatNumber(alert_id, p.command_id));
  }
  return out;
}

// Waits (on the WAL clock's heartbeats) until `count` polls were published.
std::vector<int> WaitPolls(WalguardHarness* h, const std::string& alert_id, size_t count) {
  std::vector<int> polls;
  for (int i = 0; i < 60 && polls.size() < count; ++i) {  // bounded: 30 s
    polls = Polls(h, alert_id);
    if (polls.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return polls;
}

TEST(StateIntegrityHandover, AHistoricalAlertAndARepeatingPollSurviveAResnapshot) {
  // Heartbeats move the WAL clock every second, so repeats go out on time.
  const std::string config = "[postgres]\nheartbeat_interval_s = 1\n[rules.alerts]\nrepeat_seconds = 3\n";
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(ReserveSchema()));
  ASSERT_OK(h.Sql(kOldAndRepeating));
  ASSERT_OK(h.StartWalguard(config));
  const std::vector<Published> old = h.WaitFor("ledger_imbalance", "firing", 1);
  ASSERT_EQ(old.size(), 1u) << h.WalguardLog();
  ASSERT_NE(old[0].payload.find(R"("historical":true)"), std::string::npos) << old[0].payload;
  const std::vector<Published> pix = h.WaitFor("pix_pending", "firing", 1);
  ASSERT_EQ(pix.size(), 1u) << h.WalguardLog();
  const std::string pix_id = pix[0].alert_id;
  Micros base = 0;  // the WAL clock it fired at: repeat n is due at base + n * 3 s
  ASSERT_TRUE(ParseTimestamp(pix[0].commit_time, &base)) << pix[0].commit_time;
  const std::vector<int> first = WaitPolls(&h, pix_id, 3);
  ASSERT_GE(first.size(), 3u) << h.WalguardLog();
  EXPECT_EQ(std::vector<int>(first.begin(), first.begin() + 3), (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(h.StopWalguard(), 0);
  const size_t polls_before = Polls(&h, pix_id).size();

  // Down for more than an interval: the next repeat's deadline passes meanwhile.
  std::this_thread::sleep_for(std::chrono::microseconds(kRepeatInterval + kMicrosPerSecond));
  const Micros launched = WallClockNow();
  ASSERT_OK(h.LaunchWalguard({"--resnapshot"}, config));
  ASSERT_OK(h.WaitStreaming(seconds(60)));
  const std::vector<int> polls = WaitPolls(&h, pix_id, polls_before + 2);
  const Micros seen = WallClockNow();
  ASSERT_EQ(polls.size(), polls_before + 2) << h.WalguardLogSinceStart();
  // Numbered by the intervals elapsed since the alert fired, as the run
  // without the resnapshot would have: not from 1 again, and not stopped.
  const int next = polls[polls_before];
  EXPECT_GE(next, static_cast<int>((launched - base) / kRepeatInterval)) << ::testing::PrintToString(polls);
  EXPECT_LE(next, static_cast<int>((seen - base) / kRepeatInterval)) << ::testing::PrintToString(polls);
  EXPECT_EQ(polls[polls_before + 1], next + 1) << ::testing::PrintToString(polls);

  // Both continued under their ids, and the old incident resolves as it fired: P4, historical.
  const std::map<std::string, Published> after = h.FiringSet();
  ASSERT_EQ(after.count(old[0].fingerprint), 1u);
  EXPECT_EQ(after.at(old[0].fingerprint).alert_id, old[0].alert_id);
  ASSERT_EQ(after.count(pix[0].fingerprint), 1u);
  EXPECT_EQ(after.at(pix[0].fingerprint).alert_id, pix_id);
  ASSERT_OK(
      h.Sql("INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount, created_at) VALUES "
            "('1f000000-0000-4000-8000-000000000001', 'revenue', 'credit', 0.10, now() - interval '60 days')"));
  const std::vector<Published> resolved = h.WaitFor("ledger_imbalance", "resolved", 1);
  ASSERT_EQ(resolved.size(), 1u) << h.WalguardLogSinceStart();
  EXPECT_EQ(resolved[0].alert_id, old[0].alert_id);
  EXPECT_NE(resolved[0].payload.find(R"("severity":"P4")"), std::string::npos) << resolved[0].payload;
  EXPECT_NE(resolved[0].payload.find(R"("historical":true)"), std::string::npos) << resolved[0].payload;
  // Never fired a second time. (CheckPublished knows only the first command's id, not the repeats'.)
  std::map<std::string, int> firings;
  for (const Published& p : h.All()) firings[p.fingerprint] += p.state == "firing" ? 1 : 0;
  EXPECT_EQ(firings[old[0].fingerprint], 1);
  EXPECT_EQ(firings[pix[0].fingerprint], 1);
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

}  // namespace
}  // namespace walguard::testing

// A damaged state, end to end: for each damage an operator meets (bytes
// overwritten in a table file, one truncated, one deleted, CURRENT deleted,
// the MANIFEST garbled, a format version from the future), a plain start
// exits 2 naming the damage and `walguard run --resnapshot`, every time, and
// never streams (the slot's confirmed_flush_lsn stays where it was). Then
// --resnapshot recovers: the damaged database is kept aside, every alert
// firing before the damage continues under its old id (still true) or
// resolves under it (fixed while walguard was down), and a new fault fires.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
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

}  // namespace
}  // namespace walguard::testing

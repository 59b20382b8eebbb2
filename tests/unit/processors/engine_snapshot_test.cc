// A snapshot's entities wait in the state, not in memory, and are evaluated
// in rounds the caller may commit between (Engine::FinishSnapshot): the
// memory of a bootstrap does not grow with the database.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/key_layout.h"
#include "processors/engine.h"
#include "tests/support/memory_kv.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::IsEmpty;

// Keys under keys::kPartialDirty: the entities kept for FinishSnapshot.
size_t KeptEntities(MemoryKv* kv) {
  size_t n = 0;
  EXPECT_TRUE(ScanPrefix(kv, std::string(keys::kPartialDirty), [&](std::string_view, std::string_view) {
                ++n;
                return true;
              }).ok());
  return n;
}

// Tiers with a stuck hold each: every tier fires stuck_holds at the end of
// the snapshot, and not before.
std::vector<Change> StuckTiers(int tiers) {
  std::vector<Change> rows;
  for (int i = 1; i <= tiers; ++i) {
    rows.push_back(Insert("ticket_holds", HoldRow(HoldId(i), TierId(i), 5, "active", At(10))));
    rows.push_back(Insert("ticket_tiers", TierRow(TierId(i), EventId(1), 100, 5, 0)));
  }
  return rows;
}

size_t FiringStuckHolds(const std::vector<Message>& messages) {
  size_t n = 0;
  for (const Message& m : messages) n += m.topic == Topic::kAlerts && m.json.Str("type") == "stuck_holds";
  return n;
}

TEST(EngineSnapshot, TouchedEntitiesWaitInTheStateAndAreEvaluatedInRoundsWithCommitsBetween) {
  constexpr int kTiers = 5000;  // more than one evaluation round (4,096 entities)
  RuleHarness h;
  std::vector<OutMessage> out;
  h.engine().BeginSnapshot(At(30));
  for (const Change& row : StuckTiers(kTiers)) ASSERT_TRUE(h.engine().ApplySnapshotRow(row, &h.kv(), &out).ok());
  EXPECT_TRUE(out.empty());
  // Each tier: held as a key of the state, not by the engine.
  EXPECT_EQ(KeptEntities(&h.kv()), static_cast<size_t>(kTiers));

  int rounds = 0;
  size_t emitted_before_last_round = 0;
  const Lsn consistent_point = 0x16B0000;
  ASSERT_TRUE(h.engine()
                  .FinishSnapshot(consistent_point, &h.kv(), RuleHarness::DetectedAt(At(30)), &out, nullptr,
                                  [&] {
                                    ++rounds;
                                    if (rounds == 1) emitted_before_last_round = out.size();
                                    return Status::OK();
                                  })
                  .ok());
  EXPECT_EQ(rounds, 2);
  // The first round evaluated a part of the tiers, the second the rest.
  EXPECT_GT(emitted_before_last_round, 0u);
  EXPECT_LT(emitted_before_last_round, out.size());
  std::vector<Message> messages = h.Accept(std::move(out), At(30), consistent_point);
  EXPECT_EQ(FiringStuckHolds(messages), static_cast<size_t>(kTiers));
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineSnapshot, RoundsFireWhatOneEvaluationFires) {
  // Without a commit between rounds (the tests' harness), the same alerts as
  // a snapshot small enough for one round, tier for tier.
  for (int tiers : {3, 4097}) {
    RuleHarness h;
    std::vector<OutMessage> out;
    h.engine().BeginSnapshot(At(30));
    for (const Change& row : StuckTiers(tiers)) ASSERT_TRUE(h.engine().ApplySnapshotRow(row, &h.kv(), &out).ok());
    ASSERT_TRUE(h.engine().FinishSnapshot(0x16B0000, &h.kv(), RuleHarness::DetectedAt(At(30)), &out).ok());
    std::vector<Message> messages = h.Accept(std::move(out), At(30), 0x16B0000);
    EXPECT_EQ(FiringStuckHolds(messages), static_cast<size_t>(tiers)) << tiers << " tiers";
    EXPECT_THAT(h.violations(), IsEmpty());
  }
}

}  // namespace
}  // namespace walguard::rule_test

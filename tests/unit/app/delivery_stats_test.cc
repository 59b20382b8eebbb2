#include "app/delivery_stats.h"

#include <gtest/gtest.h>

namespace walguard {
namespace {

OutboxEntry Alert(uint64_t seq, const std::string& fingerprint, const std::string& state) {
  return {seq, Topic::kAlerts, fingerprint,
          R"({"alert_id":"a","fingerprint":")" + fingerprint + R"(","type":"stuck_holds","severity":"P3","state":")" +
              state + R"(","lsn":"0/1","commit_time":"2026-11-21T16:00:00.000000Z","details":{"state":"x"}})"};
}

TEST(DeliveryStats, CountsOnDeliveryAndMeasuresFromCommitTime) {
  Micros commit = 0;
  ASSERT_TRUE(ParseTimestamp("2026-11-21T16:00:00Z", &commit));
  DeliveryStats stats;
  stats.OnSent(Alert(1, "stuck_holds:tier:t1", "firing"));
  stats.OnSent(OutboxEntry{2, Topic::kCommands, "stuck_holds:tier:t1", R"({"command_id":"c"})"});
  EXPECT_TRUE(stats.figures().fired_by_type.empty());  // sent is not delivered
  stats.OnDelivered({1, 2}, commit + 250'000);
  const DeliveryFigures& f = stats.figures();
  EXPECT_EQ(f.fired_by_type.at("stuck_holds"), 1u);
  EXPECT_EQ(f.delivered_by_topic.at("alerts"), 1u);
  EXPECT_EQ(f.delivered_by_topic.at("commands"), 1u);
  EXPECT_EQ(f.commit_to_publish.count, 1u);
  EXPECT_DOUBLE_EQ(f.commit_to_publish.sum, 0.25);
  EXPECT_EQ(f.firing_since.at("stuck_holds:tier:t1"), commit);

  stats.OnSent(Alert(3, "stuck_holds:tier:t1", "resolved"));
  stats.OnDelivered({3, 99}, commit + kMicrosPerSecond);  // 99: never sent here, ignored
  EXPECT_EQ(f.resolved_by_type.at("stuck_holds"), 1u);
  EXPECT_TRUE(f.firing_since.empty());
  EXPECT_EQ(f.commit_to_publish.count, 2u);
}

}  // namespace
}  // namespace walguard

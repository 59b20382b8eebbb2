// state_disk_low: fires below the threshold, resolves only above it plus a
// quarter (no flapping at the threshold), one message per change, same id.
#include "processors/state_disk_low.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/memory_kv.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

class StateDiskLowTest : public testing::Test {
 protected:
  // One look at a disk with `free_mib` free; returns the messages staged.
  std::vector<OutMessage> Look(uint64_t free_mib) {
    DiskSample sample;
    sample.state_dir = "/var/lib/walguard";
    sample.mount_point = "/var/lib";
    sample.free_bytes = free_mib << 20;
    sample.total_bytes = uint64_t{100} << 20;
    sample.threshold_bytes = uint64_t{8} << 20;
    sample.local_now = now_ += kMicrosPerSecond;
    sample.wal_clock = now_;
    std::vector<OutMessage> out;
    Status s = ReconcileStateDiskLow(sample, 0x1000, &kv_, now_, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  MemoryKv kv_;
  Micros now_ = 1'700'000'000 * kMicrosPerSecond;
};

TEST_F(StateDiskLowTest, FiresBelowAndResolvesAboveTheMargin) {
  EXPECT_TRUE(Look(50).empty());
  EXPECT_TRUE(Look(9).empty());
  const std::vector<OutMessage> fired = Look(7);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_THAT(fired[0].payload, HasSubstr("\"state\":\"firing\""));
  EXPECT_THAT(fired[0].payload, HasSubstr("\"type\":\"state_disk_low\""));
  EXPECT_THAT(fired[0].payload, HasSubstr("/var/lib/walguard"));
  EXPECT_TRUE(Look(6).empty()) << "still firing: no second message";
  EXPECT_TRUE(Look(9).empty()) << "above the threshold but within the margin: no flap";
  EXPECT_TRUE(Look(10).empty()) << "exactly the resolve bound: still firing";
  const std::vector<OutMessage> resolved = Look(11);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_THAT(resolved[0].payload, HasSubstr("\"state\":\"resolved\""));
  EXPECT_EQ(fired[0].key, resolved[0].key);
  EXPECT_TRUE(Look(50).empty());
}

TEST_F(StateDiskLowTest, TheResolveBoundIsTheThresholdPlusAQuarter) {
  EXPECT_EQ(DiskLowResolveBytes(8 << 20), uint64_t{10} << 20);
  EXPECT_EQ(DiskLowResolveBytes(0), 0u);
}

}  // namespace
}  // namespace walguard

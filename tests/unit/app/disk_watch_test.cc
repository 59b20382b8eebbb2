// DiskWatch::GiveBackIfLow: below the threshold the state's memtables are
// flushed before the sample counts (the log's history is not the state's
// size); above it nothing is flushed.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "app/disk_wait.h"
#include "config/config.h"
#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

constexpr Micros kT0 = 1'700'000'000'000'000;

class DiskWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.state_dir = dir_.path() + "/state";
    ASSERT_OK(StateStore::Open(config_.state_dir, &store_));
  }

  // Enough writes that the memtables hold more than kGiveBackBytes.
  void Write() {
    std::unique_ptr<StateBatch> batch = store_->NewBatch();
    const std::string value(4096, 'v');
    for (int i = 0; i < 1024; ++i) batch->Put("r" + std::to_string(i), value);
    ASSERT_OK(store_->Commit(batch.get(), /*sync=*/false));
    ASSERT_GE(store_->UnflushedBytes(), DiskWatch::kGiveBackBytes);
  }

  TempDir dir_;
  Config config_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(DiskWatchTest, BelowTheThresholdTheStateIsFlushedFirst) {
  config_.state.disk_low_bytes = INT64_MAX;  // every disk is low
  Write();
  DiskWatch watch(config_, 1);
  ASSERT_TRUE(watch.Tick(kT0));
  watch.GiveBackIfLow(store_.get(), kT0);
  EXPECT_LT(store_->UnflushedBytes(), DiskWatch::kGiveBackBytes);
  const DiskSample sample = watch.Sample(0);
  EXPECT_EQ(sample.local_now, kT0);
  EXPECT_GT(sample.total_bytes, 0u);
}

TEST_F(DiskWatchTest, AboveTheThresholdNothingIsFlushed) {
  config_.state.disk_low_bytes = 1;  // no disk is low
  Write();
  const uint64_t before = store_->UnflushedBytes();
  DiskWatch watch(config_, 1);
  ASSERT_TRUE(watch.Tick(kT0));
  watch.GiveBackIfLow(store_.get(), kT0);
  EXPECT_EQ(store_->UnflushedBytes(), before);
}

}  // namespace
}  // namespace walguard

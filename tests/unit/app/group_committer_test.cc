// GroupCommitter: when the loop commits (no window waited out between
// transactions, the limits still cap a group) and the commit -> publish
// latency it measures from the sink's delivery reports.
#include "app/group_committer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/outlet.h"
#include "app/pipeline_metrics.h"
#include "config/config.h"
#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

constexpr Micros kT0 = 1'700'000'000'000'000;
constexpr int kIdleMs = 100;

class GroupCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(StateStore::Open(dir_.path() + "/state", &store_));
    config_.sink = "jsonl";
    config_.jsonl_path = dir_.path() + "/out.jsonl";
    outlet_ = std::make_unique<Outlet>(config_, store_.get());
    ASSERT_OK(outlet_->Open());
    committer_ =
        std::make_unique<GroupCommitter>(BatchLimits{.max_transactions = 3, .max_ms = 50}, store_.get(), outlet_.get());
  }

  void Stage(int messages, Micros commit_time) {
    const size_t first = committer_->out()->size();
    for (int i = 0; i < messages; ++i) {
      committer_->out()->push_back({Topic::kAlerts, "k" + std::to_string(first + i), "{}"});
    }
    committer_->CountTransaction(commit_time, first);
  }

  Status CommitAndPublish() {
    WG_RETURN_IF_ERROR(committer_->Commit(Checkpoint{}));
    return committer_->PublishCommitted();
  }

  TempDir dir_;
  Config config_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Outlet> outlet_;
  std::unique_ptr<GroupCommitter> committer_;
};

TEST_F(GroupCommitterTest, WithoutABatchTheLoopWaitsTheIdleTime) {
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, kT0, false), kIdleMs);
  EXPECT_FALSE(committer_->CommitDue(kT0, /*drained=*/true, false));
}

TEST_F(GroupCommitterTest, BetweenTransactionsTheBatchCommitsOnceTheSocketIsDrained) {
  ASSERT_TRUE(committer_->Open(kT0));
  Stage(0, kT0);
  // Only what is already readable joins the group: no wait at all.
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, kT0 + 1'000, false), 0);
  EXPECT_FALSE(committer_->CommitDue(kT0 + 1'000, /*drained=*/false, false));
  EXPECT_TRUE(committer_->CommitDue(kT0 + 1'000, /*drained=*/true, false));
}

TEST_F(GroupCommitterTest, MidTransactionTheLoopWaitsForTheRestUpToTheWindow) {
  ASSERT_TRUE(committer_->Open(kT0));
  Stage(0, kT0);
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, kT0 + 10'000, true), 40);
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, kT0 + 49'500, true), 1);  // rounded up: never a spin
  EXPECT_FALSE(committer_->CommitDue(kT0 + 10'000, /*drained=*/true, true));
  // Window over: the group commits even with a transaction half read.
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, kT0 + 60'000, true), 0);
  EXPECT_TRUE(committer_->CommitDue(kT0 + 60'000, /*drained=*/false, true));
}

TEST_F(GroupCommitterTest, TheCountLimitStillCapsAGroupUnderLoad) {
  ASSERT_TRUE(committer_->Open(kT0));
  Stage(0, kT0);
  Stage(0, kT0);
  EXPECT_FALSE(committer_->CommitDue(kT0, /*drained=*/false, false));
  Stage(0, kT0);
  EXPECT_TRUE(committer_->CommitDue(kT0, /*drained=*/false, false));
}

TEST_F(GroupCommitterTest, CommitToPublishIsMeasuredPerTransactionAtItsLastMessagesDelivery) {
  LatencyHistogram histogram;
  ASSERT_TRUE(committer_->Open(kT0));
  Stage(2, kT0 - 30'000);  // two messages
  Stage(0, kT0 - 20'000);  // none: not measured
  Stage(1, kT0 - 3'000);
  committer_->ObserveDeliveries(kT0, &histogram);
  EXPECT_EQ(histogram.count, 0u);  // nothing committed, nothing delivered

  ASSERT_OK(CommitAndPublish());  // the JSONL sink confirms each line as it writes it
  EXPECT_EQ(outlet_->delivered_total(), 3u);
  committer_->ObserveDeliveries(kT0, &histogram);
  EXPECT_EQ(histogram.count, 2u);
  EXPECT_EQ(histogram.sum_us, 33'000);
  EXPECT_EQ(histogram.max_us, 30'000);
  EXPECT_EQ(histogram.buckets[1], 0u);  // 3 ms is in (2, 5] ms
  EXPECT_EQ(histogram.buckets[2], 1u);
  EXPECT_EQ(histogram.buckets[5], 1u);  // 30 ms is in (20, 50] ms

  // Seen once: a later look with nothing new delivered records nothing.
  committer_->ObserveDeliveries(kT0 + 1'000, &histogram);
  EXPECT_EQ(histogram.count, 2u);
}

TEST_F(GroupCommitterTest, WhileAFreshCommitAwaitsItsDeliveryReportsTheIdleWaitIsShort) {
  ASSERT_TRUE(committer_->Open(kT0));
  Stage(1, kT0);
  ASSERT_OK(CommitAndPublish());
  const Micros now = WallClockNow();
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, now, false), GroupCommitter::kDeliveryPollMs);
  // Not confirmed for a long time (the sink is down): back to the idle wait.
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, now + 5'000'000, false), kIdleMs);
  LatencyHistogram histogram;
  committer_->ObserveDeliveries(now, &histogram);
  EXPECT_EQ(histogram.count, 1u);
  EXPECT_EQ(committer_->PollTimeoutMs(kIdleMs, now, false), kIdleMs);
}

TEST(LatencyHistogramTest, QuantilesAreBucketUpperBoundsCappedByTheMax) {
  LatencyHistogram h;
  EXPECT_EQ(h.QuantileUpperBound(0.5), 0);
  for (int i = 0; i < 98; ++i) h.Record(800);  // (0, 1] ms
  h.Record(15'000);                            // (10, 20] ms
  h.Record(400'000);                           // (200, 500] ms
  EXPECT_EQ(h.count, 100u);
  EXPECT_EQ(h.QuantileUpperBound(0.5), 1'000);
  EXPECT_EQ(h.QuantileUpperBound(0.99), 20'000);
  EXPECT_EQ(h.QuantileUpperBound(1.0), 400'000);
  h.Record(-5);  // a clock step backwards counts as zero
  EXPECT_EQ(h.buckets[0], 99u);
  h.Record(60'000'000);
  EXPECT_EQ(h.buckets.back(), 1u);
  EXPECT_EQ(h.QuantileUpperBound(1.0), 60'000'000);
}

}  // namespace
}  // namespace walguard

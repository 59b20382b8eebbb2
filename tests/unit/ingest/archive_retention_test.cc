// Retention: by age and by size, cutting only at a state checkpoint, never
// the newest checkpoint, what follows it, or the newest segment; and asking
// for a checkpoint when only a newer start point would let it meet a limit.
#include "ingest/archive_retention.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

constexpr Micros kDay = 24 * 3600 * kMicrosPerSecond;
constexpr Micros kT0 = 1'795'000'000LL * kMicrosPerSecond;

class RetentionTest : public ::testing::Test {
 protected:
  // Segments seq 1..10, 11..20, ... one a day from kT0.
  void WriteDays(int days) {
    for (int day = 0; day < days; ++day) {
      std::vector<SegmentRecord> records;
      for (uint64_t i = 0; i < 10; ++i) {
        const uint64_t seq = static_cast<uint64_t>(day) * 10 + 1 + i;
        records.push_back({seq, 0x1000 * seq, kT0 + day * kDay + static_cast<Micros>(i), bytes_});
      }
      SegmentInfo info;
      ASSERT_TRUE(WriteSegment(dir_, records, &info).ok());
      segments_.push_back(info);
    }
  }

  StateCheckpointInfo Checkpoint(uint64_t next_seq) {
    StateCheckpointInfo info;
    info.next_seq = next_seq;
    info.lsn = 0x1000 * next_seq;
    info.time = kT0 + static_cast<Micros>((next_seq - 1) / 10) * kDay;
    EXPECT_TRUE(WriteStateCheckpoint(
                    dir_, "", [](const StateEntrySink& add) { return add("A", "1"); }, &info)
                    .ok());
    return info;
  }

  std::vector<uint64_t> SegmentFirstSeqs() {
    std::vector<SegmentInfo> left;
    EXPECT_TRUE(ListSegments(dir_, &left).ok());
    std::vector<uint64_t> seqs;
    for (const SegmentInfo& s : left) seqs.push_back(s.first_seq);
    return seqs;
  }

  std::vector<uint64_t> CheckpointSeqs() {
    std::vector<StateCheckpointInfo> left;
    EXPECT_TRUE(ListStateCheckpoints(dir_, &left).ok());
    std::vector<uint64_t> seqs;
    for (const StateCheckpointInfo& c : left) seqs.push_back(c.next_seq);
    return seqs;
  }

  TempDir tmp_{"wg-retention-test"};
  const std::string dir_ = tmp_.path() + "/archive";
  const std::string bytes_ = std::string(200, 'r');
  std::vector<SegmentInfo> segments_;
};

TEST_F(RetentionTest, WithoutACheckpointNothingIsDeletedAndOneIsAskedFor) {
  WriteDays(5);
  RetentionOutcome outcome;
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 1}, kT0 + 100 * kDay, &outcome).ok());
  EXPECT_TRUE(outcome.deleted.empty());
  EXPECT_TRUE(outcome.wants_checkpoint);
  EXPECT_EQ(SegmentFirstSeqs(), (std::vector<uint64_t>{1, 11, 21, 31, 41}));

  RetentionOutcome within;
  ASSERT_TRUE(ApplyRetention(dir_, {0, 0}, kT0 + 100 * kDay, &within).ok());
  EXPECT_TRUE(within.deleted.empty());
  EXPECT_FALSE(within.wants_checkpoint) << "no limits, nothing wanted";
}

TEST_F(RetentionTest, ByAgeCutsAtTheNewestCheckpointBeforeWhatIsYoungEnough) {
  WriteDays(5);
  Checkpoint(11);
  Checkpoint(31);
  RetentionOutcome outcome;
  // Older than 3.5 days before day 6: days 0, 1 and 2, up to the checkpoint at 31.
  ASSERT_TRUE(ApplyRetention(dir_, {kDay * 7 / 2, 0}, kT0 + 6 * kDay, &outcome).ok());
  ASSERT_EQ(outcome.deleted.size(), 3u);
  EXPECT_EQ(outcome.deleted[0].path, segments_[0].path);
  EXPECT_EQ(outcome.deleted[2].path, segments_[2].path);
  ASSERT_EQ(outcome.deleted_checkpoints.size(), 1u);
  EXPECT_EQ(outcome.deleted_checkpoints[0].next_seq, 11u);
  EXPECT_FALSE(outcome.wants_checkpoint);
  EXPECT_EQ(SegmentFirstSeqs(), (std::vector<uint64_t>{31, 41}));
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{31}));

  // Day 3 is too old now, but it follows the newest start point: kept, and a
  // newer checkpoint is asked for.
  RetentionOutcome blocked;
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 0}, kT0 + 30 * kDay, &blocked).ok());
  EXPECT_TRUE(blocked.deleted.empty());
  EXPECT_TRUE(blocked.deleted_checkpoints.empty()) << "never the newest start point";
  EXPECT_TRUE(blocked.wants_checkpoint);

  Checkpoint(41);
  RetentionOutcome after;
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 0}, kT0 + 30 * kDay, &after).ok());
  ASSERT_EQ(after.deleted.size(), 1u);
  EXPECT_EQ(after.deleted[0].path, segments_[3].path);
  EXPECT_FALSE(after.wants_checkpoint);
  EXPECT_EQ(SegmentFirstSeqs(), (std::vector<uint64_t>{41}));
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{41}));
}

TEST_F(RetentionTest, BySizeCutsAtTheOldestCheckpointPastWhatItWantsGone) {
  WriteDays(5);
  const StateCheckpointInfo c21 = Checkpoint(21);
  const StateCheckpointInfo c41 = Checkpoint(41);
  // Room for the last two segments and the checkpoints: days 0..2 must go,
  // and the cut rounds up to the checkpoint at 41.
  const uint64_t limit = segments_[3].file_bytes + segments_[4].file_bytes + c21.file_bytes + c41.file_bytes;
  RetentionOutcome outcome;
  ASSERT_TRUE(ApplyRetention(dir_, {0, limit}, kT0, &outcome).ok());
  ASSERT_EQ(outcome.deleted.size(), 4u);
  EXPECT_EQ(outcome.deleted[3].path, segments_[3].path);
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{41}));
  EXPECT_EQ(SegmentFirstSeqs(), (std::vector<uint64_t>{41}));
  EXPECT_FALSE(outcome.wants_checkpoint);
}

TEST_F(RetentionTest, NeverTheNewestSegmentEvenWhenACheckpointCoversIt) {
  WriteDays(3);
  Checkpoint(11);
  Checkpoint(31);  // after the newest segment
  RetentionOutcome outcome;
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 1}, kT0 + 100 * kDay, &outcome).ok());
  ASSERT_EQ(outcome.deleted.size(), 2u);
  EXPECT_EQ(SegmentFirstSeqs(), (std::vector<uint64_t>{21}));
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{31}));
  EXPECT_TRUE(std::filesystem::exists(segments_[2].path));
}

TEST_F(RetentionTest, ASegmentWithoutTimeIsAsOldAsTheTimeBeforeIt) {
  const std::string bytes = "r";
  SegmentInfo begin, rows, rest, newest;
  ASSERT_TRUE(WriteSegment(dir_, {{1, 0x10, kT0, bytes}}, &begin).ok());
  ASSERT_TRUE(WriteSegment(dir_, {{2, 0, 0, bytes}, {3, 0, 0, bytes}}, &rows).ok());
  ASSERT_TRUE(WriteSegment(dir_, {{4, 0x20, kT0 + 5 * kDay, bytes}}, &rest).ok());
  ASSERT_TRUE(WriteSegment(dir_, {{5, 0x30, kT0 + 6 * kDay, bytes}}, &newest).ok());
  Checkpoint(4);
  RetentionOutcome outcome;
  // Cut at kT0 - 1: the rows are as old as kT0, kept.
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 0}, kT0 + kDay - 1, &outcome).ok());
  EXPECT_TRUE(outcome.deleted.empty());
  // Cut at kT0 + 1 day: the snapshot's begin and its rows go, the rest stays.
  ASSERT_TRUE(ApplyRetention(dir_, {kDay, 0}, kT0 + 2 * kDay, &outcome).ok());
  ASSERT_EQ(outcome.deleted.size(), 2u);
  EXPECT_EQ(outcome.deleted[0].path, begin.path);
  EXPECT_EQ(outcome.deleted[1].path, rows.path);
  EXPECT_TRUE(std::filesystem::exists(rest.path));
}

}  // namespace
}  // namespace walguard

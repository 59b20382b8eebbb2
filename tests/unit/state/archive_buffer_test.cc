// The archive buffer of StateStore: steps recorded in the state's own atomic
// batch, numbered consecutively for the life of the directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "state/state_store.h"

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

class ArchiveBufferTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = root_ + "/state";
    Open();
  }

  void TearDown() override { store_.reset(); }

  void Open() {
    store_.reset();
    Status s = StateStore::Open(dir_, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Commits one batch recording `records` (each "rN") with a state key.
  void CommitRecords(int first, int count) {
    auto batch = store_->NewBatch();
    batch->Put("Sx", std::to_string(first));
    for (int i = first; i < first + count; ++i) {
      batch->AppendArchive(static_cast<Lsn>(100 + i), 1000 + i, "r" + std::to_string(i));
    }
    Status s = store_->Commit(batch.get(), /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<ArchiveBufferEntry> ReadAll(uint64_t after_seq = 0, uint64_t max_bytes = 1 << 20) {
    std::vector<ArchiveBufferEntry> out;
    Status s = store_->ReadArchiveBuffer(after_seq, max_bytes, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static std::vector<uint64_t> Seqs(const std::vector<ArchiveBufferEntry>& entries) {
    std::vector<uint64_t> seqs;
    for (const ArchiveBufferEntry& e : entries) seqs.push_back(e.seq);
    return seqs;
  }

  TempDir tmp_{"wg-archive-buffer"};
  const std::string root_ = tmp_.path();
  std::string dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(ArchiveBufferTest, RecordsAreNumberedFromOneAndReadBackWithTheirPositions) {
  EXPECT_EQ(store_->next_archive_seq(), 1u);
  CommitRecords(1, 3);
  CommitRecords(4, 2);
  std::vector<ArchiveBufferEntry> all = ReadAll();
  ASSERT_EQ(Seqs(all), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(all[2].lsn, 103u);
  EXPECT_EQ(all[2].time, 1003);
  EXPECT_EQ(all[2].bytes, "r3");
  EXPECT_EQ(store_->archive_buffer_bytes(), 10u);
  EXPECT_EQ(store_->next_archive_seq(), 6u);
}

TEST_F(ArchiveBufferTest, CounterAndBytesSurviveAReopen) {
  CommitRecords(1, 3);
  Open();
  EXPECT_EQ(store_->next_archive_seq(), 4u);
  EXPECT_EQ(store_->archive_buffer_bytes(), 6u);
  CommitRecords(4, 1);
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(ArchiveBufferTest, ADiscardedBatchLeavesNoGap) {
  {
    auto discarded = store_->NewBatch();
    discarded->AppendArchive(1, 1, "lost");
  }
  CommitRecords(1, 2);
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ReadAll()[0].bytes, "r1");
}

TEST_F(ArchiveBufferTest, TwoBatchesRecordingAtOnceAreRefused) {
  auto first = store_->NewBatch();
  auto second = store_->NewBatch();
  first->AppendArchive(1, 1, "a");
  second->AppendArchive(2, 2, "b");
  ASSERT_TRUE(store_->Commit(first.get(), true).ok());
  EXPECT_FALSE(store_->Commit(second.get(), true).ok());
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{1}));
}

TEST_F(ArchiveBufferTest, ReadStopsAtTheByteLimitButReturnsAtLeastOne) {
  CommitRecords(1, 5);  // 2 bytes each
  EXPECT_EQ(Seqs(ReadAll(0, 4)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Seqs(ReadAll(0, 5)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Seqs(ReadAll(2, 1)), (std::vector<uint64_t>{3}));
  EXPECT_EQ(Seqs(ReadAll(5)), (std::vector<uint64_t>{}));
}

TEST_F(ArchiveBufferTest, DeleteRemovesThroughASeqAndKeepsTheCounter) {
  CommitRecords(1, 4);
  ASSERT_TRUE(store_->DeleteArchiveBuffer(2).ok());
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(store_->archive_buffer_bytes(), 4u);
  ASSERT_TRUE(store_->DeleteArchiveBuffer(4).ok());
  EXPECT_EQ(store_->archive_buffer_bytes(), 0u);
  Open();
  EXPECT_EQ(store_->archive_buffer_bytes(), 0u);
  CommitRecords(5, 1);
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{5}));
}

TEST_F(ArchiveBufferTest, WipeKeepsRecordedHistory) {
  CommitRecords(1, 2);
  ASSERT_TRUE(store_->Wipe().ok());
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{1, 2}));
  std::string value;
  EXPECT_TRUE(store_->NewBatch()->Get("Sx", &value).IsNotFound());
  Open();
  EXPECT_EQ(store_->next_archive_seq(), 3u);
}

TEST_F(ArchiveBufferTest, SkippingSeqsLeavesADurableGap) {
  CommitRecords(1, 1);
  ASSERT_TRUE(store_->SkipArchiveSeqs(10).ok());
  ASSERT_TRUE(store_->SkipArchiveSeqs(5).ok());  // never backwards
  Open();
  EXPECT_EQ(store_->next_archive_seq(), 10u);
  CommitRecords(2, 1);
  EXPECT_EQ(Seqs(ReadAll()), (std::vector<uint64_t>{1, 10}));
}

}  // namespace
}  // namespace walguard

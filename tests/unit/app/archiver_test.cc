// Archiver: steps recorded in the state's batch, sealed into segments by
// size, by age and at a stop, with no record archived twice after a crash
// between a segment's rename and the buffer's delete.
#include "app/archiver.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/archive_record.h"
#include "ingest/archive.h"
#include "ingest/archive_checkpoint.h"
#include "state/state_store.h"

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

constexpr Micros kT0 = 1'700'000'000 * kMicrosPerSecond;

Transaction SampleTransaction(int i) {
  Transaction txn;
  txn.xid = static_cast<uint32_t>(700 + i);
  txn.begin_lsn = static_cast<Lsn>(0x1000 + 0x100 * i);
  txn.end_lsn = txn.begin_lsn + 0x40;
  txn.commit_time = kT0 + i * kMicrosPerSecond;
  Change c;
  c.action = Action::kInsert;
  c.schema = "ticketing";
  c.table = "ticket_holds";
  c.columns = {{"id", std::to_string(i), false, TypeFamily::kInteger}};
  txn.changes.push_back(c);
  return txn;
}

class ArchiverTest : public testing::Test {
 protected:
  void SetUp() override {
    options_.dir = root_ + "/archive";
    options_.segment_bytes = 1 << 20;
    options_.seal_interval = 60 * kMicrosPerSecond;
    OpenStore();
  }

  void TearDown() override {
    archiver_.reset();
    store_.reset();
  }

  void OpenStore() {
    archiver_.reset();
    store_.reset();
    Status s = StateStore::Open(root_ + "/state", &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void OpenArchiver(Micros now = kT0) {
    archiver_ = std::make_unique<Archiver>(options_, store_.get());
    Status s = archiver_->Open(now);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Applies transactions [first, first + count) as one committed batch.
  void CommitTransactions(int first, int count) {
    auto batch = store_->NewBatch();
    for (int i = first; i < first + count; ++i) archiver_->RecordTransaction(SampleTransaction(i), batch.get());
    Status s = store_->Commit(batch.get(), /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::vector<SegmentInfo> Segments() {
    std::vector<SegmentInfo> segments;
    Status s = ListSegments(options_.dir, &segments);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return segments;
  }

  // Every archived seq, segments first, then the buffer, with each record
  // decoded; transactions' xids go to *xids.
  std::vector<uint64_t> ArchivedSeqs(std::vector<uint32_t>* xids = nullptr) {
    std::vector<uint64_t> seqs;
    auto take = [&](uint64_t seq, std::string_view bytes) {
      seqs.push_back(seq);
      ArchiveRecord record;
      Status decoded = DecodeArchiveRecord(bytes, &record);
      EXPECT_TRUE(decoded.ok()) << decoded.ToString();
      if (xids != nullptr && record.kind == ArchiveRecordKind::kTransaction) xids->push_back(record.txn.xid);
      return Status::OK();
    };
    for (const SegmentInfo& segment : Segments()) {
      Status s = ReadSegment(segment, take);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    std::vector<ArchiveBufferEntry> buffered;
    EXPECT_TRUE(store_->ReadArchiveBuffer(0, uint64_t{1} << 30, &buffered).ok());
    for (const ArchiveBufferEntry& e : buffered) EXPECT_TRUE(take(e.seq, e.bytes).ok());
    return seqs;
  }

  static std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
    std::vector<uint64_t> seqs;
    for (uint64_t s = first; s <= last; ++s) seqs.push_back(s);
    return seqs;
  }

  TempDir tmp_{"wg-archiver"};
  const std::string root_ = tmp_.path();
  ArchiverOptions options_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Archiver> archiver_;
};

TEST_F(ArchiverTest, SealsBySizeIntoOneSegmentOfConsecutiveRecords) {
  OpenArchiver();
  CommitTransactions(1, 3);
  options_.segment_bytes = store_->archive_buffer_bytes();  // exactly three records make a segment
  OpenArchiver();
  ASSERT_TRUE(archiver_->SealIfDue(kT0).ok());
  std::vector<SegmentInfo> segments = Segments();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].first_seq, 1u);
  EXPECT_EQ(segments[0].last_seq, 3u);
  EXPECT_EQ(segments[0].first_lsn, SampleTransaction(1).end_lsn);
  EXPECT_EQ(segments[0].last_lsn, SampleTransaction(3).end_lsn);
  EXPECT_EQ(store_->archive_buffer_bytes(), 0u);

  CommitTransactions(4, 1);  // under the size, and young: stays buffered
  ASSERT_TRUE(archiver_->SealIfDue(kT0 + kMicrosPerSecond).ok());
  EXPECT_EQ(Segments().size(), 1u);
  std::vector<uint32_t> xids;
  EXPECT_EQ(ArchivedSeqs(&xids), Range(1, 4));
  EXPECT_EQ(xids, (std::vector<uint32_t>{701, 702, 703, 704}));
}

TEST_F(ArchiverTest, SealsByAgeOfTheOldestBufferedRecord) {
  OpenArchiver();
  CommitTransactions(1, 1);
  ASSERT_TRUE(archiver_->SealIfDue(kT0).ok());
  CommitTransactions(2, 1);
  ASSERT_TRUE(archiver_->SealIfDue(kT0 + options_.seal_interval - 1).ok());
  EXPECT_TRUE(Segments().empty());
  ASSERT_TRUE(archiver_->SealIfDue(kT0 + options_.seal_interval).ok());
  ASSERT_EQ(Segments().size(), 1u);
  EXPECT_EQ(Segments()[0].last_seq, 2u);
  EXPECT_EQ(store_->archive_buffer_bytes(), 0u);
}

TEST_F(ArchiverTest, FlushSealsEverythingAndAReopenContinuesTheSeqs) {
  OpenArchiver();
  CommitTransactions(1, 2);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  ASSERT_EQ(Segments().size(), 1u);
  OpenStore();
  OpenArchiver();
  CommitTransactions(3, 2);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  ASSERT_EQ(Segments().size(), 2u);
  EXPECT_EQ(Segments()[1].first_seq, 3u);
  EXPECT_EQ(ArchivedSeqs(), Range(1, 4));
}

// A crash after a segment's rename, before the buffer's delete: the records
// are in both; the next open drops them from the buffer.
TEST_F(ArchiverTest, ReconcileAfterACrashBetweenRenameAndDeleteArchivesNothingTwice) {
  OpenArchiver();
  CommitTransactions(1, 3);
  std::vector<ArchiveBufferEntry> entries;
  ASSERT_TRUE(store_->ReadArchiveBuffer(0, 1 << 20, &entries).ok());
  std::vector<SegmentRecord> records;
  for (const ArchiveBufferEntry& e : entries) records.push_back({e.seq, e.lsn, e.time, e.bytes});
  SegmentInfo written;
  ASSERT_TRUE(WriteSegment(options_.dir, records, &written).ok());  // the seal, cut before its delete
  CommitTransactions(4, 1);                                         // a step buffered after it, not sealed

  OpenStore();
  OpenArchiver();
  std::vector<uint32_t> xids;
  EXPECT_EQ(ArchivedSeqs(&xids), Range(1, 4));
  EXPECT_EQ(xids, (std::vector<uint32_t>{701, 702, 703, 704}));
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  ASSERT_EQ(Segments().size(), 2u);
  EXPECT_EQ(Segments()[1].first_seq, 4u);
  EXPECT_EQ(ArchivedSeqs(), Range(1, 4));
}

TEST_F(ArchiverTest, SnapshotRecordsDecodeInOrder) {
  OpenArchiver();
  auto batch = store_->NewBatch();
  archiver_->RecordSnapshotBegin(kT0, 0x5000, {{"fp", "id-1"}}, batch.get());
  archiver_->RecordSnapshotRow(SampleTransaction(1).changes[0], batch.get());
  archiver_->RecordSnapshotEnd(0x5000, batch.get());
  archiver_->RecordClockTick(kT0 + kMicrosPerSecond, 0x5000, batch.get());
  ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  std::vector<ArchiveRecordKind> kinds;
  ASSERT_EQ(Segments().size(), 1u);
  ASSERT_TRUE(ReadSegment(Segments()[0], [&](uint64_t, std::string_view bytes) {
                ArchiveRecord record;
                WG_RETURN_IF_ERROR(DecodeArchiveRecord(bytes, &record));
                kinds.push_back(record.kind);
                if (record.kind == ArchiveRecordKind::kSnapshotBegin) {
                  EXPECT_EQ(record.handover.size(), 1u);
                }
                return Status::OK();
              }).ok());
  EXPECT_EQ(kinds, (std::vector<ArchiveRecordKind>{ArchiveRecordKind::kSnapshotBegin, ArchiveRecordKind::kSnapshotRow,
                                                   ArchiveRecordKind::kSnapshotEnd, ArchiveRecordKind::kClockTick}));
  EXPECT_EQ(Segments()[0].first_lsn, 0x5000u);
}

TEST_F(ArchiverTest, DisabledRecordsNothingAndLeavesAGapInTheSeqs) {
  OpenArchiver();
  CommitTransactions(1, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  options_.enabled = false;
  OpenArchiver();
  CommitTransactions(2, 1);
  EXPECT_EQ(store_->archive_buffer_bytes(), 0u);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  options_.enabled = true;
  OpenArchiver();
  CommitTransactions(3, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  EXPECT_EQ(ArchivedSeqs(), (std::vector<uint64_t>{1, 3}));
}

TEST_F(ArchiverTest, AnArchiveThatOutlivedItsStateIsContinuedAfter) {
  OpenArchiver();
  CommitTransactions(1, 2);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  archiver_.reset();
  store_.reset();
  std::filesystem::remove_all(root_ + "/state");
  OpenStore();
  OpenArchiver();
  EXPECT_EQ(store_->next_archive_seq(), 3u);
  CommitTransactions(3, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  EXPECT_EQ(ArchivedSeqs(), Range(1, 3));
}

std::vector<ArchiveRecordKind> KindsOf(const std::vector<SegmentInfo>& segments) {
  std::vector<ArchiveRecordKind> kinds;
  for (const SegmentInfo& segment : segments) {
    EXPECT_TRUE(ReadSegment(segment, [&](uint64_t, std::string_view bytes) {
                  ArchiveRecord record;
                  WG_RETURN_IF_ERROR(DecodeArchiveRecord(bytes, &record));
                  kinds.push_back(record.kind);
                  return Status::OK();
                }).ok());
  }
  return kinds;
}

TEST_F(ArchiverTest, ThresholdsGoBeforeEachRunsFirstRecordAndEachSnapshot) {
  options_.thresholds = "rules.ticketing.high_reserved_percent = 7\n";
  OpenArchiver();
  CommitTransactions(1, 2);
  OpenArchiver();  // a new run
  CommitTransactions(3, 1);
  auto batch = store_->NewBatch();
  archiver_->RecordSnapshotBegin(kT0, 0x5000, {}, batch.get());
  archiver_->RecordSnapshotEnd(0x5000, batch.get());
  ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  using K = ArchiveRecordKind;
  EXPECT_EQ(KindsOf(Segments()), (std::vector<K>{K::kThresholds, K::kTransaction, K::kTransaction, K::kThresholds,
                                                 K::kTransaction, K::kThresholds, K::kSnapshotBegin, K::kSnapshotEnd}));
}

// The live run's position: what makes a seal boundary a start point.
void CommitPosition(StateStore* store, Lsn lsn, bool snapshot_done) {
  auto batch = store->NewBatch();
  batch->Put("Sclock", std::string(1, '\x04'));
  batch->Put("A-state", "v");
  batch->SetCheckpoint(Checkpoint{lsn, snapshot_done, "system", "slot"});
  ASSERT_TRUE(store->Commit(batch.get(), true).ok());
}

std::vector<StateCheckpointInfo> CheckpointsIn(const std::string& dir) {
  std::vector<StateCheckpointInfo> checkpoints;
  EXPECT_TRUE(ListStateCheckpoints(dir, &checkpoints).ok());
  return checkpoints;
}

TEST_F(ArchiverTest, CheckpointsAtASealBoundaryOfACompleteSnapshotsStateOnly) {
  options_.checkpoint_interval = kMicrosPerSecond;
  OpenArchiver();
  CommitTransactions(1, 2);
  ASSERT_TRUE(archiver_->Flush(kT0 + 2 * kMicrosPerSecond).ok());
  EXPECT_TRUE(CheckpointsIn(options_.dir).empty()) << "no position committed: a bootstrap in progress";
  CommitPosition(store_.get(), 0x1240, /*snapshot_done=*/false);
  ASSERT_TRUE(archiver_->Flush(kT0 + 4 * kMicrosPerSecond).ok());
  EXPECT_TRUE(CheckpointsIn(options_.dir).empty()) << "a snapshot not yet complete";

  CommitPosition(store_.get(), 0x1240, /*snapshot_done=*/true);
  CommitTransactions(3, 1);  // buffered: not a boundary until sealed
  ASSERT_TRUE(archiver_->Flush(kT0 + 6 * kMicrosPerSecond).ok());
  std::vector<StateCheckpointInfo> checkpoints = CheckpointsIn(options_.dir);
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints[0].next_seq, 4u);
  EXPECT_EQ(checkpoints[0].lsn, 0x1240u);
  EXPECT_EQ(checkpoints[0].time, 2) << "the stored WAL clock, zig-zag 4";
  ArchiveRecord record;
  ASSERT_TRUE(ReadStateCheckpoint(checkpoints[0], &record).ok());
  EXPECT_EQ(record.state, (std::vector<std::pair<std::string, std::string>>{{"A-state", "v"}, {"Sclock", "\x04"}}))
      << "processor keys only, no state store key";

  // Nothing archived since: no second checkpoint of the same point.
  ASSERT_TRUE(archiver_->Flush(kT0 + 60 * kMicrosPerSecond).ok());
  EXPECT_EQ(CheckpointsIn(options_.dir).size(), 1u);
}

TEST_F(ArchiverTest, RetentionAsksForACheckpointThenCutsAtIt) {
  options_.checkpoint_interval = 0;  // only when retention asks
  options_.retention = {0, 1};       // one byte: everything but the newest must go
  OpenArchiver();
  CommitPosition(store_.get(), 0x1000, true);
  CommitTransactions(1, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  CommitTransactions(2, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());  // over the limit, no start point: asks, and gets one here
  EXPECT_EQ(Segments().size(), 2u) << "nothing deleted without a start point";
  std::vector<StateCheckpointInfo> checkpoints = CheckpointsIn(options_.dir);
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints[0].next_seq, 3u);

  CommitTransactions(3, 1);
  ASSERT_TRUE(archiver_->Flush(kT0).ok());
  std::vector<SegmentInfo> left = Segments();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].first_seq, 3u) << "cut at the checkpoint";
  EXPECT_EQ(CheckpointsIn(options_.dir).size(), 1u) << "the newest start point stays";
}

TEST(ArchiverOptionsTest, DirectoryDefaultsUnderTheStateDir) {
  Config config;
  config.state_dir = "/var/lib/walguard";
  EXPECT_EQ(ArchiverOptionsFromConfig(config).dir, "/var/lib/walguard/archive");
  EXPECT_EQ(ArchiverOptionsFromConfig(config).retention.max_age, 7 * 24 * 3600 * kMicrosPerSecond);
  config.archive.dir = "/srv/archive";
  config.archive.seal_interval_s = 5;
  EXPECT_EQ(ArchiverOptionsFromConfig(config).dir, "/srv/archive");
  EXPECT_EQ(ArchiverOptionsFromConfig(config).seal_interval, 5 * kMicrosPerSecond);
  EXPECT_EQ(ArchiverOptionsFromConfig(config).checkpoint_interval, 24 * 3600 * kMicrosPerSecond);
  EXPECT_NE(ArchiverOptionsFromConfig(config).thresholds.find("rules.ticketing.high_reserved_percent = 30\n"),
            std::string::npos);
}

}  // namespace
}  // namespace walguard

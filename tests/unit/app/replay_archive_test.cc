// walguard replay over an archive directory (ingest/archive.h): segments
// written with WriteSegment, one damaged, one cut away by retention.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/inspect_command.h"
#include "app/record_source.h"
#include "app/replay_command.h"
#include "ingest/archive.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The tier's whole row with `reserved`, as one source transaction at `lsn`.
ArchiveRecord TierUpdate(Lsn lsn, Micros at, int reserved) {
  ArchiveRecord record;
  record.kind = ArchiveRecordKind::kTransaction;
  record.txn = TierUpdateTransaction(lsn, at, reserved, 950);
  record.lsn = lsn;
  return record;
}

class ReplayArchive : public ::testing::Test {
 protected:
  // Segment 1: a snapshot of the tier (reserved 5) and its hold, seqs 1-4;
  // segment 2: reserved 9 at 0/5100000 (drift), seq 5; segment 3: reserved 5
  // again at 0/5200000, seq 6.
  void SetUp() override {
    archive_ = dir_.path() + "/archive";
    WriteRecords(1, SnapshotRecords(0x5000000, 5, {}), &segments_);
    WriteRecords(5, {TierUpdate(0x5100000, kT0 + kMicrosPerMinute, 9)}, &segments_);
    WriteRecords(6, {TierUpdate(0x5200000, kT0 + 2 * kMicrosPerMinute, 5)}, &segments_);
  }

  void WriteRecords(uint64_t first_seq, const std::vector<ArchiveRecord>& records, std::vector<SegmentInfo>* out) {
    std::vector<std::string> bytes(records.size());
    std::vector<SegmentRecord> segment;
    for (size_t i = 0; i < records.size(); ++i) {
      EncodeArchiveRecord(records[i], &bytes[i]);
      segment.push_back({first_seq + i, records[i].Position(), records[i].Time(), bytes[i]});
    }
    SegmentInfo info;
    ASSERT_TRUE(WriteSegment(archive_, segment, &info).ok());
    out->push_back(info);
  }

  Status Run(std::vector<OutMessage>* out, ReplaySummary* summary) {
    return Replay(ArchiveSource(archive_, notes_.file()), ReplayOptions(), Collect(out), summary);
  }

  TempDir dir_;
  Notes notes_;
  std::string archive_;
  std::vector<SegmentInfo> segments_;
};

TEST_F(ReplayArchive, ReplaysEverySegmentInOrder) {
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(Run(&out, &summary).ok());
  ASSERT_EQ(out.size(), 3u);  // firing + command at 0/5100000, resolved at 0/5200000
  EXPECT_THAT(out[0].payload, HasSubstr(R"("state":"firing")"));
  EXPECT_THAT(out[0].payload, HasSubstr(R"("lsn":"0/5100000","commit_time":"2026-11-21T16:01:00.000000Z")"));
  EXPECT_THAT(out[2].payload, HasSubstr(R"("lsn":"0/5200000")"));
  EXPECT_EQ(AlertId(out[0]), AlertId(out[2]));
  EXPECT_EQ(summary.source.records, 6u);
  EXPECT_FALSE(summary.source.history_cut);
  EXPECT_EQ(notes_.Read(), "");
}

TEST_F(ReplayArchive, InspectShowsTheSnapshotThenEveryCommitOfTheTier) {
  std::vector<std::string> lines;
  ASSERT_TRUE(InspectTierJson(ArchiveSource(archive_, notes_.file()), &lines).ok());
  ASSERT_EQ(lines.size(), 3u);
  // The snapshot: no xid, its clock, the rows it read of the tier.
  EXPECT_THAT(lines[0], HasSubstr(R"({"lsn":"0/5000000","xid":null,"commit_time":"2026-11-21T16:00:00.000000Z",)"
                                  R"("changes":[{"table":"ticketing.ticket_tiers","action":"I",)"));
  EXPECT_THAT(lines[0], HasSubstr(R"({"table":"ticketing.ticket_holds","action":"I")"));
  EXPECT_THAT(lines[0], HasSubstr(R"("tier_reserved_drift":false)"));
  EXPECT_THAT(lines[1], HasSubstr(R"({"lsn":"0/5100000","xid":950,)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("tier_reserved_drift":true)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("tier_reserved_drift":false)"));
}

TEST_F(ReplayArchive, ADamagedSegmentIsReportedWithItsRangeAndSkipped) {
  {
    std::fstream f(segments_[1].path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(segments_[1].file_bytes / 2));
    f.put('\x5a');
    f.seekp(static_cast<std::streamoff>(segments_[1].file_bytes / 2 + 1));
    f.put('\xa5');
  }
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(Run(&out, &summary).ok());
  EXPECT_THAT(out, IsEmpty());  // the drift was in the damaged segment
  EXPECT_EQ(summary.source.damaged_segments, 1u);
  EXPECT_EQ(summary.source.records, 5u);
  const std::string said = notes_.Read();
  EXPECT_THAT(said, HasSubstr("damaged segment skipped (records 5..5, LSN 0/5100000..0/5100000)"));
  EXPECT_THAT(said, HasSubstr("history starts at LSN 0/5200000"));
}

TEST_F(ReplayArchive, HistoryCutByRetentionIsSaidAndReplayGoesOn) {
  std::filesystem::remove(segments_[0].path);
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(Run(&out, &summary).ok());
  EXPECT_TRUE(summary.source.history_cut);
  EXPECT_THAT(notes_.Read(), HasSubstr("history starts at LSN 0/5100000: state before it is unknown, figures may "
                                       "differ from the live run"));
  // Without the snapshot the holds are unknown: the figures differ from the
  // live run's, as the note warns (the live run saw 5 held, no drift).
  ASSERT_FALSE(out.empty());
  EXPECT_THAT(out[0].payload, HasSubstr(R"("details":{"reserved_quantity":9,"active_hold_quantity":0,)"));
}

TEST_F(ReplayArchive, NothingReadableIsADamagedArchiveAndNoSegmentIsBadInput) {
  for (const SegmentInfo& s : segments_) std::filesystem::resize_file(s.path, s.file_bytes / 2);
  std::vector<OutMessage> out;
  ReplaySummary summary;
  Status s = Run(&out, &summary);
  EXPECT_EQ(ExitCodeOf(s), 2) << s.ToString();
  EXPECT_EQ(summary.source.damaged_segments, 3u);

  s = Replay(ArchiveSource(dir_.path() + "/empty", notes_.file()), ReplayOptions(), Collect(&out), &summary);
  EXPECT_EQ(ExitCodeOf(s), 1) << s.ToString();
  EXPECT_THAT(s.ToString(), HasSubstr("holds no segment"));
}

}  // namespace
}  // namespace walguard

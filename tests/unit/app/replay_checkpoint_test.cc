// The archive as `walguard run` writes it, with a state checkpoint between
// two seals: a replay that starts from the checkpoint (the segments before
// it deleted) emits exactly what a replay from the snapshot emits after it,
// and both what the live run emitted; own-check observations and own
// messages replay as live; --diff's baseline follows the recorded thresholds
// (every recorded rule setting: replay_recorded_settings_test.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "app/record_source.h"
#include "app/recorded_thresholds.h"
#include "app/replay_command.h"
#include "ingest/archive.h"
#include "ingest/archive_checkpoint.h"
#include "tests/unit/app/replay_fixture.h"
#include "tests/unit/app/replay_live_run.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

// A message without the fields that say when it was made, not what.
std::string Comparable(const OutMessage& m) {
  static const std::regex kWhen(R"re("(detected_at|issued_at)":"[^"]*")re");
  return std::to_string(static_cast<int>(m.topic)) + " " + m.key + " " + std::regex_replace(m.payload, kWhen, "");
}

std::vector<std::string> Comparable(const std::vector<OutMessage>& messages) {
  std::vector<std::string> out;
  for (const OutMessage& m : messages) out.push_back(Comparable(m));
  return out;
}

// A replication_lag observation past the live bound of 1000 bytes (or not).
LagSample Lag(uint64_t bytes, Micros at) {
  LagSample s;
  s.slot = "walguard";
  s.lag_bytes = bytes;
  s.server_now = at;
  s.wal_clock = at;
  s.current_wal_lsn = 0x9000000;
  s.confirmed_flush = 0x9000000 - bytes;
  s.wal_status = "reserved";
  return s;
}

// A look at the state directory's disk: below the 1 MiB threshold or not.
DiskSample Disk(uint64_t free_bytes, Micros at) {
  DiskSample s;
  s.state_dir = "/var/lib/walguard";
  s.mount_point = "/var/lib";
  s.free_bytes = free_bytes;
  s.total_bytes = uint64_t{1} << 30;
  s.threshold_bytes = uint64_t{1} << 20;
  s.local_now = at + 7;  // the local clock, apart from the WAL clock
  s.wal_clock = at;
  return s;
}

class ReplayCheckpoint : public ::testing::Test {
 protected:
  // Live thresholds: high_reserved past 5 % (the default is 30) and
  // replication_lag past 1000 bytes. The tier drifts to 9 at 0/5100000
  // (tier_reserved_drift and high_reserved fire), the archive seals and
  // checkpoints there; then a lag observation fires replication_lag, an
  // undecodable record is dead-lettered, the tier is repaired at 0/5200000
  // (both resolve with the ids they fired with: the firing set came through
  // the checkpoint) and the lag clears.
  void SetUp() override {
    live_thresholds_.high_reserved_percent = 5;
    live_thresholds_.replication_lag_bytes = 1000;
    LiveRun live(dir_.path(), live_thresholds_);
    live.Snapshot(0x5000000);
    live.Apply(TierUpdate(0x5100000, kT0 + kMicrosPerMinute, 9));
    live.Seal(kT0 + 2 * kMicrosPerMinute);  // due: a checkpoint
    before_checkpoint_ = live.emitted().size();
    live.ObserveLag(Lag(5000, kT0 + 90 * kMicrosPerSecond));
    live.ObserveDisk(Disk(512 << 10, kT0 + 95 * kMicrosPerSecond));
    live.Undecodable(0x5180000);
    live.Apply(TierUpdate(0x5200000, kT0 + 2 * kMicrosPerMinute, 5));
    live.ObserveLag(Lag(10, kT0 + 150 * kMicrosPerSecond));
    live.ObserveDisk(Disk(1100 << 10, kT0 + 151 * kMicrosPerSecond));  // between the bounds: still firing
    live.ObserveDisk(Disk(2 << 20, kT0 + 152 * kMicrosPerSecond));
    live.Seal(kT0 + 2 * kMicrosPerMinute + kMicrosPerSecond);  // not due
    archive_ = live.archive();
    live_ = live.emitted();
    ASSERT_TRUE(ListSegments(archive_, &segments_).ok());
    ASSERT_TRUE(ListStateCheckpoints(archive_, &checkpoints_).ok());
  }

  std::vector<OutMessage> ReplayAll(const Thresholds& thresholds, Notes* notes) {
    ReplayOptions options;
    options.thresholds = thresholds;
    std::vector<OutMessage> out;
    ReplaySummary summary;
    const Status s = Replay(ArchiveSource(archive_, notes->file()), options, Collect(&out), &summary);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  TempDir dir_;
  Thresholds live_thresholds_;
  std::string archive_;
  std::vector<OutMessage> live_;
  size_t before_checkpoint_ = 0;  // of live_'s messages
  std::vector<SegmentInfo> segments_;
  std::vector<StateCheckpointInfo> checkpoints_;
};

TEST_F(ReplayCheckpoint, TheArchiverCheckpointsAtTheDueSealBoundaryOnly) {
  ASSERT_EQ(segments_.size(), 2u);
  ASSERT_EQ(checkpoints_.size(), 1u);
  EXPECT_EQ(checkpoints_[0].next_seq, segments_[1].first_seq);
  EXPECT_EQ(checkpoints_[0].lsn, 0x5100000u);
  EXPECT_EQ(checkpoints_[0].time, kT0 + kMicrosPerMinute) << "the WAL clock at the boundary";
  ArchiveRecord record;
  ASSERT_TRUE(ReadStateCheckpoint(checkpoints_[0], &record).ok());
  EXPECT_EQ(record.text, RecordThresholds(live_thresholds_));
  ASSERT_FALSE(record.state.empty());
  for (const auto& [key, value] : record.state) EXPECT_NE(key[0], '~') << "a state store key: " << key;
}

TEST_F(ReplayCheckpoint, ReplayFromTheSnapshotEqualsLiveOwnMessagesIncluded) {
  Notes notes;
  const std::vector<OutMessage> replayed = ReplayAll(live_thresholds_, &notes);
  EXPECT_EQ(Comparable(replayed), Comparable(live_));
  int lag = 0, disk = 0, dead = 0;
  for (const OutMessage& m : live_) {
    lag += m.key.starts_with("replication_lag:") ? 1 : 0;
    disk += m.key.starts_with("state_disk_low:") ? 1 : 0;
    dead += m.topic == Topic::kDeadLetter ? 1 : 0;
  }
  EXPECT_EQ(lag, 2) << "fired and resolved";
  EXPECT_EQ(disk, 2) << "fired and resolved, once: the hysteresis held between the bounds";
  EXPECT_EQ(dead, 1);
  EXPECT_THAT(notes.Read(), Not(HasSubstr("history")));
}

TEST_F(ReplayCheckpoint, ReplayFromTheCheckpointEqualsReplayFromTheSnapshotAfterIt) {
  Notes full_notes;
  const std::vector<OutMessage> full = ReplayAll(live_thresholds_, &full_notes);
  ASSERT_EQ(Comparable(full), Comparable(live_));
  ASSERT_GT(before_checkpoint_, 0u);
  ASSERT_LT(before_checkpoint_, full.size());
  const std::vector<OutMessage> after(full.begin() + static_cast<std::ptrdiff_t>(before_checkpoint_), full.end());

  std::filesystem::remove(segments_[0].path);  // as retention does, up to the checkpoint
  Notes notes;
  const std::vector<OutMessage> from_checkpoint = ReplayAll(live_thresholds_, &notes);
  EXPECT_EQ(Comparable(from_checkpoint), Comparable(after));
  const std::string said = notes.Read();
  EXPECT_THAT(said, HasSubstr("history before LSN 0/5100000 was removed by retention; starting from the state "
                              "checkpoint at LSN 0/5100000, commit time " +
                              FormatTimestamp(kT0 + kMicrosPerMinute)));
  EXPECT_THAT(said, HasSubstr("a what-if run applies its own from there on"));
  EXPECT_THAT(said, Not(HasSubstr("state before it is unknown")));

  // Inspect starts there too: the tier's first step is the repair.
  std::vector<std::string> lines;
  ASSERT_TRUE(InspectTierJson(ArchiveSource(archive_, notes.file()), &lines).ok());
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], HasSubstr(R"("lsn":"0/5200000")"));
  EXPECT_THAT(lines[0], HasSubstr(R"("tier_reserved_drift":false)"));
}

TEST_F(ReplayCheckpoint, ADamagedCheckpointIsReportedAndTheNextStartPointUsed) {
  std::filesystem::remove(segments_[0].path);
  {
    std::ofstream damage(checkpoints_[0].path, std::ios::binary | std::ios::app);
    damage << "x";
  }
  Notes notes;
  ReplayOptions options;
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(Replay(ArchiveSource(archive_, notes.file()), options, Collect(&out), &summary).ok());
  EXPECT_EQ(summary.source.damaged_checkpoints, 1u);
  EXPECT_TRUE(summary.source.history_cut);
  const std::string said = notes.Read();
  EXPECT_THAT(said, HasSubstr("archive: damaged state checkpoint skipped (LSN 0/5100000)"));
  EXPECT_THAT(said, HasSubstr(checkpoints_[0].path));
  EXPECT_THAT(said, HasSubstr("state before it is unknown"));
}

TEST_F(ReplayCheckpoint, DiffComparesWithTheRecordedThresholdsUnlessOverridden) {
  Notes notes;
  ReplayOptions what_if;
  what_if.thresholds = live_thresholds_;
  std::vector<AlertDifference> differences;
  ReplaySummary summary;
  ASSERT_TRUE(ReplayDiff(ArchiveSource(archive_, notes.file()), what_if, std::nullopt, &differences, &summary).ok());
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences, first " << differences[0].fingerprint;

  // --baseline-config with the defaults: high_reserved and replication_lag
  // fire and resolve in the what-if run only.
  ASSERT_TRUE(ReplayDiff(ArchiveSource(archive_, notes.file()), what_if, Thresholds(), &differences, &summary).ok());
  std::vector<std::string> seen;
  for (const AlertDifference& d : differences) seen.push_back(d.run + " " + d.state + " " + d.fingerprint);
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre("what-if firing high_reserved:tier:" + kTier,
                                                    "what-if resolved high_reserved:tier:" + kTier,
                                                    "what-if firing replication_lag:slot:walguard",
                                                    "what-if resolved replication_lag:slot:walguard"));

  // The recorded baseline against a what-if run with the defaults: the mirror image.
  ReplayOptions defaults;
  ASSERT_TRUE(ReplayDiff(ArchiveSource(archive_, notes.file()), defaults, std::nullopt, &differences, &summary).ok());
  ASSERT_EQ(differences.size(), 4u);
  for (const AlertDifference& d : differences) EXPECT_EQ(d.run, "baseline") << d.fingerprint;
}

}  // namespace
}  // namespace walguard

// `walguard replay` and `walguard inspect` through the built binary: the
// output a script reads and the exit codes it acts on (docs/reference.md
// sections 5 and 6).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ingest/archive.h"
#include "tests/support/process.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ForensicsCli : public ::testing::Test {
 protected:
  // Runs walguard with `args`; returns its exit code, with its stdout lines
  // in lines_ and its stderr in stderr_.
  int Run(const std::vector<std::string>& args) {
    testing::WalguardExit run = testing::RunWalguard(args, dir_.path(), 0);
    lines_ = std::move(run.stdout_lines);
    stderr_ = run.stderr_text;
    return run.exit_code;
  }

  TempDir dir_;
  std::vector<std::string> lines_;
  std::string stderr_;
};

TEST_F(ForensicsCli, ReplayWritesOneLinePerMessageAndASummary) {
  const std::string wal = dir_.Write("wal.jsonl", kTierDriftWal);
  ASSERT_EQ(Run({"replay", "--input", wal}), 0) << stderr_;
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_THAT(lines_[0], StartsWith(R"({"topic":"walguard.alerts","key":"tier_reserved_drift:tier:)" + kTier +
                                    R"(","value":{"alert_id":")"));
  EXPECT_THAT(lines_[1], StartsWith(R"({"topic":"walguard.commands",)"));
  EXPECT_THAT(stderr_, HasSubstr("replay: 3 records, 4 changes, 3 messages"));

  const std::string out = dir_.path() + "/out.jsonl";
  ASSERT_EQ(Run({"replay", "--input", wal, "--from-lsn", "0/3000000", "--out", out}), 0) << stderr_;
  EXPECT_TRUE(lines_.empty());
  std::ifstream in(out);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_THAT(line, HasSubstr(R"("state":"resolved")"));
}

TEST_F(ForensicsCli, InspectJsonHasOneObjectPerStep) {
  const std::string wal = dir_.Write("wal.jsonl", kTierDriftWal);
  ASSERT_EQ(Run({"inspect", "--input", wal, "--entity", "tier:" + kTier, "--json", "--until-lsn", "0/2000130"}), 0)
      << stderr_;
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_THAT(lines_[1], StartsWith(R"({"lsn":"0/2000130","xid":902,)"));
  EXPECT_THAT(lines_[1], HasSubstr(R"("tier_reserved_drift":true)"));
}

TEST_F(ForensicsCli, BadInputExitsOneAndADamagedArchiveTwo) {
  const std::string wal = dir_.Write("wal.jsonl", kTierDriftWal);
  EXPECT_EQ(Run({"replay"}), 1);                                               // no source
  EXPECT_EQ(Run({"replay", "--input", dir_.path() + "/absent.jsonl"}), 1);     // unreadable
  EXPECT_EQ(Run({"replay", "--input", wal, "--from-lsn", "not-an-lsn"}), 1);   // bad flag value
  EXPECT_EQ(Run({"replay", "--input", wal, "--until-time", "yesterday"}), 1);  // bad time
  EXPECT_EQ(Run({"inspect", "--input", wal, "--entity", "galaxy:1"}), 1);      // unknown kind
  EXPECT_EQ(Run({"replay", "--archive", dir_.path() + "/no-archive"}), 1);     // no segment
  EXPECT_THAT(stderr_, HasSubstr("holds no segment"));

  // A segment-named file that fails its checksum is the whole archive.
  const std::string archive = dir_.path() + "/archive";
  std::vector<std::string> bytes(1);
  std::vector<ArchiveRecord> records = SnapshotRecords(0x5000000, 5, {});
  EncodeArchiveRecord(records[0], &bytes[0]);
  SegmentInfo info;
  ASSERT_TRUE(WriteSegment(archive, {{1, records[0].Position(), records[0].Time(), bytes[0]}}, &info).ok());
  std::filesystem::resize_file(info.path, info.file_bytes - 3);
  EXPECT_EQ(Run({"replay", "--archive", archive}), 2) << stderr_;
  EXPECT_THAT(stderr_, HasSubstr("damaged segment skipped"));
}

TEST_F(ForensicsCli, HelpNamesTheCommands) {
  ASSERT_EQ(Run({"replay", "--help"}), 0);
  ASSERT_FALSE(lines_.empty());
  EXPECT_THAT(lines_[0], HasSubstr("Rebuild state from an archive"));
  ASSERT_EQ(Run({"inspect", "--help"}), 0);
  ASSERT_FALSE(lines_.empty());
  EXPECT_THAT(lines_[0], HasSubstr("entity's timeline"));
}

}  // namespace
}  // namespace walguard

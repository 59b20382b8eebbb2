// State checkpoints: what is written reads back entry for entry, the name is
// the index, any damage is Corruption naming the file before anything is
// handed out, and a checkpoint is never rewritten.
#include "ingest/archive_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

constexpr Micros kT0 = 1'795'000'000LL * kMicrosPerSecond;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Sorted keys with values of every length class, some over a chunk.
Entries SampleState(size_t n) {
  Entries entries;
  for (size_t i = 0; i < n; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "A%08zu", i);
    std::string value(i % 17, static_cast<char>('a' + i % 26));
    if (i % 997 == 0) value.assign(300'000, static_cast<char>(i));  // chunks end inside values
    entries.emplace_back(key, std::move(value));
  }
  return entries;
}

StateEntrySource SourceOf(const Entries& entries) {
  return [&entries](const StateEntrySink& add) -> Status {
    for (const auto& [key, value] : entries) WG_RETURN_IF_ERROR(add(key, value));
    return Status::OK();
  };
}

class StateCheckpointTest : public ::testing::Test {
 protected:
  StateCheckpointInfo Write(uint64_t next_seq, const Entries& entries, std::string_view thresholds = "t = 1\n") {
    StateCheckpointInfo info;
    info.next_seq = next_seq;
    info.lsn = 0x16000000 + next_seq;
    info.time = kT0 + static_cast<Micros>(next_seq);
    EXPECT_TRUE(WriteStateCheckpoint(dir_, thresholds, SourceOf(entries), &info).ok());
    return info;
  }

  TempDir tmp_{"wg-checkpoint-test"};
  const std::string dir_ = tmp_.path() + "/archive";
};

TEST_F(StateCheckpointTest, WhatIsWrittenReadsBack) {
  const Entries entries = SampleState(5000);
  const StateCheckpointInfo info = Write(42, entries, "rules.walguard.replication_lag_bytes = 7\n");
  EXPECT_EQ(std::filesystem::path(info.path).filename().string(), StateCheckpointFileName(info));
  EXPECT_EQ(info.file_bytes, std::filesystem::file_size(info.path));
  std::vector<StateCheckpointInfo> listed;
  ASSERT_TRUE(ListStateCheckpoints(dir_, &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].next_seq, 42u);
  EXPECT_EQ(listed[0].lsn, info.lsn);
  EXPECT_EQ(listed[0].time, info.time);
  ArchiveRecord record;
  ASSERT_TRUE(ReadStateCheckpoint(listed[0], &record).ok());
  EXPECT_EQ(record.kind, ArchiveRecordKind::kStateCheckpoint);
  EXPECT_EQ(record.Position(), info.lsn);
  EXPECT_EQ(record.Time(), info.time);
  EXPECT_EQ(record.text, "rules.walguard.replication_lag_bytes = 7\n");
  EXPECT_EQ(record.state, entries);
}

TEST_F(StateCheckpointTest, AnEmptyStateIsACheckpointToo) {
  const StateCheckpointInfo info = Write(1, {});
  ArchiveRecord record;
  ASSERT_TRUE(ReadStateCheckpoint(info, &record).ok());
  EXPECT_TRUE(record.state.empty());
}

TEST_F(StateCheckpointTest, NamesSortBySeqAndOtherFilesAreIgnored) {
  Write(300, {{"A", "1"}});
  Write(20, {{"A", "2"}});
  tmp_.Write("archive/0000000000000001_0000000000000001_0000000000000001.wgckpt.tmp", "left by a crash");
  tmp_.Write("archive/notes.txt", "x");
  std::vector<StateCheckpointInfo> listed;
  ASSERT_TRUE(ListStateCheckpoints(dir_, &listed).ok());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].next_seq, 20u);
  EXPECT_EQ(listed[1].next_seq, 300u);
  StateCheckpointInfo parsed;
  EXPECT_FALSE(ParseStateCheckpointFileName("0000000000000000_0000000000000001_0000000000000001.wgckpt", &parsed))
      << "seqs start at 1";
  EXPECT_FALSE(ParseStateCheckpointFileName("000000000000000g_0000000000000001_0000000000000001.wgckpt", &parsed));
  EXPECT_FALSE(ParseStateCheckpointFileName("0000000000000001-0000000000000001_0000000000000001.wgckpt", &parsed));
  EXPECT_TRUE(ListStateCheckpoints(tmp_.path() + "/absent", &listed).ok());
  EXPECT_TRUE(listed.empty());
}

TEST_F(StateCheckpointTest, NeverRewrittenAndKeysMustBeInOrder) {
  const StateCheckpointInfo first = Write(7, {{"A", "1"}});
  StateCheckpointInfo again;
  again.next_seq = first.next_seq;
  again.lsn = first.lsn;
  again.time = first.time;
  EXPECT_FALSE(WriteStateCheckpoint(dir_, "", SourceOf({{"A", "2"}}), &again).ok());
  ArchiveRecord record;
  ASSERT_TRUE(ReadStateCheckpoint(first, &record).ok());
  EXPECT_EQ(record.state, (Entries{{"A", "1"}}));
  StateCheckpointInfo unordered;
  unordered.next_seq = 8;
  EXPECT_EQ(WriteStateCheckpoint(dir_, "", SourceOf({{"B", "1"}, {"A", "2"}}), &unordered).code(),
            Status::Code::kInvalidArgument);
}

TEST_F(StateCheckpointTest, AnyDamageIsCorruptionNamingTheFileAndItsLsn) {
  const StateCheckpointInfo info = Write(9, SampleState(300));
  const std::string original = ReadFile(info.path);
  ArchiveRecord record;
  const auto expect_damaged = [&](const std::string& what) {
    const Status s = ReadStateCheckpoint(info, &record);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << what;
    EXPECT_NE(s.message().find(info.path), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(FormatLsn(info.lsn)), std::string::npos) << s.ToString();
  };
  for (size_t at = 0; at < original.size(); at += 1 + original.size() / 97) {
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    WriteFile(info.path, damaged);
    expect_damaged("byte " + std::to_string(at) + " flipped");
  }
  for (size_t size : {size_t{0}, size_t{40}, original.size() / 2, original.size() - 1}) {
    WriteFile(info.path, original.substr(0, size));
    expect_damaged("truncated to " + std::to_string(size));
  }
  // Renamed: the header no longer says what the name says.
  WriteFile(info.path, original);
  StateCheckpointInfo renamed = info;
  renamed.lsn += 1;
  renamed.path = dir_ + "/" + StateCheckpointFileName(renamed);
  std::filesystem::rename(info.path, renamed.path);
  EXPECT_EQ(ReadStateCheckpoint(renamed, &record).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace walguard

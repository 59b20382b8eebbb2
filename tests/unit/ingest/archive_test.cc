// The archive's segment files: what is written reads back byte for byte, the
// names are the index, any damage is reported with the segment's range before
// a record is handed out. Retention: archive_retention_test.cc.
#include "ingest/archive.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

constexpr Micros kDay = 24 * 3600 * kMicrosPerSecond;
constexpr Micros kT0 = 1'795'000'000LL * kMicrosPerSecond;  // late 2026

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  ASSERT_TRUE(out.good()) << path;
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = root_ + "/state/archive"; }  // WriteSegment creates both levels

  // Records seq first..first+n-1; the bytes live in the fixture. Every
  // seventh record is a snapshot row: no position, no time.
  std::vector<SegmentRecord> Records(uint64_t first, size_t n, Micros time0 = kT0) {
    std::vector<SegmentRecord> records;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t seq = first + i;
      std::string bytes;
      for (uint64_t k = 0; k < seq % 13; ++k) bytes.push_back(static_cast<char>((seq * 31 + k) % 256));
      if (seq % 101 == 0) bytes.assign(70'000, static_cast<char>(seq));  // a length of three varint bytes
      storage_.push_back(std::move(bytes));
      const bool row = seq % 7 == 0;
      records.push_back(
          {seq, row ? 0 : 0x1600000000 + seq * 0x40, row ? 0 : time0 + static_cast<Micros>(seq), storage_.back()});
    }
    return records;
  }

  SegmentInfo Write(uint64_t first, size_t n, Micros time0 = kT0) {
    SegmentInfo info;
    EXPECT_TRUE(WriteSegment(dir_, Records(first, n, time0), &info).ok());
    return info;
  }

  static Status ReadAll(const SegmentInfo& info, std::vector<std::pair<uint64_t, std::string>>* out) {
    return ReadSegment(info, [out](uint64_t seq, std::string_view bytes) {
      out->emplace_back(seq, std::string(bytes));
      return Status::OK();
    });
  }

  TempDir tmp_{"wg-archive-test"};
  const std::string root_ = tmp_.path();
  std::string dir_;
  std::deque<std::string> storage_;  // grows without moving what the records view
};

TEST_F(ArchiveTest, ManyRecordsRoundTrip) {
  const std::vector<SegmentRecord> records = Records(1, 3000);
  SegmentInfo info;
  ASSERT_TRUE(WriteSegment(dir_, records, &info).ok());
  EXPECT_EQ(info.first_seq, 1u);
  EXPECT_EQ(info.last_seq, 3000u);
  EXPECT_EQ(info.first_lsn, 0x1600000000u + 1 * 0x40);    // seq 1
  EXPECT_EQ(info.last_lsn, 0x1600000000u + 3000 * 0x40);  // seq 3000 (not a row)
  EXPECT_EQ(info.first_time, kT0 + 1);
  EXPECT_EQ(info.last_time, kT0 + 3000);
  EXPECT_EQ(info.file_bytes, std::filesystem::file_size(info.path));
  EXPECT_EQ(std::filesystem::path(info.path).parent_path(), std::filesystem::path(dir_));
  EXPECT_EQ(std::filesystem::status(dir_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);

  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ReadAll(info, &read).ok());
  ASSERT_EQ(read.size(), records.size());
  size_t empty = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(read[i].first, records[i].seq);
    EXPECT_EQ(read[i].second, records[i].bytes) << "seq " << records[i].seq;
    empty += records[i].bytes.empty() ? 1 : 0;
  }
  EXPECT_GT(empty, 100u);
  // Compressed: the 70 kB runs shrink to almost nothing.
  EXPECT_LT(info.file_bytes, 30u * 70'000u / 10);
}

TEST_F(ArchiveTest, SegmentOfRowsOnlyHasNoPositionOrTime) {
  SegmentInfo info;
  const std::string row = "row";
  ASSERT_TRUE(WriteSegment(dir_, {{5, 0, 0, row}, {6, 0, 0, ""}}, &info).ok());
  EXPECT_EQ(info.first_lsn, 0u);
  EXPECT_EQ(info.last_lsn, 0u);
  EXPECT_EQ(info.first_time, 0);
  EXPECT_EQ(info.last_time, 0);
  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ReadAll(info, &read).ok());
  EXPECT_EQ(read, (std::vector<std::pair<uint64_t, std::string>>{{5, "row"}, {6, ""}}));
}

TEST_F(ArchiveTest, NamesParseBackToTheInfo) {
  const std::vector<SegmentInfo> cases = {
      {"", 1, 1, 0, 0, 0, 0, 0},
      {"", 17, 4242, 0x16B374D848, 0x16B3750000, kT0, kT0 + kDay, 0},
      {"", 1, UINT64_MAX, 1, UINT64_MAX, INT64_MIN, INT64_MAX, 0},
      {"", 3, 4, 5, 6, -2 * kDay, -1, 0},
  };
  for (const SegmentInfo& want : cases) {
    const std::string name = SegmentFileName(want);
    EXPECT_EQ(name.size(), 107u) << name;
    SegmentInfo got;
    ASSERT_TRUE(ParseSegmentFileName(name, &got)) << name;
    EXPECT_EQ(got.first_seq, want.first_seq);
    EXPECT_EQ(got.last_seq, want.last_seq);
    EXPECT_EQ(got.first_lsn, want.first_lsn);
    EXPECT_EQ(got.last_lsn, want.last_lsn);
    EXPECT_EQ(got.first_time, want.first_time);
    EXPECT_EQ(got.last_time, want.last_time);
  }
  EXPECT_EQ(SegmentFileName(cases[1]),
            "0000000000000011-0000000000001092_00000016b374d848-00000016b3750000_"
            "8006608b015f3000-8006609f1f369000.wgseg");

  // Written segments list as WriteSegment described them.
  const SegmentInfo written = Write(10, 40);
  std::vector<SegmentInfo> listed;
  ASSERT_TRUE(ListSegments(dir_, &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].path, written.path);
  EXPECT_EQ(listed[0].file_bytes, written.file_bytes);
  EXPECT_EQ(SegmentFileName(listed[0]), SegmentFileName(written));
}

TEST_F(ArchiveTest, TimesSortInNames) {
  SegmentInfo early{"", 1, 1, 0, 0, -kDay, -kDay, 0}, zero{"", 1, 1, 0, 0, 0, 0, 0},
      late{"", 1, 1, 0, 0, kDay, kDay, 0};
  EXPECT_LT(SegmentFileName(early), SegmentFileName(zero));
  EXPECT_LT(SegmentFileName(zero), SegmentFileName(late));
}

TEST_F(ArchiveTest, StrangeNamesAreNotSegments) {
  const std::string good = SegmentFileName({"", 1, 2, 3, 4, 5, 6, 0});
  SegmentInfo info;
  ASSERT_TRUE(ParseSegmentFileName(good, &info));
  std::vector<std::string> strange = {"", "notes.txt", good + ".tmp", good.substr(1), good.substr(0, 101) + ".wgsex"};
  std::string upper = good;
  upper[15] = 'A';
  strange.push_back(upper);
  for (size_t at : {16u, 33u, 50u, 67u, 84u}) {  // each separator, swapped
    std::string s = good;
    s[at] = s[at] == '-' ? '_' : '-';
    strange.push_back(s);
  }
  strange.push_back(SegmentFileName({"", 2, 1, 0, 0, 0, 0, 0}));   // seqs backwards
  strange.push_back(SegmentFileName({"", 1, 1, 9, 8, 0, 0, 0}));   // LSNs backwards
  strange.push_back(SegmentFileName({"", 1, 1, 0, 0, 1, -1, 0}));  // times backwards
  for (const std::string& name : strange) EXPECT_FALSE(ParseSegmentFileName(name, &info)) << name;
}

TEST_F(ArchiveTest, ListingIsInSequenceOrderAndIgnoresOtherFiles) {
  std::vector<SegmentInfo> listed;
  ASSERT_TRUE(ListSegments(root_ + "/absent", &listed).ok());
  EXPECT_TRUE(listed.empty());

  const SegmentInfo c = Write(21, 300), a = Write(1, 15), b = Write(16, 5);
  // What a crash between write and rename leaves, and an unrelated file.
  WriteFile(c.path + ".tmp", ReadFile(c.path).substr(0, 10));
  WriteFile(dir_ + "/README", "x");
  std::filesystem::create_directory(dir_ + "/" + SegmentFileName({"", 400, 401, 0, 0, 0, 0, 0}));

  ASSERT_TRUE(ListSegments(dir_, &listed).ok());
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].path, a.path);
  EXPECT_EQ(listed[1].path, b.path);
  EXPECT_EQ(listed[2].path, c.path);
  EXPECT_EQ(listed[2].first_seq, 21u);
  EXPECT_EQ(listed[2].last_seq, 320u);
}

// A seal streams its records into a SegmentWriter after summing their size:
// records that do not make that size (the buffer changed between the two
// passes) write no segment.
TEST_F(ArchiveTest, StreamedSegmentMustMakeTheContentSizeItWasTold) {
  const std::vector<SegmentRecord> records = Records(1, 500);  // past one 128 KiB chunk: seqs 101, 202, ...
  uint64_t content_bytes = 0;
  for (const SegmentRecord& r : records) content_bytes += SegmentContentBytes(r.bytes.size());
  ASSERT_GT(content_bytes, uint64_t{128} << 10);
  for (const uint64_t told : {content_bytes - 1, content_bytes + 1}) {
    SegmentWriter writer(told);
    Status s;
    for (const SegmentRecord& r : records) {
      s = writer.Add(r);
      if (!s.ok()) break;
    }
    SegmentInfo info;
    if (s.ok()) s = writer.Finish(dir_, &info);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "told " << told << ": " << s.ToString();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_)) << "nothing written";

  SegmentWriter writer(content_bytes);
  for (const SegmentRecord& r : records) ASSERT_TRUE(writer.Add(r).ok());
  SegmentInfo info;
  ASSERT_TRUE(writer.Finish(dir_, &info).ok());
  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ReadAll(info, &read).ok());
  ASSERT_EQ(read.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(read[i].second, records[i].bytes) << "seq " << read[i].first;
}

TEST_F(ArchiveTest, WriteRefusesBadInputAndNeverRewrites) {
  SegmentInfo info;
  EXPECT_EQ(WriteSegment(dir_, {}, &info).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(WriteSegment(dir_, {{1, 1, 1, "a"}, {3, 2, 2, "b"}}, &info).code(), Status::Code::kInvalidArgument);

  ASSERT_TRUE(WriteSegment(dir_, {{1, 1, 1, "a"}}, &info).ok());
  SegmentInfo again;
  const Status s = WriteSegment(dir_, {{1, 1, 1, "different"}}, &again);
  EXPECT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ReadAll(info, &read).ok());
  EXPECT_EQ(read, (std::vector<std::pair<uint64_t, std::string>>{{1, "a"}}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()), 1)
      << "no temp file is left behind";
}

TEST_F(ArchiveTest, ACrashBeforeTheRenameLeavesNothingInTheWay) {
  // A crash between writing the temp file and renaming it: the same records
  // are written again after the restart.
  const std::string bytes = "step";
  const std::vector<SegmentRecord> records = {{7, 0x70, kT0, bytes}};
  ASSERT_TRUE(std::filesystem::create_directories(dir_));
  const std::string temp = dir_ + "/" + SegmentFileName({"", 7, 7, 0x70, 0x70, kT0, kT0, 0}) + ".tmp";
  WriteFile(temp, "half a segm");
  std::vector<SegmentInfo> listed;
  ASSERT_TRUE(ListSegments(dir_, &listed).ok());
  EXPECT_TRUE(listed.empty());

  SegmentInfo info;
  ASSERT_TRUE(WriteSegment(dir_, records, &info).ok());
  EXPECT_EQ(info.path + ".tmp", temp);
  EXPECT_FALSE(std::filesystem::exists(temp));
  std::vector<std::pair<uint64_t, std::string>> read;
  ASSERT_TRUE(ReadAll(info, &read).ok());
  EXPECT_EQ(read, (std::vector<std::pair<uint64_t, std::string>>{{7, "step"}}));
}

TEST_F(ArchiveTest, VisitorErrorStopsTheVisit) {
  const SegmentInfo info = Write(1, 10);
  int visits = 0;
  const Status s = ReadSegment(info, [&visits](uint64_t seq, std::string_view) {
    ++visits;
    return seq == 3 ? Status::InvalidArgument("stop") : Status::OK();
  });
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(visits, 3);
}

// Corruption before any record, naming the range; with `past_trailer`, found
// by a check behind the trailer's.
void ExpectDamaged(const SegmentInfo& info, const std::string& what, bool past_trailer = false) {
  int visits = 0;
  const Status s = ReadSegment(info, [&visits](uint64_t, std::string_view) {
    ++visits;
    return Status::OK();
  });
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << what << ": " << s.ToString();
  EXPECT_EQ(visits, 0) << what << ": a record was handed out";
  const std::string range = "archive segment " + info.path + " (seq 1..60, LSN " + FormatLsn(info.first_lsn) + ".." +
                            FormatLsn(info.last_lsn) + ") is damaged: ";
  EXPECT_EQ(s.message().rfind(range, 0), 0u) << what << ": " << s.message();
  EXPECT_NE(s.message().find("; it is skipped"), std::string::npos) << what << ": " << s.message();
  if (past_trailer) {
    EXPECT_EQ(s.message().find("checksum does not match"), std::string::npos) << s.message();
  }
}

TEST_F(ArchiveTest, AnyFlippedByteIsCorruptionNamingTheRange) {
  const SegmentInfo info = Write(1, 60);
  const std::string original = ReadFile(info.path);
  ASSERT_GT(original.size(), 200u);
  // Every byte: the header, the zstd frame, the trailer.
  for (size_t at = 0; at < original.size(); ++at) {
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    WriteFile(info.path, damaged);
    ExpectDamaged(info, "byte " + std::to_string(at));
  }
}

TEST_F(ArchiveTest, EachLayerIsCheckedEvenWhenTheTrailerIsRecomputed) {
  const SegmentInfo info = Write(1, 60);
  const std::string original = ReadFile(info.path);
  // Damage that rewrites the trailer to match: the header check (a count, a
  // range field, the frame length) or zstd's own checksum must still catch it.
  for (size_t at : {8u, 16u, 24u, 40u, 56u, 72u, 79u, 100u, 150u}) {
    std::string damaged = original.substr(0, original.size() - 8);
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    const uint64_t sum = XXH64(damaged.data(), damaged.size(), 0);
    for (int shift = 56; shift >= 0; shift -= 8) damaged.push_back(static_cast<char>(sum >> shift));
    WriteFile(info.path, damaged);
    ExpectDamaged(info, "byte " + std::to_string(at) + " with a matching trailer", true);
  }
  // The frame's last four bytes are zstd's content checksum.
  std::string damaged = original.substr(0, original.size() - 8);
  damaged[damaged.size() - 1] = static_cast<char>(damaged.back() ^ 0x01);
  const uint64_t sum = XXH64(damaged.data(), damaged.size(), 0);
  for (int shift = 56; shift >= 0; shift -= 8) damaged.push_back(static_cast<char>(sum >> shift));
  WriteFile(info.path, damaged);
  ExpectDamaged(info, "zstd checksum", true);
}

TEST_F(ArchiveTest, TruncatedFileIsCorruption) {
  const SegmentInfo info = Write(1, 60);
  const std::string original = ReadFile(info.path);
  for (size_t size :
       {size_t{0}, size_t{7}, size_t{80}, size_t{88}, original.size() / 2, original.size() - 8, original.size() - 1}) {
    WriteFile(info.path, original.substr(0, size));
    ExpectDamaged(info, "truncated to " + std::to_string(size));
  }
  WriteFile(info.path, original + "x");
  ExpectDamaged(info, "a byte appended");
}

}  // namespace
}  // namespace walguard

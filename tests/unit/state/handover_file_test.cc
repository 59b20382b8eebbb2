// The handover file: the firing set beside the database, checksummed and
// replaced atomically, kept in step with the commits that change it.
#include "state/handover_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Pair = std::pair<std::string, std::string>;

// (fingerprint, alert_id) pairs: FiringAlert has no ==.
std::vector<Pair> Pairs(const std::vector<FiringAlert>& firing) {
  std::vector<Pair> out;
  for (const FiringAlert& a : firing) out.emplace_back(a.fingerprint, a.alert_id);
  return out;
}

HandoverFile Sample() {
  HandoverFile f;
  f.lsn = 0x16B374D848;
  f.firing = {{"tier_sold_out:tier:7", "0b6c3c0e-0000-8000-8000-000000000001"},
              {"ledger_unbalanced:ledger_transaction:tx-9", "0b6c3c0e-0000-8000-8000-000000000002"}};
  return f;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(HandoverFileCodec, RoundTrips) {
  const HandoverFile f = Sample();
  HandoverFile back;
  ASSERT_OK(DecodeHandoverFile(EncodeHandoverFile(f), &back));
  EXPECT_EQ(back.lsn, f.lsn);
  EXPECT_EQ(Pairs(back.firing), Pairs(f.firing));
  HandoverFile empty;
  ASSERT_OK(DecodeHandoverFile(EncodeHandoverFile(HandoverFile{}), &empty));
  EXPECT_TRUE(empty.firing.empty());
}

TEST(HandoverFileCodec, EveryTruncationIsDetected) {
  const std::string bytes = EncodeHandoverFile(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    HandoverFile out;
    Status s = DecodeHandoverFile(std::string_view(bytes).substr(0, n), &out);
    EXPECT_TRUE(s.IsCorruption()) << "cut at " << n << ": " << s.ToString();
  }
}

TEST(HandoverFileCodec, EveryFlippedBitIsDetected) {
  const std::string bytes = EncodeHandoverFile(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string garbled = bytes;
      garbled[i] = static_cast<char>(garbled[i] ^ (1 << bit));
      HandoverFile out;
      EXPECT_TRUE(DecodeHandoverFile(garbled, &out).IsCorruption()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(HandoverFileIo, RewriteReplacesTheWholeFile) {
  TempDir tmp;
  const std::string path = HandoverFilePath(tmp.path());
  HandoverFile out;
  EXPECT_TRUE(ReadHandoverFile(path, &out).IsNotFound());
  ASSERT_OK(WriteHandoverFile(path, Sample()));
  HandoverFile smaller;
  smaller.lsn = 7;
  smaller.firing = {{"fp", "id"}};
  ASSERT_OK(WriteHandoverFile(path, smaller));
  ASSERT_OK(ReadHandoverFile(path, &out));
  EXPECT_EQ(out.lsn, 7u);
  EXPECT_THAT(Pairs(out.firing), ElementsAre(Pair{"fp", "id"}));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(HandoverFileIo, AFailedRewriteLeavesTheOldFile) {
  TempDir tmp;
  const std::string path = HandoverFilePath(tmp.path());
  ASSERT_OK(WriteHandoverFile(path, Sample()));
  std::filesystem::create_directory(path + ".tmp");  // the temp file cannot be created
  Status s = WriteHandoverFile(path, HandoverFile{});
  EXPECT_FALSE(s.ok());
  HandoverFile out;
  ASSERT_OK(ReadHandoverFile(path, &out));
  EXPECT_EQ(Pairs(out.firing), Pairs(Sample().firing));
}

TEST(HandoverFileIo, ATruncatedOrGarbledFileIsCorruption) {
  TempDir tmp;
  const std::string path = HandoverFilePath(tmp.path());
  ASSERT_OK(WriteHandoverFile(path, Sample()));
  const std::string bytes = ReadBytes(path);
  std::filesystem::resize_file(path, bytes.size() - 3);
  HandoverFile out;
  Status s = ReadHandoverFile(path, &out);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(path));
  std::string garbled = bytes;
  garbled[10] = static_cast<char>(garbled[10] ^ 0x40);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << garbled;
  EXPECT_TRUE(ReadHandoverFile(path, &out).IsCorruption());
}

class HandoverFileStoreTest : public testing::Test {
 protected:
  void Open() {
    store_.reset();
    ASSERT_OK(StateStore::Open(dir_, &store_));
  }

  Status CommitStep(Lsn lsn, const std::vector<std::pair<std::string, std::string>>& puts) {
    auto batch = store_->NewBatch();
    for (const auto& [k, v] : puts) {
      if (v.empty()) {
        batch->Delete(k);
      } else {
        batch->Put(k, v);
      }
    }
    Checkpoint cp;
    cp.lsn = lsn;
    cp.snapshot_done = true;
    batch->SetCheckpoint(cp);
    return store_->Commit(batch.get(), true);
  }

  HandoverFile ReadFile() {
    HandoverFile f;
    Status s = ReadHandoverFile(HandoverFilePath(dir_), &f);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return f;
  }

  TempDir tmp_;
  const std::string dir_ = tmp_.path() + "/state";
  std::unique_ptr<StateStore> store_;
};

TEST_F(HandoverFileStoreTest, FollowsTheFiringSetCommitByCommit) {
  Open();
  ASSERT_OK(CommitStep(0x10, {{"Ffp1", "id1"}, {"Atier", "x"}}));
  EXPECT_EQ(ReadFile().lsn, 0x10u);
  EXPECT_THAT(Pairs(ReadFile().firing), ElementsAre(Pair{"fp1", "id1"}));
  ASSERT_OK(CommitStep(0x20, {{"Ffp2", "id2"}, {"Ffp1", ""}}));
  EXPECT_EQ(ReadFile().lsn, 0x20u);
  EXPECT_THAT(Pairs(ReadFile().firing), ElementsAre(Pair{"fp2", "id2"}));
}

TEST_F(HandoverFileStoreTest, ACommitThatLeavesTheFiringSetAloneDoesNotRewriteIt) {
  Open();
  ASSERT_OK(CommitStep(0x10, {{"Ffp1", "id1"}}));
  std::filesystem::remove(HandoverFilePath(dir_));
  ASSERT_OK(CommitStep(0x20, {{"Atier", "y"}, {"Rrow", "image"}}));
  EXPECT_FALSE(std::filesystem::exists(HandoverFilePath(dir_)));
}

TEST_F(HandoverFileStoreTest, OpenBringsAFileOneStepBehindUpToDate) {
  Open();
  ASSERT_OK(CommitStep(0x10, {{"Ffp1", "id1"}}));
  // As if the process died between a commit and the file's rewrite.
  ASSERT_OK(WriteHandoverFile(HandoverFilePath(dir_), HandoverFile{}));
  Open();
  EXPECT_EQ(ReadFile().lsn, 0x10u);
  EXPECT_THAT(Pairs(ReadFile().firing), ElementsAre(Pair{"fp1", "id1"}));
}

TEST_F(HandoverFileStoreTest, AWipeKeepsTheOldSetUntilTheSnapshotCommits) {
  Open();
  ASSERT_OK(CommitStep(0x10, {{"Ffp1", "id1"}}));
  ASSERT_OK(store_->Wipe());
  // A snapshot chunk: no checkpoint, the file still holds the old set.
  auto chunk = store_->NewBatch();
  chunk->Put("Rrow", "image");
  ASSERT_OK(store_->Commit(chunk.get(), false));
  EXPECT_THAT(Pairs(ReadFile().firing), ElementsAre(Pair{"fp1", "id1"}));
  Open();  // a restart in the middle of the snapshot
  EXPECT_THAT(Pairs(ReadFile().firing), ElementsAre(Pair{"fp1", "id1"}));
  // The snapshot's last commit: nothing fires any more.
  ASSERT_OK(CommitStep(0x30, {}));
  EXPECT_EQ(ReadFile().lsn, 0x30u);
  EXPECT_TRUE(ReadFile().firing.empty());
}

}  // namespace
}  // namespace walguard

// The handover file: the firing set beside the database, checksummed and
// replaced atomically, kept in step with the commits that change it.
#include "state/handover_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/firing_alert.h"
#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"
#include "util/coding.h"

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

// The facts a --resnapshot continues an alert with (core/firing_alert.h).
FiringAlert WithFacts(std::string fingerprint, std::string id, bool historical, bool repeats) {
  FiringAlert a{std::move(fingerprint), std::move(id)};
  a.historical = historical;
  if (repeats) a.repeat = RepeatSchedule{1'700'000'600'000'000, 1'700'000'000'000'000, R"({"payment_id":"p3"})"};
  return a;
}

TEST(HandoverFileCodec, CarriesTheHistoricalMarkAndTheRepeat) {
  HandoverFile f;
  f.lsn = 0x20;
  f.firing = {WithFacts("a:payment:1", "id-a", true, false), WithFacts("b:payment:2", "id-b", false, true),
              WithFacts("c:payment:3", "id-c", true, true), WithFacts("d:payment:4", "id-d", false, false)};
  HandoverFile back;
  ASSERT_OK(DecodeHandoverFile(EncodeHandoverFile(f), &back));
  EXPECT_EQ(back.firing, f.firing);
}

TEST(HandoverFileCodec, AFileWrittenBeforeTheFactsIsStillRead) {
  // "WGH1": fingerprint and alert id only.
  std::string bytes = "WGH1";
  PutFixed64BE(&bytes, 0x16B3);
  PutVarint64(&bytes, 1);
  PutLengthPrefixed(&bytes, "tier_sold_out:tier:7");
  PutLengthPrefixed(&bytes, "id-7");
  PutFixed64BE(&bytes, XXH64(bytes.data(), bytes.size(), 0));
  HandoverFile out;
  ASSERT_OK(DecodeHandoverFile(bytes, &out));
  EXPECT_EQ(out.lsn, 0x16B3u);
  EXPECT_EQ(out.firing, std::vector<FiringAlert>{WithFacts("tier_sold_out:tier:7", "id-7", false, false)});
  // The same body under the new magic lacks its facts: damaged, not silently plain.
  bytes.replace(0, 4, "WGH2");
  bytes.resize(bytes.size() - 8);
  PutFixed64BE(&bytes, XXH64(bytes.data(), bytes.size(), 0));
  EXPECT_TRUE(DecodeHandoverFile(bytes, &out).IsCorruption());
}

TEST(HandoverValue, RoundTripsAndReadsAnOldBareId) {
  for (const FiringAlert& a :
       {WithFacts("f:payment:1", "id-1", false, false), WithFacts("f:payment:1", "id-1", true, true)}) {
    FiringAlert back{a.fingerprint};
    ASSERT_TRUE(DecodeHandoverValue(EncodeHandoverValue(a), &back));
    EXPECT_EQ(back, a);
  }
  FiringAlert old{"f:payment:1"};
  ASSERT_TRUE(DecodeHandoverValue("id-1", &old));
  EXPECT_EQ(old, WithFacts("f:payment:1", "id-1", false, false));
  std::string damaged = EncodeHandoverValue(WithFacts("f:payment:1", "id-1", true, true));
  damaged.pop_back();
  EXPECT_FALSE(DecodeHandoverValue(damaged, &old));
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

TEST_F(HandoverFileStoreTest, FollowsTheMarkAndTheRepeatTimerToo) {
  Open();
  const FiringAlert pix = WithFacts("pix:payment:3", "id3", true, false);
  ASSERT_OK(CommitStep(0x10, {{"F" + pix.fingerprint, pix.alert_id}, {"G" + pix.fingerprint, "set"}}));
  EXPECT_EQ(ReadFile().firing, std::vector<FiringAlert>{pix});
  // A repeat fired: its timer moved on. The file follows, though 'F' did not change.
  const FiringAlert repeating = WithFacts("pix:payment:3", "id3", true, true);
  const RepeatSchedule& r = *repeating.repeat;
  ASSERT_OK(CommitStep(0x20, {{RepeatTimerKey(r.deadline, pix.fingerprint),
                               EncodeRepeatTimerValue({r.base, pix.alert_id, r.command_args})}}));
  EXPECT_EQ(ReadFile().lsn, 0x20u);
  EXPECT_EQ(ReadFile().firing, std::vector<FiringAlert>{repeating});
}

TEST_F(HandoverFileStoreTest, TheKeptHandoverCarriesTheFacts) {
  Open();
  const std::vector<FiringAlert> handover = {WithFacts("a:payment:1", "id-a", true, true),
                                             WithFacts("b:payment:2", "id-b", false, false)};
  ASSERT_OK(store_->WriteHandover(handover));
  Open();
  std::vector<FiringAlert> back;
  ASSERT_OK(store_->ReadHandover(&back));
  EXPECT_EQ(back, handover);
}

}  // namespace
}  // namespace walguard

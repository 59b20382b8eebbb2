// The state directory's format version (keys::kFormatVersion) and what Wipe
// keeps: a state of another layout is refused, or rebuilt by --resnapshot,
// never read as if it were this binary's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "state/state_store.h"
#include "util/coding.h"

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kCurrent = std::to_string(keys::kStateFormatVersion);

class StateFormatTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = root_ + "/state"; }

  void TearDown() override { store_.reset(); }

  void Open(const StateOpenOptions& options = {}) {
    store_.reset();  // RocksDB allows one open handle per directory
    Status s = StateStore::Open(dir_, &store_, options);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(store_, nullptr);
  }

  // Opens expecting a refusal; the store stays closed.
  Status OpenRefused() {
    store_.reset();
    Status s = StateStore::Open(dir_, &store_);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(store_, nullptr);
    store_.reset();
    return s;
  }

  std::string Read(std::string_view key) {
    std::string value;
    Status s = store_->NewBatch()->Get(key, &value);
    if (s.IsNotFound()) return "<absent>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  void Write(std::string_view key, std::string_view value) {
    auto batch = store_->NewBatch();
    batch->Put(key, value);
    ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  }

  void Erase(std::string_view key) {
    auto batch = store_->NewBatch();
    batch->Delete(key);
    ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  }

  // A state as a run leaves it: processor keys, two outbox entries, a
  // checkpoint and a handover.
  void Populate() {
    auto batch = store_->NewBatch();
    batch->Put("Atier", "aggregate");
    batch->Put("Ffp", "id-0");
    batch->AppendOutbox({{Topic::kAlerts, "fp", "{}"}, {Topic::kCommands, "fp", "{}"}}, nullptr);
    Checkpoint cp;
    cp.lsn = 0x4000;
    cp.snapshot_done = true;
    cp.system_id = "7301234567890123456";
    cp.slot = "walguard";
    batch->SetCheckpoint(cp);
    ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
    ASSERT_TRUE(store_->WriteHandover({{"stuck_holds:tier:1", "id-1"}}).ok());
  }

  std::vector<std::string> AllKeys() {
    std::vector<std::string> out;
    Status s = store_->NewBatch()->Scan(std::string(1, '\0'), std::string(8, '\xff'),
                                        [&](std::string_view k, std::string_view) {
                                          out.emplace_back(k);
                                          return true;
                                        });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  TempDir tmp_{"wg-format-test"};
  const std::string root_ = tmp_.path();
  std::string dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(StateFormatTest, AFreshDirectoryIsMarkedAndReopens) {
  Open();
  EXPECT_EQ(Read(keys::kFormatVersion), kCurrent);
  EXPECT_THAT(AllKeys(), ElementsAre(std::string(keys::kFormatVersion)));
  Populate();
  Open();
  EXPECT_EQ(Read(keys::kFormatVersion), kCurrent);
  EXPECT_EQ(Read("Atier"), "aggregate");
  EXPECT_EQ(store_->outbox_count(), 2u);
}

TEST_F(StateFormatTest, AnotherVersionIsRefusedWithTheWayOut) {
  Open();
  Populate();
  Write(keys::kFormatVersion, "999");
  Status s = OpenRefused();
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(dir_));
  EXPECT_THAT(s.message(), HasSubstr("format version 999"));
  EXPECT_THAT(s.message(), HasSubstr("reads format version " + kCurrent));
  EXPECT_THAT(s.message(), HasSubstr("move it aside"));
  EXPECT_THAT(s.message(), HasSubstr("--resnapshot"));
  // Refusing changed nothing: the rebuild still finds the old state.
  Open({.allow_other_format = true});
  EXPECT_EQ(Read(keys::kFormatVersion), kCurrent);
}

TEST_F(StateFormatTest, AnUnreadableVersionIsRefused) {
  Open();
  Write(keys::kFormatVersion, "1x");
  Status s = OpenRefused();
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("unreadable format version \"1x\""));
  EXPECT_THAT(s.message(), HasSubstr("--resnapshot"));
}

// walguard before the version key wrote format 1 without marking it: read as
// version 1, which this walguard (format 2 since the context columns in row
// images) refuses like any other version.
TEST_F(StateFormatTest, ALegacyDirectoryIsVersionOneAndRefused) {
  ASSERT_EQ(keys::kStateFormatVersion, 2);
  Open();
  Populate();
  Erase(keys::kFormatVersion);
  ASSERT_EQ(Read(keys::kFormatVersion), "<absent>");
  Status s = OpenRefused();
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("has format version 1, but this walguard reads format version 2"));
  EXPECT_THAT(s.message(), HasSubstr("--resnapshot"));
}

TEST_F(StateFormatTest, TheRebuildOpensAnotherVersionKeepingOutboxAndHandover) {
  Open();
  Populate();
  Write(keys::kFormatVersion, "999");
  // A checkpoint of another layout need not decode: the rebuild never reads it.
  Write(keys::kCheckpoint, "\xff\xff garbage");
  Open({.allow_other_format = true});
  EXPECT_EQ(Read(keys::kFormatVersion), kCurrent);
  Checkpoint cp;
  EXPECT_TRUE(store_->ReadCheckpoint(&cp).IsNotFound());
  EXPECT_EQ(Read("Atier"), "<absent>");
  EXPECT_EQ(Read("Ffp"), "<absent>");
  EXPECT_EQ(store_->outbox_count(), 2u);
  std::vector<OutboxEntry> outbox;
  ASSERT_TRUE(store_->ReadOutbox(0, 10, &outbox).ok());
  EXPECT_EQ(outbox.size(), 2u);
  std::vector<FiringAlert> handover;
  ASSERT_TRUE(store_->ReadHandover(&handover).ok());
  ASSERT_EQ(handover.size(), 1u);
  EXPECT_EQ(handover[0].alert_id, "id-1");
  // Rebuilt: an ordinary open accepts it now.
  Open();
  EXPECT_EQ(store_->outbox_count(), 2u);
}

TEST_F(StateFormatTest, TheRebuildOptionLeavesAStateOfThisVersionAlone) {
  Open();
  Populate();
  Open({.allow_other_format = true});
  EXPECT_EQ(Read("Atier"), "aggregate");
  Checkpoint cp;
  EXPECT_TRUE(store_->ReadCheckpoint(&cp).ok());
}

// One key under every tag of core/key_layout.h, and keys before, between
// and after them: Wipe keeps exactly keys::kKeptByWipe.
TEST_F(StateFormatTest, WipeKeepsExactlyTheKeptPrefixes) {
  Open();
  std::vector<std::string> all = {std::string(1, '\0'), "0", "~", "~b", "~z", "\x7f", std::string(6, '\xff')};
  for (char tag : {keys::kAggregate, keys::kDisabledRule, keys::kFiring, keys::kLedgerIndex, keys::kOverbooked,
                   keys::kPaymentIndex, keys::kRowImage, keys::kScalar, keys::kTimer}) {
    all.push_back(std::string(1, tag) + "key");
  }
  all.push_back(std::string(keys::kClockKey));
  for (std::string_view tag :
       {keys::kArchiveBuffer, keys::kCheckpoint, keys::kHandover, keys::kOutbox, keys::kArchiveSeq}) {
    all.push_back(std::string(tag));
    all.push_back(std::string(tag) + "key");
    all.push_back(std::string(tag) + std::string(3, '\xff'));
  }
  for (const std::string& key : all) Write(key, "v");
  Write(keys::kFormatVersion, kCurrent);
  std::string next_archive_seq;  // the reopen below reads the counter
  PutFixed64BE(&next_archive_seq, 1);
  Write(keys::kArchiveSeq, next_archive_seq);

  ASSERT_TRUE(store_->Wipe().ok());
  std::vector<std::string> kept;
  for (std::string_view tag : keys::kKeptByWipe) {
    if (tag == keys::kFormatVersion) {
      kept.emplace_back(tag);
      continue;
    }
    kept.push_back(std::string(tag));
    kept.push_back(std::string(tag) + "key");
    kept.push_back(std::string(tag) + std::string(3, '\xff'));
  }
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(AllKeys(), kept);
  EXPECT_EQ(Read(keys::kFormatVersion), kCurrent);
  // The deletion is durable, not a view of this handle.
  Open();
  EXPECT_EQ(AllKeys(), kept);
}

}  // namespace
}  // namespace walguard

// StateStore::OpenReadOnly: `walguard state` reads a directory that a
// running walguard holds open read-write, follows its commits on CatchUp,
// refuses a state of another format as Open does, and can write nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "core/key_layout.h"
#include "state/state_store.h"

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

class StateReadOnlyTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = root_ + "/state";
    scratch_ = root_ + "/scratch";
    std::filesystem::create_directory(scratch_);
  }

  void TearDown() override {
    reader_.reset();
    writer_.reset();
  }

  void OpenWriter() {
    Status s = StateStore::Open(dir_, &writer_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Write(std::string_view key, std::string_view value) {
    std::unique_ptr<StateBatch> batch = writer_->NewBatch();
    batch->Put(key, value);
    Checkpoint cp;
    cp.lsn = 0x1000;
    batch->SetCheckpoint(cp);
    Status s = writer_->Commit(batch.get(), /*sync=*/true);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  Status OpenReader() { return StateStore::OpenReadOnly(dir_, scratch_, &reader_); }

  // NotFound as "<absent>", so a test can compare in one line.
  std::string Read(std::string_view key) {
    std::string value;
    Status s = reader_->NewBatch()->Get(key, &value);
    if (s.IsNotFound()) return "<absent>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  TempDir tmp_{"wg-readonly-test"};
  const std::string root_ = tmp_.path();
  std::string dir_, scratch_;
  std::unique_ptr<StateStore> writer_, reader_;
};

TEST_F(StateReadOnlyTest, ReadsWhileAnotherStoreHoldsTheDirectoryAndCatchesUp) {
  OpenWriter();
  Write("Fone", "alert-1");
  ASSERT_TRUE(OpenReader().ok());  // the writer still holds RocksDB's lock
  EXPECT_TRUE(reader_->read_only());
  EXPECT_EQ(Read("Fone"), "alert-1");
  Checkpoint cp;
  ASSERT_TRUE(reader_->ReadCheckpoint(&cp).ok());
  EXPECT_EQ(cp.lsn, 0x1000u);

  Write("Ftwo", "alert-2");
  EXPECT_EQ(Read("Ftwo"), "<absent>");  // the view is the one it opened on
  Status s = reader_->CatchUp();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Read("Ftwo"), "alert-2");
  int firing = 0;
  ASSERT_TRUE(ScanPrefix(reader_->NewBatch().get(), "F", [&](std::string_view, std::string_view) {
                ++firing;
                return true;
              }).ok());
  EXPECT_EQ(firing, 2);
}

TEST_F(StateReadOnlyTest, ReadsAStateNoWalguardHolds) {
  OpenWriter();
  Write("Fone", "alert-1");
  writer_.reset();
  ASSERT_TRUE(OpenReader().ok());
  EXPECT_EQ(Read("Fone"), "alert-1");
  // Nothing was written: a writer opens it afterwards as before.
  OpenWriter();
}

// An entity's index entries, scanned in prefix mode: from table files too.
TEST_F(StateReadOnlyTest, ScansAnIndexPrefixAfterAFlush) {
  OpenWriter();
  Write("Pintent/pay-1", "a");
  Write("Pintent/pay-2", "b");
  Write("Pintent2/pay-3", "c");
  ASSERT_TRUE(writer_->FlushMemtables().ok());
  ASSERT_TRUE(OpenReader().ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(ScanPrefix(reader_->NewBatch().get(), "Pintent/", [&](std::string_view key, std::string_view) {
                seen.emplace_back(key);
                return true;
              }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"Pintent/pay-1", "Pintent/pay-2"}));
}

TEST_F(StateReadOnlyTest, RefusesEveryWrite) {
  OpenWriter();
  Write("Fone", "alert-1");
  ASSERT_TRUE(OpenReader().ok());
  std::unique_ptr<StateBatch> batch = reader_->NewBatch();
  Checkpoint cp;
  cp.lsn = 0x2000;
  batch->SetCheckpoint(cp);  // staged without Put: only Commit can refuse it
  Status s = reader_->Commit(batch.get(), /*sync=*/true);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(reader_->Wipe().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reader_->WriteHandover({{"x:tier:1", "id"}}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reader_->DeleteOutbox({1}).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reader_->DeleteArchiveBuffer(1).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reader_->SkipArchiveSeqs(5).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(reader_->SyncWal().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(reader_->CatchUp().ok());
  EXPECT_EQ(Read("Fone"), "alert-1");
  ASSERT_TRUE(reader_->ReadCheckpoint(&cp).ok());
  EXPECT_EQ(cp.lsn, 0x1000u);
}

#ifndef NDEBUG
TEST_F(StateReadOnlyTest, PutThroughAReadOnlyBatchAsserts) {
  OpenWriter();
  ASSERT_TRUE(OpenReader().ok());
  EXPECT_DEATH(reader_->NewBatch()->Put("Fx", "y"), "read-only");
}
#endif

TEST_F(StateReadOnlyTest, RefusesAnotherFormatWithOpensMessage) {
  OpenWriter();
  Write(keys::kFormatVersion, "99");
  writer_.reset();
  Status refused = StateStore::Open(dir_, &writer_);
  ASSERT_TRUE(refused.IsFatal()) << refused.ToString();
  Status s = OpenReader();
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_EQ(s.message(), refused.message());
  EXPECT_EQ(reader_, nullptr);
}

TEST_F(StateReadOnlyTest, NoStateIsInvalidArgument) {
  Status s = OpenReader();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(dir_), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(dir_));  // nothing created
}

}  // namespace
}  // namespace walguard

// A transaction applied in parts (state/partial_transaction.h): parts
// committed without a checkpoint are undone on reopen unless the final
// batch committed; either way nothing of the parts' bookkeeping stays.
#include "state/partial_transaction.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "state/state_store.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

class PartialTransactionTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/state";
    Reopen();
    // The state as of the checkpoint: two rows and one archived step.
    auto batch = store_->NewBatch();
    batch->Put("Ra", "a0");
    batch->Put("Rb", "b0");
    batch->AppendArchive(10, 1, "step");
    batch->SetCheckpoint(Checkpoint{.lsn = 10, .snapshot_done = true, .system_id = "s", .slot = "slot"});
    Commit(batch.get(), /*sync=*/true);
  }

  void TearDown() override { store_.reset(); }

  void Reopen() {
    store_.reset();
    Status s = StateStore::Open(dir_, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Commit(StateBatch* batch, bool sync) {
    Status s = store_->Commit(batch, sync);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Two parts of transaction 77, each committed without a checkpoint, as
  // the pipeline commits them; the batch is returned open for the final one.
  std::unique_ptr<StateBatch> CommitTwoParts() {
    auto batch = store_->NewBatch();
    batch->BeginPartial(77);
    UndoLogKv undo(batch.get());
    undo.Put("Ra", "a1");
    undo.Put("Rc", "c1");
    undo.Put(std::string(keys::kPartialDirty) + "tT1", "");
    batch->AppendArchive(20, 2, "part 1");
    Commit(batch.get(), /*sync=*/false);
    undo.Put("Ra", "a2");  // saved once: the undo keeps a0
    undo.Delete("Rb");
    batch->AppendArchive(20, 2, "part 2");
    Commit(batch.get(), /*sync=*/false);
    EXPECT_TRUE(undo.status().ok()) << undo.status().ToString();
    return batch;
  }

  std::map<std::string, std::string> All() {
    std::map<std::string, std::string> all;
    auto view = store_->NewBatch();
    Status s = view->Scan("", "\xff", [&](std::string_view k, std::string_view v) {
      all.emplace(k, v);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return all;
  }

  // The processor rows and whether anything of the parts is left.
  std::map<std::string, std::string> Rows() {
    std::map<std::string, std::string> rows;
    for (const auto& [k, v] : All()) {
      if (k.starts_with("R")) rows.emplace(k, v);
    }
    return rows;
  }

  bool AnyPartialKey() {
    for (const auto& [k, v] : All()) {
      if (k.starts_with(keys::kPartial)) return true;
    }
    return false;
  }

  std::vector<std::string> ArchivedRecords() {
    std::vector<ArchiveBufferEntry> entries;
    Status s = store_->ReadArchiveBuffer(0, 1 << 20, &entries);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string> records;
    for (const ArchiveBufferEntry& e : entries) records.push_back(e.bytes);
    return records;
  }

  TempDir tmp_{"wg-partial-txn"};
  std::string dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(PartialTransactionTest, PartsWithoutTheirCommitAreUndoneOnReopen) {
  {
    auto batch = CommitTwoParts();
    EXPECT_EQ(Rows(), (std::map<std::string, std::string>{{"Ra", "a2"}, {"Rc", "c1"}}));
    EXPECT_EQ(ArchivedRecords(), (std::vector<std::string>{"step", "part 1", "part 2"}));
  }
  Reopen();  // as after a kill -9
  EXPECT_EQ(Rows(), (std::map<std::string, std::string>{{"Ra", "a0"}, {"Rb", "b0"}}));
  EXPECT_FALSE(AnyPartialKey());
  EXPECT_EQ(ArchivedRecords(), std::vector<std::string>{"step"});
  EXPECT_EQ(store_->next_archive_seq(), 2u);  // the parts' seqs are taken again
  Checkpoint cp;
  ASSERT_TRUE(store_->ReadCheckpoint(&cp).ok());
  EXPECT_EQ(cp.lsn, 10u);
}

TEST_F(PartialTransactionTest, RollBackInProcessSaysWhichTransactionAndIsIdempotent) {
  { auto batch = CommitTwoParts(); }
  uint32_t xid = 0;
  ASSERT_TRUE(store_->RollBackPartial(&xid).ok());
  EXPECT_EQ(xid, 77u);
  EXPECT_EQ(store_->next_archive_seq(), 2u);
  ASSERT_TRUE(store_->RollBackPartial(&xid).ok());
  EXPECT_EQ(xid, 0u);  // nothing left to undo
  EXPECT_EQ(Rows(), (std::map<std::string, std::string>{{"Ra", "a0"}, {"Rb", "b0"}}));
  // The next batch numbers its records right after the checkpoint's.
  auto batch = store_->NewBatch();
  batch->AppendArchive(30, 3, "next");
  Commit(batch.get(), true);
  EXPECT_EQ(ArchivedRecords(), (std::vector<std::string>{"step", "next"}));
}

TEST_F(PartialTransactionTest, ACommittedTransactionKeepsItsPartsAndDropsTheRestOnReopen) {
  {
    auto batch = CommitTwoParts();
    batch->EndPartial();
    batch->AppendArchive(20, 2, "commit");
    batch->SetCheckpoint(Checkpoint{.lsn = 20, .snapshot_done = true, .system_id = "s", .slot = "slot"});
    Commit(batch.get(), /*sync=*/true);
    // Killed before DropPartial.
    EXPECT_TRUE(AnyPartialKey());
  }
  Reopen();
  EXPECT_EQ(Rows(), (std::map<std::string, std::string>{{"Ra", "a2"}, {"Rc", "c1"}}));
  EXPECT_FALSE(AnyPartialKey());
  EXPECT_EQ(ArchivedRecords(), (std::vector<std::string>{"step", "part 1", "part 2", "commit"}));
}

TEST_F(PartialTransactionTest, ARollbackOfManyKeysRunsInRounds) {
  {
    auto batch = store_->NewBatch();
    batch->BeginPartial(78);
    UndoLogKv undo(batch.get());
    for (int i = 0; i < 10'000; ++i) undo.Put("Rk" + std::to_string(i), "new");
    undo.Put("Ra", "a9");
    Commit(batch.get(), /*sync=*/false);
  }
  Reopen();
  EXPECT_EQ(Rows(), (std::map<std::string, std::string>{{"Ra", "a0"}, {"Rb", "b0"}}));
  EXPECT_FALSE(AnyPartialKey());
}

TEST(UndoLogKv, SavesTheOldValueOnceAndPassesPartialKeysThrough) {
  TempDir tmp("wg-undo-kv");
  std::unique_ptr<StateStore> store;
  ASSERT_TRUE(StateStore::Open(tmp.path() + "/state", &store).ok());
  auto batch = store->NewBatch();
  batch->Put("Rx", "old");
  UndoLogKv undo(batch.get());
  undo.Put("Rx", "new");
  undo.Put("Rx", "newer");
  undo.Delete("Ry");
  undo.Put(std::string(keys::kPartialDirty) + "tT", "");
  std::string value;
  ASSERT_TRUE(undo.Get(std::string(keys::kPartialUndo) + "Rx", &value).ok());
  EXPECT_EQ(value, EncodeUndo(true, "old"));
  ASSERT_TRUE(undo.Get(std::string(keys::kPartialUndo) + "Ry", &value).ok());
  EXPECT_EQ(value, EncodeUndo(false, ""));
  EXPECT_TRUE(undo.Get(std::string(keys::kPartialUndo) + std::string(keys::kPartialDirty) + "tT", &value).IsNotFound());
  ASSERT_TRUE(undo.Get("Rx", &value).ok());
  EXPECT_EQ(value, "newer");
}

}  // namespace
}  // namespace walguard

// A StateBatch reads exactly what a plain ordered map would hold: its staged
// writes (state/staged_writes.h) over the committed state, and the store's
// resident keys (state/resident_keys.h) kept equal to the database across
// commits, discarded batches, wipes, partial rollbacks and reopens.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "state/partial_transaction.h"
#include "state/rocksdb_options.h"
#include "state/staged_writes.h"
#include "state/state_store.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using Model = std::map<std::string, std::string>;

class StagedStateTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() + "/state";
    Reopen();
  }
  void TearDown() override {
    batch_.reset();
    store_.reset();
  }

  void Reopen() {
    batch_.reset();
    store_.reset();
    Status s = StateStore::Open(dir_, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    batch_ = store_->NewBatch();
  }

  void Commit() {
    Status s = store_->Commit(batch_.get(), /*sync=*/false);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The processor keys the batch sees, by a scan of [begin, end).
  Model ScanOf(std::string_view begin, std::string_view end) {
    Model seen;
    Status s = batch_->Scan(begin, end, [&](std::string_view k, std::string_view v) {
      EXPECT_TRUE(seen.empty() || seen.rbegin()->first < k) << "scan out of order at " << k;
      seen.emplace(k, v);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return seen;
  }

  std::string GetOr(std::string_view key, std::string_view absent) {
    std::string value;
    Status s = batch_->Get(key, &value);
    EXPECT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
    return s.ok() ? value : std::string(absent);
  }

  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<StateBatch> batch_;
};

// Random writes, reads, scans, commits, discarded batches, flushes and
// reopens over keys of resident tags ('F', 'O'), of ordinary ones ('A', 'R')
// and of the index keys scanned by prefix ('L', 'P': prefix mode, whose
// bloom filters skip the table files without the prefix).
TEST_F(StagedStateTest, ReadsMatchAnOrderedMapThroughCommitsDiscardsAndReopens) {
  std::mt19937 rng(20261203);
  const std::vector<std::string> tags = {"A", "F", "O", "R", "L", "P"};
  // "i1/" and "i12/" share their first bytes: a scan of one must not see the other's.
  const std::vector<std::string> ids = {"i1", "i12", "i2", "j"};
  auto random_prefix = [&] { return std::string(rng() % 2 == 0 ? "L" : "P") + ids[rng() % ids.size()] + "/"; };
  auto random_key = [&] {
    const std::string& tag = tags[rng() % tags.size()];
    if (tag == "L" || tag == "P") return random_prefix() + std::to_string(rng() % 5);
    return tag + std::to_string(rng() % 12);
  };
  Model committed;
  Model staged_view;  // what the open batch sees: committed plus its writes
  int commits = 0;
  for (int step = 0; step < 6000; ++step) {
    const std::string key = random_key();
    switch (rng() % 20) {
      case 0:
        Commit();
        committed = staged_view;
        ++commits;
        break;
      case 1:  // a batch dropped without a commit leaves nothing
        batch_ = store_->NewBatch();
        staged_view = committed;
        break;
      case 2:
        if (rng() % 4 == 0) {
          Commit();
          committed = staged_view;
          Reopen();
        } else if (rng() % 3 == 0) {
          ASSERT_TRUE(store_->FlushMemtables().ok());  // into table files, with their filters
        }
        break;
      case 3: {
        std::string begin = random_key();
        std::string end = random_key();
        if (end < begin) std::swap(begin, end);
        Model expected(staged_view.lower_bound(begin), staged_view.lower_bound(end));
        ASSERT_EQ(ScanOf(begin, end), expected) << "scan [" << begin << ", " << end << ") at step " << step;
        break;
      }
      case 4: {  // an entity's index entries, as ScanPrefix asks for them
        const std::string begin = random_prefix();
        std::string end = begin;
        end.back() = '0';
        ASSERT_TRUE(WithinOneIndexPrefix(begin, end));
        Model expected(staged_view.lower_bound(begin), staged_view.lower_bound(end));
        ASSERT_EQ(ScanOf(begin, end), expected) << "prefix scan [" << begin << ", " << end << ") at step " << step;
        break;
      }
      case 5:
      case 6:
      case 7:
        batch_->Delete(key);
        staged_view.erase(key);
        break;
      case 8:
      case 9:
      case 10:
      case 11: {
        const std::string value = "v" + std::to_string(step);
        batch_->Put(key, value);
        staged_view[key] = value;
        break;
      }
      default: {
        auto it = staged_view.find(key);
        ASSERT_EQ(GetOr(key, "<absent>"), it == staged_view.end() ? "<absent>" : it->second)
            << key << " at step " << step;
      }
    }
  }
  EXPECT_GT(commits, 100);
  Commit();
  Reopen();
  EXPECT_EQ(ScanOf("A", "S"), staged_view);
}

TEST_F(StagedStateTest, AWipeForgetsTheFiringSetHeldInMemory) {
  batch_->Put("Ffingerprint", "alert-1");
  Commit();
  ASSERT_EQ(GetOr("Ffingerprint", "<absent>"), "alert-1");  // now held in memory
  ASSERT_TRUE(store_->Wipe().ok());
  batch_ = store_->NewBatch();
  EXPECT_EQ(GetOr("Ffingerprint", "<absent>"), "<absent>");
}

TEST_F(StagedStateTest, APartialRollbackRestoresTheFiringSetHeldInMemory) {
  batch_->Put("Fkept", "alert-1");
  batch_->SetCheckpoint(Checkpoint{.lsn = 10, .snapshot_done = true, .system_id = "s", .slot = "slot"});
  Commit();
  ASSERT_EQ(GetOr("Fkept", "<absent>"), "alert-1");
  // Parts of a transaction that resolve it and fire another, never finished.
  batch_->BeginPartial(77);
  UndoLogKv undo(batch_.get());
  undo.Delete("Fkept");
  undo.Put("Fnew", "alert-2");
  Commit();
  ASSERT_TRUE(undo.status().ok()) << undo.status().ToString();
  ASSERT_EQ(GetOr("Fkept", "<absent>"), "<absent>");
  ASSERT_EQ(GetOr("Fnew", "<absent>"), "alert-2");

  uint32_t xid = 0;
  ASSERT_TRUE(store_->RollBackPartial(&xid).ok());
  EXPECT_EQ(xid, 77U);
  batch_ = store_->NewBatch();
  EXPECT_EQ(GetOr("Fkept", "<absent>"), "alert-1");
  EXPECT_EQ(GetOr("Fnew", "<absent>"), "<absent>");
}

TEST_F(StagedStateTest, ApproximateSizeCountsWhatTheBatchHoldsUntilItsCommit) {
  constexpr size_t kKey = 4 + StagedWrites::kEntryOverhead;  // "Rrow" and its index nodes
  batch_->Put("Rrow", std::string(10, 'x'));
  EXPECT_EQ(batch_->ApproximateSize(), kKey + 10);
  batch_->Put("Rrow", std::string(8, 'y'));  // fits in the bytes of the value it replaces
  batch_->Delete("Rrow");
  batch_->Put("Rrow", std::string(10, 'z'));
  EXPECT_EQ(batch_->ApproximateSize(), kKey + 10);
  batch_->Put("Rrow", std::string(100, 'w'));  // does not: new bytes
  EXPECT_EQ(batch_->ApproximateSize(), kKey + 10 + 100);
  EXPECT_EQ(GetOr("Rrow", "<absent>"), std::string(100, 'w'));
  Commit();
  EXPECT_EQ(batch_->ApproximateSize(), 0U);
  EXPECT_EQ(GetOr("Rrow", "<absent>"), std::string(100, 'w'));
}

TEST_F(StagedStateTest, AKeyFoundAbsentThenWrittenByAnotherBatchIsStillDeleted) {
  ASSERT_EQ(GetOr("Rrow", "<absent>"), "<absent>");  // the batch knows it absent...
  batch_->Put("Rrow", "mine");
  auto other = store_->NewBatch();
  other->Put("Rrow", "written meanwhile");  // ...until another batch commits it
  ASSERT_TRUE(store_->Commit(other.get(), /*sync=*/false).ok());
  batch_->Delete("Rrow");
  Commit();
  EXPECT_EQ(GetOr("Rrow", "<absent>"), "<absent>");
  Reopen();
  EXPECT_EQ(GetOr("Rrow", "<absent>"), "<absent>");
}

TEST_F(StagedStateTest, AKeyInsertedAndDeletedInOneBatchLeavesNothing) {
  batch_->Put("Rkept", "present");
  Commit();
  ASSERT_EQ(GetOr("Rnew", "<absent>"), "<absent>");
  batch_->Put("Rnew", "inserted");
  batch_->Delete("Rnew");
  ASSERT_EQ(GetOr("Rkept", "present"), "present");
  batch_->Put("Rkept", "updated");
  batch_->Delete("Rkept");
  Commit();
  Reopen();
  EXPECT_EQ(ScanOf("R", "S"), Model{});
}

TEST_F(StagedStateTest, AScanSeesWhatAnotherBatchCommittedSinceTheLastScan) {
  batch_->Put("Pintent/1", "a");
  Commit();
  ASSERT_EQ(ScanOf("Pintent/", "Pintent0"), (Model{{"Pintent/1", "a"}}));
  auto other = store_->NewBatch();
  other->Put("Pintent/2", "b");
  ASSERT_TRUE(store_->Commit(other.get(), /*sync=*/false).ok());
  EXPECT_EQ(ScanOf("Pintent/", "Pintent0"), (Model{{"Pintent/1", "a"}, {"Pintent/2", "b"}}));
  EXPECT_EQ(ScanOf("Pintent/2", "Pintent0"), (Model{{"Pintent/2", "b"}}));  // the bound moves with each scan
  EXPECT_EQ(ScanOf("Pintent/", "Pintent/2"), (Model{{"Pintent/1", "a"}}));
}

TEST_F(StagedStateTest, AScanInsideAScanVisitsBothRanges) {
  for (const char* key : {"La/1", "La/2", "Lb/1"}) batch_->Put(key, "x");
  Commit();
  std::vector<std::string> seen;
  Status s = batch_->Scan("La/", "La0", [&](std::string_view outer, std::string_view) {
    seen.emplace_back(outer);
    Status inner = batch_->Scan("Lb/", "Lb0", [&](std::string_view k, std::string_view) {
      seen.push_back("  " + std::string(k));
      return true;
    });
    EXPECT_TRUE(inner.ok()) << inner.ToString();
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"La/1", "  Lb/1", "La/2", "  Lb/1"}));
}

TEST(IndexPrefixTest, OnlyARangeInsideOneEntitysIndexPrefixReadsInPrefixMode) {
  using std::string_literals::operator""s;
  EXPECT_TRUE(WithinOneIndexPrefix("Pintent/", "Pintent0"));
  EXPECT_TRUE(WithinOneIndexPrefix("Ltxn/", "Ltxn/e9"));
  EXPECT_TRUE(WithinOneIndexPrefix("Bunit/\0\0\0\5"s, "Bunit/\0\0\0\x09"s));  // a unit's nights up to a date
  EXPECT_TRUE(WithinOneIndexPrefix("Htier/", "Htier0"));
  EXPECT_TRUE(WithinOneIndexPrefix("Pintent/", "Pintent/"));   // empty
  EXPECT_TRUE(WithinOneIndexPrefix("Pintent/", "Pinte"));      // empty: the end sorts first
  EXPECT_FALSE(WithinOneIndexPrefix("Pintent/", "Pintent1"));  // past the prefix
  EXPECT_FALSE(WithinOneIndexPrefix("Pintent/", "Pintent0a"));
  EXPECT_FALSE(WithinOneIndexPrefix("Pintent/", "Pintenu"));
  EXPECT_FALSE(WithinOneIndexPrefix("Pa/", "Pb/"));
  EXPECT_FALSE(WithinOneIndexPrefix("P", "Q"));                // no prefix: the whole tag
  EXPECT_FALSE(WithinOneIndexPrefix("Pintent", "Pintenu"));    // no '/'
  EXPECT_FALSE(WithinOneIndexPrefix("Rorders/", "Rorders0"));  // not an index tag
  EXPECT_FALSE(WithinOneIndexPrefix("T\x80", "T\x81"));
  // What the extractor computes: the key up to its first '/' after the tag.
  EXPECT_EQ(IndexPrefix()->Transform("Pintent/pay/1").ToString(), "Pintent/");
  EXPECT_FALSE(IndexPrefix()->InDomain("Rorders/1"));
  EXPECT_FALSE(IndexPrefix()->InDomain("Pintent"));
}

// Scans reuse one RocksDB iterator while the database is unchanged: a write
// that bypasses the batches (the outbox's deletes on delivery) must still be
// seen by the next scan.
TEST_F(StagedStateTest, AScanSeesADeleteThatBypassedTheBatches) {
  std::vector<OutboxEntry> appended;
  batch_->AppendOutbox({OutMessage{Topic::kAlerts, "k1", "{}"}, OutMessage{Topic::kAlerts, "k2", "{}"}}, &appended);
  Commit();
  ASSERT_EQ(appended.size(), 2u);
  const std::string begin(keys::kOutbox);
  const std::string end = begin + '\xff';
  ASSERT_EQ(ScanOf(begin, end).size(), 2u);
  ASSERT_TRUE(store_->DeleteOutbox({appended[0].seq}).ok());
  EXPECT_EQ(ScanOf(begin, end).size(), 1u);
  ASSERT_TRUE(store_->DeleteOutbox({appended[1].seq}).ok());
  EXPECT_EQ(ScanOf(begin, end), Model{});
}

}  // namespace
}  // namespace walguard

// StateStore: the RocksDB database holding processor state, the outbox and
// the checkpoint, written in one atomic batch per step.
#include "state/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/key_layout.h"
#include "processors/engine.h"
#include "tests/support/memory_kv.h"
#include "tests/support/temp_dir.h"
#include "util/time.h"

namespace walguard {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using KV = std::pair<std::string, std::string>;

class StateStoreTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = root_ + "/state"; }

  void TearDown() override { store_.reset(); }

  void Open() {
    store_.reset();  // RocksDB allows one open handle per directory
    Status s = StateStore::Open(dir_, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(store_, nullptr);
  }

  // Reads a key as a fresh batch (committed state only) sees it.
  std::string Read(std::string_view key) {
    std::string value;
    Status s = store_->NewBatch()->Get(key, &value);
    if (s.IsNotFound()) return "<absent>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  std::vector<KV> ScanAll(KvTxn* kv, std::string_view begin = "", std::string_view end = "\x7f") {
    std::vector<KV> out;
    Status s = kv->Scan(begin, end, [&](std::string_view k, std::string_view v) {
      out.emplace_back(std::string(k), std::string(v));
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  std::vector<OutboxEntry> Outbox(uint64_t after = 0, size_t limit = 1000) {
    std::vector<OutboxEntry> out;
    Status s = store_->ReadOutbox(after, limit, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static std::vector<uint64_t> Seqs(const std::vector<OutboxEntry>& entries) {
    std::vector<uint64_t> seqs;
    for (const OutboxEntry& e : entries) seqs.push_back(e.seq);
    return seqs;
  }

  // Commits `n` messages (keys k<first>..) in one batch; returns their entries.
  std::vector<OutboxEntry> CommitMessages(int first, int n, bool with_checkpoint) {
    auto batch = store_->NewBatch();
    std::vector<OutMessage> messages;
    for (int i = first; i < first + n; ++i) {
      messages.push_back({Topic::kAlerts, "k" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}"});
    }
    std::vector<OutboxEntry> appended;
    batch->AppendOutbox(messages, &appended);
    if (with_checkpoint) {
      Checkpoint cp;
      cp.lsn = 0x1000 + static_cast<Lsn>(first);
      cp.snapshot_done = true;
      batch->SetCheckpoint(cp);
    }
    Status s = store_->Commit(batch.get(), /*sync=*/true);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return appended;
  }

  TempDir tmp_{"wg-state-test"};
  const std::string root_ = tmp_.path();
  std::string dir_;
  std::unique_ptr<StateStore> store_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST_F(StateStoreTest, OpenCreatesAnOwnerOnlyDirectory) {
  Open();
  EXPECT_TRUE(std::filesystem::is_directory(dir_));
  EXPECT_EQ(ModeOf(dir_), 0700u);
  Checkpoint cp;
  EXPECT_TRUE(store_->ReadCheckpoint(&cp).IsNotFound());
  EXPECT_EQ(store_->outbox_count(), 0u);
  EXPECT_THAT(Outbox(), IsEmpty());
}

TEST_F(StateStoreTest, OpenTightensAnExistingDirectory) {
  std::filesystem::create_directories(dir_);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  Open();
  EXPECT_EQ(ModeOf(dir_), 0700u);
}

TEST_F(StateStoreTest, BatchReadsSeeItsOwnWrites) {
  Open();
  auto batch = store_->NewBatch();
  std::string value;
  EXPECT_TRUE(batch->Get("Ak1", &value).IsNotFound());
  batch->Put("Ak1", "v1");
  ASSERT_TRUE(batch->Get("Ak1", &value).ok());
  EXPECT_EQ(value, "v1");
  batch->Put("Ak1", "v2");
  ASSERT_TRUE(batch->Get("Ak1", &value).ok());
  EXPECT_EQ(value, "v2");
  EXPECT_GT(batch->ApproximateSize(), 0u);
  // Not visible outside the batch before the commit.
  EXPECT_EQ(Read("Ak1"), "<absent>");
  ASSERT_TRUE(store_->Commit(batch.get(), false).ok());
  EXPECT_EQ(Read("Ak1"), "v2");

  // A staged delete hides the stored value, inside the batch only.
  auto second = store_->NewBatch();
  second->Delete("Ak1");
  EXPECT_TRUE(second->Get("Ak1", &value).IsNotFound());
  EXPECT_EQ(Read("Ak1"), "v2");
  // Binary keys and values (the processors write be64 and varints).
  const std::string binary_key("T\0\x80\xff", 4);
  const std::string binary_value("\0\x01\0", 3);
  second->Put(binary_key, binary_value);
  ASSERT_TRUE(second->Get(binary_key, &value).ok());
  EXPECT_EQ(value, binary_value);
}

TEST_F(StateStoreTest, ScanMergesStagedAndStoredInKeyOrder) {
  Open();
  {
    auto batch = store_->NewBatch();
    for (const char* k : {"Ra1", "Ra3", "Ra5", "Ra7", "Rb1", "Q9"}) batch->Put(k, std::string("stored-") + k);
    ASSERT_TRUE(store_->Commit(batch.get(), false).ok());
  }
  auto batch = store_->NewBatch();
  batch->Put("Ra2", "staged-Ra2");
  batch->Put("Ra4", "staged-Ra4");
  batch->Delete("Ra3");
  batch->Put("Ra5", "staged-Ra5");  // overrides the stored value
  batch->Put("Ra0", "staged-Ra0");
  batch->Put("Ra", "staged-Ra");  // the bare prefix sorts first

  EXPECT_THAT(
      ScanAll(batch.get(), "Ra", "Rb"),
      ElementsAre(KV{"Ra", "staged-Ra"}, KV{"Ra0", "staged-Ra0"}, KV{"Ra1", "stored-Ra1"}, KV{"Ra2", "staged-Ra2"},
                  KV{"Ra4", "staged-Ra4"}, KV{"Ra5", "staged-Ra5"}, KV{"Ra7", "stored-Ra7"}));
  // [begin, end): begin included, end excluded.
  EXPECT_THAT(ScanAll(batch.get(), "Ra2", "Ra5"), ElementsAre(KV{"Ra2", "staged-Ra2"}, KV{"Ra4", "staged-Ra4"}));
  // The visitor stops the scan.
  std::vector<std::string> seen;
  ASSERT_TRUE(batch
                  ->Scan("Ra", "Rb",
                         [&](std::string_view k, std::string_view) {
                           seen.emplace_back(k);
                           return seen.size() < 3;
                         })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("Ra", "Ra0", "Ra1"));
  // Deleting everything staged and stored in a range leaves it empty.
  for (const auto& [k, v] : ScanAll(batch.get(), "Ra", "Rb")) batch->Delete(k);
  EXPECT_THAT(ScanAll(batch.get(), "Ra", "Rb"), IsEmpty());
  EXPECT_THAT(ScanAll(batch.get(), "Rb", "Rc"), ElementsAre(KV{"Rb1", "stored-Rb1"}));
}

TEST_F(StateStoreTest, CommitAndReopenKeepDataCheckpointAndOutbox) {
  Open();
  Checkpoint cp;
  cp.lsn = 0x16B374D848;
  cp.snapshot_done = true;
  cp.system_id = "7301234567890123456";
  cp.slot = "walguard";
  std::vector<OutboxEntry> appended;
  {
    auto batch = store_->NewBatch();
    batch->Put("Atier", "aggregate");
    batch->Put("Sclock", "clock");
    batch->AppendOutbox({{Topic::kAlerts, "fp:1", "{\"a\":1}"},
                         {Topic::kCommands, "fp:1", "{\"c\":1}"},
                         {Topic::kDeadLetter, "ticketing.x", std::string("{\"d\":\"\0\"}", 9)}},
                        &appended);
    batch->SetCheckpoint(cp);
    ASSERT_TRUE(store_->Commit(batch.get(), /*sync=*/true).ok());
  }
  ASSERT_EQ(appended.size(), 3u);
  EXPECT_LT(appended[0].seq, appended[1].seq);
  EXPECT_LT(appended[1].seq, appended[2].seq);
  EXPECT_EQ(store_->outbox_count(), 3u);

  Open();  // reopen
  Checkpoint read;
  ASSERT_TRUE(store_->ReadCheckpoint(&read).ok());
  EXPECT_EQ(read.lsn, cp.lsn);
  EXPECT_TRUE(read.snapshot_done);
  EXPECT_EQ(read.system_id, cp.system_id);
  EXPECT_EQ(read.slot, cp.slot);
  EXPECT_EQ(Read("Atier"), "aggregate");
  EXPECT_EQ(Read("Sclock"), "clock");
  EXPECT_EQ(store_->outbox_count(), 3u);
  std::vector<OutboxEntry> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(outbox[i].seq, appended[i].seq);
    EXPECT_EQ(outbox[i].topic, appended[i].topic);
    EXPECT_EQ(outbox[i].key, appended[i].key);
    EXPECT_EQ(outbox[i].payload, appended[i].payload);
  }
  // Paging: after a seq, at most `limit`.
  std::vector<OutboxEntry> page = Outbox(appended[0].seq, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].seq, appended[1].seq);
  EXPECT_THAT(Outbox(appended[2].seq), IsEmpty());
  // The outbox and checkpoint are not processor keys: a full scan of the
  // processor key space does not see them.
  EXPECT_THAT(ScanAll(store_->NewBatch().get(), "A", "U"),
              ElementsAre(KV{"Atier", "aggregate"}, KV{"Sclock", "clock"}));
}

TEST_F(StateStoreTest, ABatchCanBeCommittedAgainAfterACommit) {
  Open();
  auto batch = store_->NewBatch();
  std::vector<OutboxEntry> first, second;
  batch->Put("Ak", "1");
  batch->AppendOutbox({{Topic::kAlerts, "a", "1"}}, &first);
  ASSERT_TRUE(store_->Commit(batch.get(), false).ok());
  std::string value;
  ASSERT_TRUE(batch->Get("Ak", &value).ok());  // now read from the store
  EXPECT_EQ(value, "1");
  batch->AppendOutbox({{Topic::kAlerts, "b", "2"}}, &second);
  ASSERT_TRUE(store_->Commit(batch.get(), false).ok());
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_GT(second[0].seq, first[0].seq);
  EXPECT_EQ(Seqs(Outbox()), (std::vector<uint64_t>{first[0].seq, second[0].seq}));
  EXPECT_EQ(store_->outbox_count(), 2u);
}

TEST_F(StateStoreTest, TwoBatchesNeverShareAnOutboxSeq) {
  Open();
  auto a = store_->NewBatch();
  auto b = store_->NewBatch();
  std::vector<OutboxEntry> from_a, from_b;
  a->AppendOutbox({{Topic::kAlerts, "a", "1"}}, &from_a);
  b->AppendOutbox({{Topic::kAlerts, "b", "2"}}, &from_b);
  ASSERT_TRUE(store_->Commit(b.get(), false).ok());
  ASSERT_TRUE(store_->Commit(a.get(), false).ok());
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_NE(from_a[0].seq, from_b[0].seq);
  EXPECT_EQ(Outbox().size(), 2u);
  EXPECT_EQ(store_->outbox_count(), 2u);
}

TEST_F(StateStoreTest, OutboxSeqsStrictlyIncreaseAcrossReopen) {
  Open();
  std::vector<OutboxEntry> before = CommitMessages(0, 3, /*with_checkpoint=*/true);
  Open();
  std::vector<OutboxEntry> after = CommitMessages(3, 2, /*with_checkpoint=*/true);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_GT(after[0].seq, before.back().seq);
  std::vector<OutboxEntry> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 5u) << "an entry was overwritten";
  for (size_t i = 1; i < outbox.size(); ++i) EXPECT_LT(outbox[i - 1].seq, outbox[i].seq);
  EXPECT_EQ(outbox[4].key, "k4");
}

// Snapshot chunks are committed with outbox entries (dead letters) but no
// checkpoint; the next seq must then come from the outbox itself.
TEST_F(StateStoreTest, OutboxSeqsStrictlyIncreaseAcrossReopenWithoutACheckpoint) {
  Open();
  std::vector<OutboxEntry> before = CommitMessages(0, 3, /*with_checkpoint=*/false);
  Open();
  EXPECT_EQ(store_->outbox_count(), 3u);
  std::vector<OutboxEntry> after = CommitMessages(3, 2, /*with_checkpoint=*/false);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_GT(after[0].seq, before.back().seq) << "a seq was reused after reopen";
  std::vector<OutboxEntry> outbox = Outbox();
  EXPECT_EQ(outbox.size(), 5u) << "undelivered outbox entries were overwritten";
  std::vector<std::string> keys;
  for (const OutboxEntry& e : outbox) keys.push_back(e.key);
  EXPECT_THAT(keys, ElementsAre("k0", "k1", "k2", "k3", "k4"));
}

// A checkpoint written earlier must not pull the next seq below entries
// committed after it.
TEST_F(StateStoreTest, OutboxSeqsIncreaseWhenLaterCommitsCarryNoCheckpoint) {
  Open();
  CommitMessages(0, 2, /*with_checkpoint=*/true);
  std::vector<OutboxEntry> later = CommitMessages(2, 2, /*with_checkpoint=*/false);
  Open();
  std::vector<OutboxEntry> after = CommitMessages(4, 1, /*with_checkpoint=*/true);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GT(after[0].seq, later.back().seq);
  EXPECT_EQ(Outbox().size(), 5u) << "undelivered outbox entries were overwritten";
}

TEST_F(StateStoreTest, DeleteOutboxThenReopen) {
  Open();
  std::vector<OutboxEntry> entries = CommitMessages(0, 5, /*with_checkpoint=*/true);
  ASSERT_EQ(entries.size(), 5u);
  ASSERT_TRUE(store_->DeleteOutbox({entries[0].seq, entries[1].seq, entries[3].seq}).ok());
  EXPECT_EQ(store_->outbox_count(), 2u);
  EXPECT_EQ(Seqs(Outbox()), (std::vector<uint64_t>{entries[2].seq, entries[4].seq}));
  ASSERT_TRUE(store_->DeleteOutbox({}).ok());

  Open();
  EXPECT_EQ(store_->outbox_count(), 2u);
  std::vector<OutboxEntry> outbox = Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  EXPECT_EQ(outbox[0].key, "k2");
  EXPECT_EQ(outbox[1].key, "k4");
  // New entries still come after the deleted ones.
  std::vector<OutboxEntry> more = CommitMessages(5, 1, /*with_checkpoint=*/true);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_GT(more[0].seq, entries[4].seq);
  EXPECT_EQ(Outbox().size(), 3u);
}

TEST_F(StateStoreTest, OutboxCountIgnoresSeqsAlreadyDeleted) {
  Open();
  std::vector<OutboxEntry> entries = CommitMessages(0, 3, /*with_checkpoint=*/true);
  ASSERT_TRUE(store_->DeleteOutbox({entries[0].seq}).ok());
  // A redelivery acknowledges the same entry again, and one that never existed.
  ASSERT_TRUE(store_->DeleteOutbox({entries[0].seq, entries[2].seq + 100}).ok());
  EXPECT_EQ(store_->outbox_count(), Outbox().size());
}

TEST_F(StateStoreTest, AnUncommittedBatchLeavesNothing) {
  Open();
  {
    auto batch = store_->NewBatch();
    batch->Put("Ak", "v");
    std::vector<OutboxEntry> appended;
    batch->AppendOutbox({{Topic::kAlerts, "fp", "{}"}}, &appended);
    Checkpoint cp;
    cp.lsn = 42;
    batch->SetCheckpoint(cp);
    // Dropped without Commit: a crash before the write.
  }
  EXPECT_EQ(Read("Ak"), "<absent>");
  EXPECT_EQ(store_->outbox_count(), 0u);
  EXPECT_THAT(Outbox(), IsEmpty());
  Checkpoint cp;
  EXPECT_TRUE(store_->ReadCheckpoint(&cp).IsNotFound());
  Open();
  EXPECT_EQ(Read("Ak"), "<absent>");
  EXPECT_THAT(Outbox(), IsEmpty());
  EXPECT_TRUE(store_->ReadCheckpoint(&cp).IsNotFound());
}

TEST_F(StateStoreTest, WipeRemovesStateButKeepsOutboxAndHandover) {
  Open();
  {
    auto batch = store_->NewBatch();
    for (const char* k : {"Ak", "Fstuck_holds:tier:1", "R\x01key", "Sclock", "T\x80timer", "~z"}) {
      batch->Put(k, "v");
    }
    batch->AppendOutbox({{Topic::kAlerts, "fp", "{}"}, {Topic::kCommands, "fp", "{}"}}, nullptr);
    Checkpoint cp;
    cp.lsn = 7;
    cp.snapshot_done = true;
    batch->SetCheckpoint(cp);
    ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  }
  ASSERT_TRUE(store_->WriteHandover({{"stuck_holds:tier:1", "id-1"}}).ok());
  ASSERT_TRUE(store_->Wipe().ok());
  // Committed messages still go out; the old firing set waits for the new state.
  auto check = [&] {
    Checkpoint cp;
    EXPECT_TRUE(store_->ReadCheckpoint(&cp).IsNotFound());
    EXPECT_EQ(Outbox().size(), 2u);
    EXPECT_EQ(store_->outbox_count(), 2u);
    std::vector<FiringAlert> handover;
    ASSERT_TRUE(store_->ReadHandover(&handover).ok());
    ASSERT_EQ(handover.size(), 1u);
    EXPECT_EQ(handover[0].fingerprint, "stuck_holds:tier:1");
    EXPECT_EQ(handover[0].alert_id, "id-1");
    size_t other = 0;
    for (const auto& [key, value] : ScanAll(store_->NewBatch().get(), std::string(1, '\0'), "\xff\xff")) {
      if (key.rfind("~o", 0) != 0 && key.rfind("~h", 0) != 0 && key != keys::kFormatVersion) ++other;
    }
    EXPECT_EQ(other, 0u);
    EXPECT_EQ(Read(keys::kFormatVersion), std::to_string(keys::kStateFormatVersion));
  };
  check();
  Open();
  check();
}

TEST_F(StateStoreTest, HandoverIsReplacedAndClearedByTheBatchThatTakesItOver) {
  Open();
  ASSERT_TRUE(store_->WriteHandover({{"a:tier:1", "x"}, {"b:tier:2", "y"}}).ok());
  ASSERT_TRUE(store_->WriteHandover({{"c:tier:3", "z"}}).ok());
  std::vector<FiringAlert> handover;
  ASSERT_TRUE(store_->ReadHandover(&handover).ok());
  ASSERT_EQ(handover.size(), 1u);
  EXPECT_EQ(handover[0].fingerprint, "c:tier:3");
  auto batch = store_->NewBatch();
  batch->ClearHandover(handover);
  ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  handover.clear();
  ASSERT_TRUE(store_->ReadHandover(&handover).ok());
  EXPECT_TRUE(handover.empty());
}

// The processors run on a StateBatch exactly as on MemoryKv, including the
// scans with staged deletes (timers, TRUNCATE), across commits and reopens.
TEST_F(StateStoreTest, EngineOnTheStoreMatchesMemoryKv) {
  const Micros t0 = 1'795'276'800LL * kMicrosPerSecond;
  auto ts = [](Micros t) { return FormatTimestamp(t); };
  auto datum = [](std::string name, std::string text) { return Datum{std::move(name), std::move(text), false}; };
  auto change = [](Action action, std::string table, std::vector<Datum> columns, std::vector<Datum> identity = {}) {
    Change c;
    c.action = action;
    c.schema = "ticketing";
    c.table = std::move(table);
    c.columns = std::move(columns);
    c.identity = std::move(identity);
    return c;
  };
  const std::string tier = "7a7a7a7a-0000-4000-8000-000000000001";
  const std::string event = "e0e0e0e0-0000-4000-8000-000000000001";
  std::vector<Change> first = {change(Action::kInsert, "ticket_tiers",
                                      {datum("id", tier), datum("event_id", event), datum("quantity", "100"),
                                       datum("reserved_quantity", "40"), datum("issued_quantity", "0")})};
  for (int n = 0; n < 20; ++n) {
    first.push_back(change(Action::kInsert, "ticket_holds",
                           {datum("id", "hold-" + std::to_string(n)), datum("tier_id", tier), datum("quantity", "2"),
                            datum("status", "active"), datum("expires_at", ts(t0 + n * kMicrosPerMinute))}));
  }
  struct Step {
    bool clock;
    Micros at;
    std::vector<Change> changes;
  };
  std::vector<Step> steps = {
      {false, t0, first},
      {true, t0 + 12 * kMicrosPerMinute, {}},
      {false,
       t0 + 13 * kMicrosPerMinute,
       {change(Action::kUpdate, "ticket_holds", {datum("id", "hold-0"), datum("status", "expired")},
               {datum("id", "hold-0")}),
        change(Action::kDelete, "ticket_holds", {}, {datum("id", "hold-1")})}},
      {true, t0 + 40 * kMicrosPerMinute, {}},
      {false, t0 + 41 * kMicrosPerMinute, {change(Action::kTruncate, "ticket_holds", {})}},
      {false,
       t0 + 42 * kMicrosPerMinute,
       {change(Action::kUpdate, "ticket_tiers", {datum("id", tier), datum("reserved_quantity", "0")},
               {datum("id", tier)})}},
  };
  auto run = [&](Engine* engine, KvTxn* kv, const Step& step, Lsn lsn, std::vector<OutMessage>* out) {
    if (step.clock) return engine->AdvanceClock(step.at, lsn, kv, step.at, out);
    Transaction txn;
    txn.end_lsn = lsn;
    txn.commit_time = step.at;
    txn.changes = step.changes;
    return engine->ApplyTransaction(txn, kv, step.at, out);
  };

  MemoryKv memory;
  Engine reference{Thresholds()};
  ASSERT_TRUE(reference.Load(&memory).ok());
  std::vector<std::vector<std::string>> expected;
  for (size_t i = 0; i < steps.size(); ++i) {
    std::vector<OutMessage> out;
    ASSERT_TRUE(run(&reference, &memory, steps[i], 0x1000 * (i + 1), &out).ok());
    expected.emplace_back();
    for (const OutMessage& m : out) expected.back().push_back(m.payload);
  }
  ASSERT_FALSE(expected[1].empty()) << "the scenario should fire stuck_holds at the tick";
  ASSERT_FALSE(expected[4].empty()) << "the scenario should fire drift at the truncate";

  Open();
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    Open();  // a restart between every step
    Engine engine{Thresholds()};
    auto batch = store_->NewBatch();
    ASSERT_TRUE(engine.Load(batch.get()).ok());
    std::vector<OutMessage> out;
    ASSERT_TRUE(run(&engine, batch.get(), steps[i], 0x1000 * (i + 1), &out).ok());
    std::vector<std::string> got;
    for (const OutMessage& m : out) got.push_back(m.payload);
    EXPECT_EQ(got, expected[i]);
    batch->AppendOutbox(out, nullptr);
    Checkpoint cp;
    cp.lsn = 0x1000 * (i + 1);
    cp.snapshot_done = true;
    batch->SetCheckpoint(cp);
    ASSERT_TRUE(store_->Commit(batch.get(), true).ok());
  }
  // The processor state is the same key for key.
  std::vector<KV> stored = ScanAll(store_->NewBatch().get(), std::string(1, '\0'), "~");
  std::vector<KV> reference_state(memory.data().begin(), memory.data().end());
  EXPECT_EQ(stored, reference_state);
}

}  // namespace
}  // namespace walguard

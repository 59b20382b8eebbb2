// A transaction applied in parts: bounded memory through a source
// transaction of any size, and still all or nothing.
//
// A transaction whose changes outgrow `[state] transaction_spill_bytes` is
// applied as it arrives, part by part (app/pipeline_parts.cc), each part
// committed to RocksDB without a checkpoint and without sync. Its writes go
// to the real keys through UndoLogKv, which first saves each key's value
// from before the transaction, once, under keys::kPartialUndo, in the same
// batch as the write. What the commit still needs (the entities to
// evaluate, the netted occupancy deltas: processors/transaction_parts.h)
// waits under keys::kPartial too, and the parts' archive records wait in the
// archive buffer. The first part writes the header (keys::kPartialHeader:
// the xid and the first archive seq of the parts); the final batch, which
// holds the rest of the transaction, its evaluation, its outbox messages and
// the checkpoint past it, deletes the header and is synced. Right after it,
// DropPartial deletes the whole keys::kPartial range.
//
// Crash argument. RocksDB recovers a prefix of the committed batches, each
// whole, so a kill -9 at any moment leaves one of three states:
//  - neither header nor undo: nothing of the parts was committed, or all of
//    it and its cleanup;
//  - a header: some parts are in the real keys, each with the old value of
//    every key it wrote saved beside it, and the checkpoint still stands
//    before the transaction (only the final batch moves it; until then
//    Postgres is acknowledged nothing past it either), so Postgres resends
//    the transaction whole. RollBackPartial puts every saved value back,
//    removes the parts' archive records (never sealed into a segment: the
//    pipeline does not seal while parts are open) and drops the rest: the
//    state is the checkpoint's again, and the resent transaction is applied
//    once, with the same alerts and ids;
//  - undo without a header: the final batch committed, its cleanup did not;
//    dropped.
// Putting a saved value back twice is the same as once, so a crash during
// RollBackPartial only means it runs again. StateStore::Open runs it before
// anything reads the state; the pipeline also runs it when it abandons a
// transaction in parts (a lost connection, a stop).
//
// Nothing outside the state changes while parts are open: the outbox gets
// nothing before the final batch (the messages wait in memory), and neither
// the clock ticks of keepalives nor walguard's own checks run in between.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "core/kv.h"
#include "util/status.h"

namespace walguard {

// A KvTxn that saves each key's old value under keys::kPartialUndo before its
// first write through it (keys under keys::kPartial are written as they are).
// Reads pass through.
class UndoLogKv : public KvTxn {
 public:
  explicit UndoLogKv(KvTxn* base) : base_(base) {}

  Status Get(std::string_view key, std::string* value) override { return base_->Get(key, value); }
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override {
    return base_->Scan(begin, end, visit);
  }

  // The first failed read of an old value: a write after it may not be
  // undoable, so the caller must not commit once this is not OK.
  const Status& status() const { return status_; }

 private:
  // Keys known to be saved, so a hot key (a tier's counters, written by
  // every hold) costs one probe of this set, not two reads. Bounded: cleared
  // when full.
  static constexpr size_t kMaxRecent = 1 << 16;

  void Save(std::string_view key);

  KvTxn* base_;
  Status status_;
  std::string undo_key_;
  std::string old_;
  std::unordered_set<std::string> recent_;
};

// The undo record of a key's old value: 'v' + value, or 'a' when it was absent.
std::string EncodeUndo(bool present, std::string_view value);

}  // namespace walguard

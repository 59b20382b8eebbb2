// Pipeline: a transaction too large to hold in memory, applied in parts as
// it streams in, and judged whole at its commit (state/partial_transaction.h
// has the crash argument, processors/transaction_parts.h the evaluation).
//
// The parts start from a checkpoint (the open group is committed first), go
// through an UndoLogKv over the open batch, and are committed without a
// checkpoint as each arrives; the batch stays open, and with it the
// messages they staged. Until the commit nothing else writes the state: no
// group commit, no own check, no clock tick, no seal of the archive. At C
// the final batch holds the rest and the checkpoint, synced, like any group.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <span>

#include "app/pipeline.h"

namespace walguard {

Status Pipeline::ApplyPart(const Transaction& part) {
  // Resent after a restart and applied before: its C skips it whole.
  if (cursor_.AlreadyApplied(part.end_lsn)) {
    assembler_.ClearPart();
    return Status::OK();
  }
  if (!engine_.in_parts()) WG_RETURN_IF_ERROR(BeginParts(part));
  std::vector<OutMessage>* out = committer_->out();
  const size_t emitted = out->size();
  WG_RETURN_IF_ERROR(ApplyChangesAlive(part.changes));
  archiver_->RecordTransactionPart(part, committer_->batch());
  metrics_.dead_letters_total += dead_letters_.Log(*out, emitted, WallClockNow());
  metrics_.changes_total += part.changes.size();
  if (board_ != nullptr) CountByTable(part.changes, &tables_, &txn_tables_);
  assembler_.ClearPart();
  return CommitPart();
}

Status Pipeline::BeginParts(const Transaction& header) {
  // What came before is durable, and the parts start from its checkpoint.
  WG_RETURN_IF_ERROR(CommitBatch());
  EnsureBatch();
  committer_->batch()->BeginPartial(header.xid);
  undo_ = std::make_unique<UndoLogKv>(committer_->batch());
  spdlog::info("transaction {} (commit at {}) outgrew transaction_spill_bytes: applying it in parts", header.xid,
               FormatLsn(header.end_lsn));
  return engine_.BeginParts(header, undo_.get(), WallClockNow(), committer_->out());
}

// A part may take longer to apply than the walsender waits for a reply
// (wal_sender_timeout): status updates go out between slices of it.
Status Pipeline::ApplyChangesAlive(const std::vector<Change>& changes) {
  constexpr size_t kSlice = 4096;
  const std::span<const Change> all(changes);
  for (size_t at = 0; at < all.size(); at += kSlice) {
    WG_RETURN_IF_ERROR(
        engine_.ApplyPart(all.subspan(at, std::min(kSlice, all.size() - at)), undo_.get(), committer_->out()));
    WG_RETURN_IF_ERROR(SendStatus(false));
  }
  return Status::OK();
}

Status Pipeline::CommitPart() {
  WG_RETURN_IF_ERROR(undo_->status());
  return committer_->CommitPart();
}

Status Pipeline::FinishParts(const Transaction& txn) {
  if (cursor_.AlreadyApplied(txn.end_lsn) || !engine_.in_parts()) {
    assert(!engine_.in_parts());
    ++metrics_.skipped_total;
    return Status::OK();
  }
  if (txn.xid != engine_.parts_xid()) {
    return Status::Corruption("C for xid " + std::to_string(txn.xid) + " while xid " +
                              std::to_string(engine_.parts_xid()) + " is applied in parts");
  }
  std::vector<OutMessage>* out = committer_->out();
  const size_t emitted = out->size();
  const uint64_t part_bytes = static_cast<uint64_t>(config_.state.transaction_spill_bytes);
  WG_RETURN_IF_ERROR(ApplyChangesAlive(txn.changes));
  WG_RETURN_IF_ERROR(engine_.FinishParts(undo_.get(), WallClockNow(), out, [&] {
    WG_RETURN_IF_ERROR(SendStatus(false));
    return committer_->batch()->ApproximateSize() >= part_bytes ? CommitPart() : Status::OK();
  }));
  WG_RETURN_IF_ERROR(undo_->status());
  undo_.reset();
  archiver_->RecordTransaction(txn, committer_->batch());
  committer_->batch()->EndPartial();
  CountApplied(txn, emitted);
  WG_RETURN_IF_ERROR(CommitBatch());
  return store_->DropPartial();
}

// A lost connection or a stop in the middle: the parts are rolled back, and
// Postgres resends the transaction whole from the checkpoint before it.
Status Pipeline::AbandonParts() {
  if (!engine_.in_parts()) return Status::OK();
  undo_.reset();
  txn_tables_.clear();  // Postgres resends it whole: it counts again
  committer_->Discard();
  cursor_.OnBatchDiscarded();
  engine_.AbandonParts();
  uint32_t xid = 0;
  WG_RETURN_IF_ERROR(store_->RollBackPartial(&xid));
  archiver_->OnRolledBack();
  spdlog::warn("transaction {} was rolled back half applied; it is applied again when Postgres resends it", xid);
  return engine_.Load(store_->NewBatch().get());
}

}  // namespace walguard

#include "app/replayer.h"

#include <stdlib.h>

#include <cassert>
#include <filesystem>
#include <system_error>
#include <utility>

#include "app/recorded_thresholds.h"
#include "processors/apply_context.h"
#include "processors/own_checks.h"

namespace walguard {

Status Replayer::Open(const Thresholds& thresholds, std::unique_ptr<Replayer>* out, bool follow_recorded) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walguard-replay-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("cannot create a scratch directory " + pattern);
  std::unique_ptr<Replayer> replayer(new Replayer(thresholds, follow_recorded));
  replayer->dir_ = pattern;  // from here on the destructor removes it
  WG_RETURN_IF_ERROR(StateStore::Open(replayer->dir_ + "/state", &replayer->store_));
  replayer->batch_ = replayer->store_->NewBatch();
  // A state that starts without a snapshot (--input) starts empty, as a
  // fresh live state would.
  WG_RETURN_IF_ERROR(replayer->engine_.Load(replayer->batch_.get()));
  *out = std::move(replayer);
  return Status::OK();
}

Replayer::~Replayer() {
  batch_.reset();
  store_.reset();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

Status Replayer::Apply(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched) {
  const bool in_parts = engine_.in_parts();
  WG_RETURN_IF_ERROR(ApplyStep(record, out, touched));
  // The transaction in parts is complete: what its parts kept goes.
  if (in_parts && !engine_.in_parts()) {
    WG_RETURN_IF_ERROR(CommitPending());
    return store_->DropPartial();
  }
  return batch_->ApproximateSize() >= kStepBytes ? CommitPending() : Status::OK();
}

Status Replayer::CommitPending() {
  return store_->Commit(batch_.get(), /*sync=*/false);
}

// As the live pipeline (app/pipeline_parts.cc), each part committed as it
// comes; no undo is kept, since the archive holds only parts whose
// transaction committed (and a replay's scratch state is thrown away anyway).
Status Replayer::ApplyParts(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched) {
  if (!engine_.in_parts()) {
    WG_RETURN_IF_ERROR(engine_.BeginParts(record.txn, batch_.get(), record.txn.commit_time, out));
  } else if (record.txn.xid != engine_.parts_xid()) {
    return PartsCutShort();
  }
  WG_RETURN_IF_ERROR(engine_.ApplyPart(record.txn.changes, batch_.get(), out));
  if (record.kind == ArchiveRecordKind::kTransactionPart) return Status::OK();
  return engine_.FinishParts(
      batch_.get(), record.txn.commit_time, out,
      [this] {
        return batch_->ApproximateSize() >= kPartBytes ? store_->Commit(batch_.get(), /*sync=*/false) : Status::OK();
      },
      touched);
}

Status Replayer::PartsCutShort() const {
  return Status::Corruption("archive: the parts of transaction " + std::to_string(engine_.parts_xid()) +
                            " are not followed by its commit");
}

Status Replayer::ApplyStep(const ArchiveRecord& record, std::vector<OutMessage>* out, TouchedEntities* touched) {
  if (engine_.in_parts()) {
    // Between parts: only the next part, the commit, or a message walguard emitted meanwhile.
    if (record.IsTransaction()) return ApplyParts(record, out, touched);
    if (record.kind != ArchiveRecordKind::kOwnMessage) return PartsCutShort();
  }
  switch (record.kind) {
    case ArchiveRecordKind::kSnapshotBegin:
      // As Bootstrap: wipe, reload, and keep the replaced state's firing set.
      batch_.reset();
      WG_RETURN_IF_ERROR(store_->Wipe());
      batch_ = store_->NewBatch();
      WG_RETURN_IF_ERROR(engine_.Load(batch_.get()));
      engine_.BeginSnapshot(record.clock);
      handover_ = record.handover;
      snapshot_clock_ = record.clock;
      in_snapshot_ = true;
      return Status::OK();
    case ArchiveRecordKind::kSnapshotRow:
      return engine_.ApplySnapshotRow(record.row, batch_.get(), out);
    case ArchiveRecordKind::kSnapshotEnd:
      WG_RETURN_IF_ERROR(engine_.CarryFiring(handover_, record.lsn, batch_.get(), snapshot_clock_, out));
      WG_RETURN_IF_ERROR(engine_.FinishSnapshot(record.lsn, batch_.get(), snapshot_clock_, out, touched, [this] {
        return batch_->ApproximateSize() >= kPartBytes ? CommitPending() : Status::OK();
      }));
      // As Bootstrap: what the snapshot kept to evaluate goes once committed.
      WG_RETURN_IF_ERROR(CommitPending());
      WG_RETURN_IF_ERROR(store_->DropPartial());
      handover_.clear();
      in_snapshot_ = false;
      if (pending_thresholds_) WG_RETURN_IF_ERROR(UseThresholds(*std::exchange(pending_thresholds_, std::nullopt)));
      return Status::OK();
    case ArchiveRecordKind::kTransaction:
      return engine_.ApplyTransaction(record.txn, batch_.get(), record.txn.commit_time, out, touched);
    case ArchiveRecordKind::kTransactionPart:
      return ApplyParts(record, out, touched);
    case ArchiveRecordKind::kClockTick:
      return engine_.AdvanceClock(record.clock, record.lsn, batch_.get(), record.clock, out, touched);
    case ArchiveRecordKind::kThresholds:
      return follow_recorded_ ? FollowThresholds(record.text) : Status::OK();
    case ArchiveRecordKind::kOwnCheck:
      return ApplyOwnCheck(record.check, record.body, thresholds_, record.lsn, batch_.get(), record.clock, out);
    case ArchiveRecordKind::kOwnMessage:
      out->push_back(record.message);
      return Status::OK();
    case ArchiveRecordKind::kStateCheckpoint:
      return LoadCheckpoint(record);
  }
  return Status::Corruption("archive record of unknown kind");
}

// The state as the checkpoint holds it, in bounded batches, with the
// engine reloaded from it; the recorded thresholds followed from here on.
Status Replayer::LoadCheckpoint(const ArchiveRecord& record) {
  constexpr size_t kKeysPerBatch = 10'000;
  batch_.reset();
  WG_RETURN_IF_ERROR(store_->Wipe());
  batch_ = store_->NewBatch();
  for (size_t i = 0; i < record.state.size(); ++i) {
    batch_->Put(record.state[i].first, record.state[i].second);
    if ((i + 1) % kKeysPerBatch == 0) WG_RETURN_IF_ERROR(store_->Commit(batch_.get(), /*sync=*/false));
  }
  in_snapshot_ = false;
  handover_.clear();
  pending_thresholds_.reset();
  if (follow_recorded_) return FollowThresholds(record.text);
  return engine_.Load(batch_.get());
}

Status Replayer::FollowThresholds(const std::string& text) {
  Thresholds recorded;
  WG_RETURN_IF_ERROR(ParseRecordedThresholds(text, &recorded).WithContext("archive"));
  if (in_snapshot_) {
    pending_thresholds_ = recorded;
    return Status::OK();
  }
  return UseThresholds(recorded);
}

// A new engine over the same state: what it keeps in memory besides the
// thresholds (the clock, the disabled rules) it reloads from the state.
Status Replayer::UseThresholds(const Thresholds& thresholds) {
  thresholds_ = thresholds;
  engine_ = Engine(thresholds_);
  return engine_.Load(batch_.get());
}

Status Replayer::Explain(EntityKind kind, const std::string& id, EntityVerdicts* out) {
  WG_RETURN_IF_ERROR(CommitPending());
  std::unique_ptr<StateBatch> view = store_->NewBatch();  // reads what Apply committed; written never
  std::vector<OutMessage> none;
  ApplyContext ctx;
  ctx.kv = view.get();
  ctx.thresholds = &thresholds_;
  ctx.now = engine_.clock();
  ctx.commit_time = engine_.clock();
  ctx.out = &none;
  WG_RETURN_IF_ERROR(ExplainEntity(&ctx, kind, id, out));
  assert(none.empty());
  return Status::OK();
}

bool BeyondLimits(const ArchiveRecord& record, Lsn until_lsn, Micros until_time) {
  if (record.kind == ArchiveRecordKind::kSnapshotRow) return false;
  if (until_lsn != 0 && record.Position() > until_lsn) return true;
  return until_time != 0 && record.Time() > until_time;
}

}  // namespace walguard

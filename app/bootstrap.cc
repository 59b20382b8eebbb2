#include "app/bootstrap.h"

#include <spdlog/spdlog.h>

#include "app/disk_wait.h"
#include "ingest/snapshot.h"
#include "processors/alerts.h"
#include "processors/monitored_tables.h"
#include "state/handover_file.h"

namespace walguard {

namespace {
// Snapshot rows per (unsynced) intermediate write.
constexpr int kSnapshotChunk = 10000;

// The alerts the old state published (--resnapshot) are continued, not fired
// anew: kept across the wipe, taken over at the end of the snapshot. A state
// rebuilt before the bootstrap (another format version, wiped at open; a
// damaged one moved aside) has no firing set left: the handover file beside
// it still has the one consumers saw.
Status KeepHandover(StateStore* store, const std::string& state_dir, std::vector<FiringAlert>* handover) {
  WG_RETURN_IF_ERROR(ListFiring(store->NewBatch().get(), handover));
  if (!handover->empty()) return store->WriteHandover(*handover);
  WG_RETURN_IF_ERROR(store->ReadHandover(handover));  // left by a bootstrap that was cut short
  if (!handover->empty()) return Status::OK();
  HandoverFile file;
  Status read = ReadHandoverFile(HandoverFilePath(state_dir), &file);
  if (read.IsNotFound()) return Status::OK();
  if (!read.ok()) {
    spdlog::warn("bootstrap: the handover file is unusable ({}); alerts still true fire again under new ids",
                 read.ToString());
    return Status::OK();
  }
  *handover = std::move(file.firing);
  if (handover->empty()) return Status::OK();
  spdlog::info("bootstrap: {} firing alert(s) handed over from {}", handover->size(), HandoverFilePath(state_dir));
  return store->WriteHandover(*handover);
}

Status RecreateSlot(ReplicationClient* repl, const std::string& slot, SlotInfo* info) {
  bool exists = false;
  WG_RETURN_IF_ERROR(repl->SlotExists(slot, &exists));
  if (exists) {
    spdlog::warn("bootstrap: dropping existing slot '{}' (left by an interrupted snapshot or --resnapshot)", slot);
    WG_RETURN_IF_ERROR(repl->DropSlot(slot));
  }
  return repl->CreateSlot(slot, info);
}
}  // namespace

Status Bootstrap(const BootstrapParts& parts, std::vector<OutboxEntry>* appended) {
  const std::string& slot = parts.config.postgres.slot;
  StateStore* store = parts.store;
  Engine* engine = parts.engine;
  spdlog::info("bootstrap: wiping local state, creating slot '{}' and reading a consistent snapshot", slot);
  std::vector<FiringAlert> handover;
  WG_RETURN_IF_ERROR(KeepHandover(store, parts.config.state_dir, &handover));
  WG_RETURN_IF_ERROR(store->Wipe());
  SlotInfo info;
  WG_RETURN_IF_ERROR(RecreateSlot(parts.repl, slot, &info));
  WG_RETURN_IF_ERROR(engine->Load(store->NewBatch().get()));
  const Micros snapshot_clock = WallClockNow();
  engine->BeginSnapshot(snapshot_clock);

  Archiver* archiver = parts.archiver;
  auto batch = store->NewBatch();
  archiver->RecordSnapshotBegin(snapshot_clock, info.consistent_point, handover, batch.get());
  std::vector<OutMessage> out;
  int64_t rows = 0;
  Status s = ReadSnapshot(parts.config.postgres.conninfo, info.snapshot_name, MonitoredTables(), [&](Change&& row) {
    WG_RETURN_IF_ERROR(engine->ApplySnapshotRow(row, batch.get(), &out));
    archiver->RecordSnapshotRow(row, batch.get());
    if (++rows % kSnapshotChunk != 0) return Status::OK();
    batch->AppendOutbox(out, appended);
    out.clear();
    // No checkpoint yet: a crash restarts the snapshot. The archive keeps
    // this one's records; a replay resets at the next kSnapshotBegin.
    WG_RETURN_IF_ERROR(store->Commit(batch.get(), /*sync=*/false));
    return archiver->SealIfDue(WallClockNow());
  });
  WG_RETURN_IF_ERROR(s.WithContext("snapshot"));
  WG_RETURN_IF_ERROR(engine->CarryFiring(handover, info.consistent_point, batch.get(), WallClockNow(), &out));
  // Evaluated in rounds, each committed as the chunks were (no checkpoint
  // yet), so that the final batch stays bounded whatever the snapshot's size.
  WG_RETURN_IF_ERROR(engine->FinishSnapshot(info.consistent_point, batch.get(), WallClockNow(), &out, nullptr,
                                            [&] { return store->Commit(batch.get(), /*sync=*/false); }));
  archiver->RecordSnapshotEnd(info.consistent_point, batch.get());
  batch->ClearHandover(handover);
  batch->AppendOutbox(out, appended);
  Checkpoint* checkpoint = parts.checkpoint;
  checkpoint->lsn = info.consistent_point;
  checkpoint->snapshot_done = true;
  checkpoint->slot = slot;
  batch->SetCheckpoint(*checkpoint);
  WG_RETURN_IF_ERROR(store->Commit(batch.get(), /*sync=*/true));
  // The entities the snapshot kept to evaluate (Engine::FinishSnapshot); left
  // by a crash here, the next open drops them (StateStore::RollBackPartial).
  WG_RETURN_IF_ERROR(store->DropPartial());
  WG_RETURN_IF_ERROR(archiver->SealIfDue(WallClockNow()));
  spdlog::info(
      "bootstrap: {} snapshot rows applied, {} alert(s) of the previous state continued or resolved, {} "
      "message(s) emitted; streaming from {}",
      rows, handover.size(), appended->size(), FormatLsn(info.consistent_point));
  WG_RETURN_IF_ERROR(parts.outlet->Publish(std::move(*appended)));
  appended->clear();
  return Status::OK();
}

Status BootstrapWithRetry(const BootstrapParts& parts, Backoff* backoff, const std::function<Status()>& reconnect) {
  std::vector<OutboxEntry> appended;
  Status s = Bootstrap(parts, &appended);
  while ((s.IsUnavailable() || IsOutOfSpace(s)) && !backoff->stopped()) {
    // A full disk during the snapshot: it starts over once there is room.
    const bool no_space = IsOutOfSpace(s);
    if (no_space) {
      LogWaitingForSpace("write the snapshot", parts.config.state_dir, SpaceNeeded(0, parts.store->UnflushedBytes()), s,
                         backoff->next_ms());
    } else {
      spdlog::warn("bootstrap: {}; starting over in {} ms", s.ToString(), backoff->next_ms());
    }
    parts.repl->Close();
    // Entries the cut snapshot's chunks committed (dead letters) are in the
    // outbox, which the wipe keeps: deliver them like any other.
    WG_RETURN_IF_ERROR(parts.outlet->Publish(std::move(appended)));
    appended.clear();
    backoff->Sleep();
    s = no_space ? parts.store->RecoverFromWriteError() : Status::OK();
    if (s.ok()) s = reconnect();
    if (s.ok()) s = Bootstrap(parts, &appended);
  }
  return s;
}

}  // namespace walguard

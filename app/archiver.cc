#include "app/archiver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <filesystem>

#include "app/backoff.h"
#include "app/disk_wait.h"
#include "app/recorded_thresholds.h"
#include "core/archive_record.h"

namespace walguard {

ArchiverOptions ArchiverOptionsFromConfig(const Config& config) {
  const ArchiveConfig& a = config.archive;
  ArchiverOptions options;
  options.enabled = a.enabled;
  options.dir = a.dir.empty() ? (std::filesystem::path(config.state_dir) / "archive").string() : a.dir;
  options.segment_bytes = static_cast<uint64_t>(a.segment_bytes);
  options.seal_interval = a.seal_interval_s * kMicrosPerSecond;
  options.retention.max_age = a.max_age_days * 24 * 3600 * kMicrosPerSecond;
  options.retention.max_bytes = static_cast<uint64_t>(a.max_bytes);
  options.checkpoint_interval = a.checkpoint_interval_s * kMicrosPerSecond;
  options.thresholds = RecordThresholds(config.thresholds);
  return options;
}

Archiver::Archiver(ArchiverOptions options, StateStore* store)
    : options_(std::move(options)),
      store_(store),
      checkpointer_(CheckpointOptions{options_.dir, options_.checkpoint_interval, options_.thresholds}, store) {}

Status Archiver::Open(Micros now) {
  if (!options_.enabled) {
    // Steps applied now go unrecorded: a gap in the seqs says so to a replay
    // of an archive that is enabled again later.
    if (store_->next_archive_seq() == 1) return Status::OK();
    return store_->SkipArchiveSeqs(store_->next_archive_seq() + 1);
  }
  WG_RETURN_IF_ERROR(Reconcile());
  WG_RETURN_IF_ERROR(checkpointer_.Open(now).WithContext("archive " + options_.dir));
  if (store_->archive_buffer_bytes() > 0) buffered_since_ = now;
  return Status::OK();
}

Status Archiver::Reconcile() {
  std::vector<SegmentInfo> segments;
  WG_RETURN_IF_ERROR(ListSegments(options_.dir, &segments).WithContext("archive " + options_.dir));
  if (segments.empty()) return Status::OK();
  const uint64_t sealed_through = segments.back().last_seq;
  if (sealed_through >= store_->next_archive_seq()) {
    // Segments numbered past this state's counter: the archive outlived its
    // state directory (removed, or a fresh one). Its history stays; the new
    // state's continues after it, behind its own snapshot.
    if (store_->archive_buffer_bytes() > 0) {
      return Status::Fatal("the archive in " + options_.dir + " holds records up to seq " +
                           std::to_string(sealed_through) + ", past the state's own (" +
                           std::to_string(store_->next_archive_seq() - 1) +
                           "): it belongs to another state directory; move it aside or set archive.dir");
    }
    spdlog::warn("archive: {} holds records up to seq {} from an earlier state directory; continuing after them",
                 options_.dir, sealed_through);
    return store_->SkipArchiveSeqs(sealed_through + 1);
  }
  // A stop between a segment's rename and the buffer's delete: the segment
  // holds those records already.
  const uint64_t before = store_->archive_buffer_bytes();
  WG_RETURN_IF_ERROR(store_->DeleteArchiveBuffer(sealed_through));
  if (store_->archive_buffer_bytes() != before) {
    spdlog::info("archive: {} bytes of buffered records were already sealed (through seq {}); dropped from the buffer",
                 before - store_->archive_buffer_bytes(), sealed_through);
  }
  return Status::OK();
}

// The thresholds go before the first record of the run, in its batch: a
// replay's --diff baseline applies them from there on.
void Archiver::Append(Lsn lsn, Micros time, StateBatch* batch) {
  if (!thresholds_recorded_ && !options_.thresholds.empty()) {
    thresholds_recorded_ = true;
    std::string record;
    EncodeThresholdsRecord(options_.thresholds, &record);
    batch->AppendArchive(0, 0, record);
  }
  batch->AppendArchive(lsn, time, scratch_);
  scratch_.clear();
}

void Archiver::RecordTransaction(const Transaction& txn, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeTransactionRecord(txn, &scratch_);
  Append(txn.end_lsn, txn.commit_time, batch);
}

void Archiver::RecordTransactionPart(const Transaction& part, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeTransactionPartRecord(part, &scratch_);
  Append(part.end_lsn, part.commit_time, batch);
}

void Archiver::RecordClockTick(Micros clock, Lsn lsn, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeClockTickRecord(clock, lsn, &scratch_);
  Append(lsn, clock, batch);
}

// A snapshot's records ride in its chunks, which commit without a checkpoint:
// a bootstrap cut short leaves a begin and some rows in the archive, and the
// next attempt records a new begin. That is harmless, as a replay resets its
// state at every kSnapshotBegin.
void Archiver::RecordSnapshotBegin(Micros clock, Lsn consistent_point, const std::vector<FiringAlert>& handover,
                                   StateBatch* batch) {
  if (!options_.enabled) return;
  snapshot_clock_ = clock;
  // A bootstrap's batches may be lost to a retry: each snapshot says its thresholds again.
  thresholds_recorded_ = false;
  EncodeSnapshotBeginRecord(clock, consistent_point, handover, &scratch_);
  Append(consistent_point, clock, batch);
}

void Archiver::RecordSnapshotRow(const Change& row, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeSnapshotRowRecord(row, &scratch_);
  Append(0, snapshot_clock_, batch);
}

void Archiver::RecordSnapshotEnd(Lsn consistent_point, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeSnapshotEndRecord(consistent_point, &scratch_);
  Append(consistent_point, snapshot_clock_, batch);
}

void Archiver::RecordOwnCheck(std::string_view check, std::string_view body, Lsn lsn, Micros clock, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeOwnCheckRecord(check, lsn, clock, body, &scratch_);
  Append(lsn, clock, batch);
}

void Archiver::RecordOwnMessage(const OutMessage& message, Lsn lsn, Micros clock, StateBatch* batch) {
  if (!options_.enabled) return;
  EncodeOwnMessageRecord(message, lsn, clock, &scratch_);
  Append(lsn, clock, batch);
}

Status Archiver::SealIfDue(Micros now) {
  if (!options_.enabled) return Status::OK();
  if (store_->archive_buffer_bytes() == 0) return Status::OK();
  if (now < paused_until_) return Status::OK();  // waiting for disk space
  if (buffered_since_ == 0) buffered_since_ = now;
  const bool aged = now - buffered_since_ >= options_.seal_interval;
  if (!aged && store_->archive_buffer_bytes() < options_.segment_bytes) return Status::OK();
  return PauseIfOutOfSpace(ResumeThenSeal(now, aged), now);
}

Status Archiver::Flush(Micros now) {
  if (!options_.enabled) return Status::OK();
  Status sealed = PauseIfOutOfSpace(ResumeThenSeal(now, /*all=*/true), now);
  checkpointer_.Finish();
  return sealed;
}

// After a pause, a segment may be on disk whose records the buffer still
// holds (the delete found the disk full): reconciled before sealing again,
// so no record is sealed twice.
Status Archiver::ResumeThenSeal(Micros now, bool all) {
  if (paused_until_ != 0) {
    WG_RETURN_IF_ERROR(Reconcile());
    spdlog::info("archive: disk space is back in {}; sealing again", options_.dir);
    paused_until_ = 0;
    pause_ms_ = 0;
  }
  return SealWhile(now, all);
}

// A full disk pauses sealing: the records wait in the buffer (in the state)
// and the seal is tried again after a growing pause. A segment is written
// under a temporary name and renamed whole (ingest/durable_file.h), so a
// failed seal leaves nothing a reader would take for a segment.
Status Archiver::PauseIfOutOfSpace(Status s, Micros now) {
  if (!IsOutOfSpace(s)) return s;
  pause_ms_ = pause_ms_ == 0 ? kInitialBackoffMs : std::min(pause_ms_ * 2, kMaxPauseMs);
  paused_until_ = now + Micros{pause_ms_} * 1000;
  LogWaitingForSpace("seal an archive segment", options_.dir, store_->archive_buffer_bytes(), s, pause_ms_);
  return Status::OK();
}

// Seals segments while a full one is buffered, or (all) while anything is.
Status Archiver::SealWhile(Micros now, bool all) {
  for (int i = 0; i < kMaxSealsPerCall; ++i) {
    const uint64_t buffered = store_->archive_buffer_bytes();
    if (buffered == 0 || (!all && buffered < options_.segment_bytes)) break;
    WG_RETURN_IF_ERROR(SealOne(now));
    assert(store_->archive_buffer_bytes() < buffered);
  }
  buffered_since_ = store_->archive_buffer_bytes() > 0 ? now : 0;
  if (buffered_since_ != 0) return Status::OK();
  // A seal boundary: the state holds exactly the effects of the sealed records.
  WG_RETURN_IF_ERROR(checkpointer_.AtBoundary(now, checkpoint_wanted_));
  if (checkpointer_.writing()) checkpoint_wanted_ = false;
  return Status::OK();
}

// Two passes over the buffer, with nothing committed between them: the
// first finds the segment's records and the size of their content, which
// the segment's frame states before them; the second streams them into the
// segment, which holds them compressed, never a second copy.
Status Archiver::SealOne(Micros now) {
  // Records committed unsynced (snapshot chunks) become durable first: a
  // segment never holds a step the state could still lose.
  WG_RETURN_IF_ERROR(store_->SyncWal());
  uint64_t count = 0, last_seq = 0, bytes = 0, content_bytes = 0;
  WG_RETURN_IF_ERROR(store_->VisitArchiveBuffer(0, [&](const ArchiveBufferView& e) {
    if (count > 0 && bytes + e.bytes.size() > options_.segment_bytes) return false;
    ++count;
    last_seq = e.seq;
    bytes += e.bytes.size();
    content_bytes += SegmentContentBytes(e.bytes.size());
    return bytes < options_.segment_bytes;
  }));
  if (count == 0) return Status::Corruption("archive buffer counted bytes but holds no record");
  SegmentWriter writer(content_bytes);
  Status added;
  WG_RETURN_IF_ERROR(store_->VisitArchiveBuffer(0, [&](const ArchiveBufferView& e) {
    if (e.seq > last_seq) return false;
    added = writer.Add({e.seq, e.lsn, e.time, e.bytes});
    return added.ok();
  }));
  SegmentInfo info;
  if (added.ok()) added = writer.Finish(options_.dir, &info);
  WG_RETURN_IF_ERROR(added.WithContext("archive " + options_.dir));
  WG_RETURN_IF_ERROR(store_->DeleteArchiveBuffer(last_seq));
  spdlog::info("archive: sealed {} record(s), {} bytes, seq {}..{}, LSN {}..{} into {}", count, bytes, info.first_seq,
               info.last_seq, FormatLsn(info.first_lsn), FormatLsn(info.last_lsn), info.path);
  return Retain(now);
}

Status Archiver::Retain(Micros now) {
  RetentionOutcome outcome;
  WG_RETURN_IF_ERROR(ApplyRetention(options_.dir, options_.retention, now, &outcome).WithContext("archive retention"));
  for (const SegmentInfo& d : outcome.deleted) {
    spdlog::warn("archive: retention deleted {} (seq {}..{}, LSN {}..{}); replay starts after it", d.path, d.first_seq,
                 d.last_seq, FormatLsn(d.first_lsn), FormatLsn(d.last_lsn));
  }
  for (const StateCheckpointInfo& c : outcome.deleted_checkpoints) {
    spdlog::info("archive: retention deleted the state checkpoint {} (LSN {})", c.path, FormatLsn(c.lsn));
  }
  if (outcome.wants_checkpoint && !checkpoint_wanted_) {
    spdlog::info(
        "archive: over its retention limits with no later start point; a state checkpoint follows at the "
        "next seal boundary");
  }
  checkpoint_wanted_ = checkpoint_wanted_ || outcome.wants_checkpoint;
  return Status::OK();
}

}  // namespace walguard

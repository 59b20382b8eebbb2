// ArchiveRecord: one step of processing as the archive keeps it, so that a
// replay applies exactly the steps the live run applied, in the same order,
// and derives the same alerts (docs/reference.md section 6).
//
// A step is what the engine applies atomically: a source transaction, a WAL
// clock tick, or a snapshot in three parts (begin, rows, end). The encoding
// is walguard's own binary format (util/coding.h), FROZEN like the state's
// key layout: records outlive the binary that wrote them. A new field goes at
// the end of a kind's encoding, and decoders ignore trailing bytes they do
// not know; anything else is a new kArchiveFormatVersion.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/change.h"
#include "core/firing_alert.h"
#include "core/output.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

inline constexpr int kArchiveFormatVersion = 1;

// FROZEN: stored as the first byte of every record.
enum class ArchiveRecordKind : char {
  kTransaction = 'X',    // txn: a source transaction, applied at its commit
  kClockTick = 'K',      // clock, lsn: the WAL clock moved by a keepalive while idle
  kSnapshotBegin = 'B',  // clock, lsn (the slot's consistent point), handover: the
                         // firing set of a replaced state (--resnapshot), may be empty,
                         // then each alert's facts (PutFiringFacts), added later
  kSnapshotRow = 'R',    // row: one row read under the snapshot
  kSnapshotEnd = 'E',    // lsn: every table read; the snapshot is evaluated here
  // Added after version 1, so an older walguard reports them as malformed.
  kThresholds = 'T',       // text: the thresholds in effect from here on (each start of `walguard run`)
  kOwnCheck = 'O',         // check, lsn, clock, body: one observation of a check of walguard's own health
                           // (replication_lag), evaluated again by a replay with its thresholds
  kOwnMessage = 'M',       // lsn, clock, message: a message walguard emitted outside the engine (an
                           // undecodable record's dead letter), re-emitted verbatim by a replay
  kTransactionPart = 'P',  // txn: some changes of a transaction applied in parts (state/partial_transaction.h),
                           // in order; its last changes are the kTransaction of the same xid that follows,
                           // with nothing else between (parts of a transaction that never committed are
                           // removed before they reach a segment)
  // Never in a segment: a state checkpoint file (ingest/archive_checkpoint.h)
  // as a replay reads it. lsn, clock, text (the thresholds in effect), state.
  kStateCheckpoint = 'C',
};

struct ArchiveRecord {
  ArchiveRecordKind kind = ArchiveRecordKind::kTransaction;
  Transaction txn;                    // kTransaction, kTransactionPart
  Change row;                         // kSnapshotRow
  Micros clock = 0;                   // kClockTick, kSnapshotBegin
  Lsn lsn = 0;                        // kClockTick, kSnapshotBegin, kSnapshotEnd (kTransaction: txn.end_lsn)
  std::vector<FiringAlert> handover;  // kSnapshotBegin
  std::string text;                   // kThresholds, kStateCheckpoint: RecordedThresholds (app/recorded_thresholds.h)
  std::string check;                  // kOwnCheck: the alert type observed ("replication_lag")
  std::string body;                   // kOwnCheck: the observation, encoded by its check (processors/own_checks.h)
  OutMessage message;                 // kOwnMessage
  std::vector<std::pair<std::string, std::string>> state;  // kStateCheckpoint: the state's keys and values, in order

  // The position of the record in the WAL: a transaction's end LSN, a tick's
  // last applied position, a snapshot's consistent point, a checkpoint's
  // applied position; 0 for a row and for thresholds.
  Lsn Position() const { return IsTransaction() ? txn.end_lsn : lsn; }
  // The WAL clock the record carries: commit time, tick time, snapshot time.
  Micros Time() const { return IsTransaction() ? txn.commit_time : clock; }
  bool IsTransaction() const {
    return kind == ArchiveRecordKind::kTransaction || kind == ArchiveRecordKind::kTransactionPart;
  }
};

// Appends the encoding of `record` to *out.
void EncodeArchiveRecord(const ArchiveRecord& record, std::string* out);

// Corruption when `in` is not one whole record.
Status DecodeArchiveRecord(std::string_view in, ArchiveRecord* record);

// The encodings of the steps, without building an ArchiveRecord first (the
// live pipeline's hot path).
void EncodeTransactionRecord(const Transaction& txn, std::string* out);
void EncodeTransactionPartRecord(const Transaction& txn, std::string* out);
// Either of the two above, by `kind`.
void EncodeTransactionBody(ArchiveRecordKind kind, const Transaction& txn, std::string* out);
void EncodeClockTickRecord(Micros clock, Lsn lsn, std::string* out);
void EncodeSnapshotBeginRecord(Micros clock, Lsn consistent_point, const std::vector<FiringAlert>& handover,
                               std::string* out);
void EncodeSnapshotRowRecord(const Change& row, std::string* out);
void EncodeSnapshotEndRecord(Lsn consistent_point, std::string* out);
void EncodeThresholdsRecord(std::string_view thresholds, std::string* out);
void EncodeOwnCheckRecord(std::string_view check, Lsn lsn, Micros clock, std::string_view body, std::string* out);
void EncodeOwnMessageRecord(const OutMessage& message, Lsn lsn, Micros clock, std::string* out);

}  // namespace walguard

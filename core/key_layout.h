// The on-disk layout of walguard's state: the first byte(s) of every key, in
// one place, with the format version that names this layout.
//
// FROZEN. A state directory outlives the binary that wrote it, so every tag
// below, and every enum value persisted inside keys or values (EntityKind in
// core/entity_kind.h, Topic in core/output.h, TableId in
// processors/monitored_tables.h), keeps its value forever. A change to any
// of them, or to how a value is encoded, is a new kStateFormatVersion: the
// state store refuses a state of another version and the operator rebuilds
// it with `walguard run --resnapshot`.
//
// Processor state ('A'..'T') is derived from the source tables and rebuilt
// by a snapshot; state-owned keys start with '~', which sorts after every
// processor tag.
#pragma once

#include <string_view>

namespace walguard::keys {

// Bumped whenever anything above changes meaning (see the header comment).
inline constexpr int kStateFormatVersion = 2;  // 2: context columns in row images; 'B', 'C', 'E', 'G', 'H'; '~x'

// ---- processor state (wiped by a fresh snapshot) ----
inline constexpr char kAggregate = 'A';       // 'A' | EntityKind | entity id -> int64 counters
inline constexpr char kBookedIndex = 'B';     // 'B' | unit '/' be32(check_in) | reservation id -> be32(check_out)
inline constexpr char kCronIndex = 'C';       // 'C' 'n' | job entity id \0 jobid; 'C' 'r' | jobid \0 ~runid
inline constexpr char kDisabledRule = 'D';    // 'D' | rule type -> details of its rule_disabled alert
inline constexpr char kRepeatTimer = 'E';     // 'E' | be64(deadline) | fingerprint -> base, alert_id, command args
inline constexpr char kFiring = 'F';          // 'F' | fingerprint -> alert_id
inline constexpr char kHistorical = 'G';      // 'G' | fingerprint -> "" while it fires as historical
inline constexpr char kStuckHoldIndex = 'H';  // 'H' | tier id '/' be64(expires_at) | hold id -> ""  (stuck holds)
inline constexpr char kLedgerIndex = 'L';     // 'L' | transaction id '/' entry id -> entry
inline constexpr char kOverbooked = 'O';      // 'O' | unit '/' be32(date) -> "" while overbooked
inline constexpr char kPaymentIndex = 'P';    // 'P' | intent id '/' payment id -> payment
inline constexpr char kRowImage = 'R';        // 'R' | TableId | row key -> row image
inline constexpr char kScalar = 'S';          // 'S' | name -> value ("Sclock": the WAL clock)
inline constexpr char kTimer = 'T';           // 'T' | be64(deadline) | TableId | row key -> ""

// ---- owned by the state store ----
// The archive's records not yet sealed into a segment (ingest/archive.h),
// written in the same batch as the step's effects.
inline constexpr std::string_view kArchiveBuffer = "~a";  // '~a' | be64(seq) -> be64(lsn), be64(time), record
inline constexpr std::string_view kCheckpoint = "~c";     // -> position, slot, system id, next outbox seq
inline constexpr std::string_view kHandover = "~h";       // '~h' | fingerprint -> alert_id '\0' facts (--resnapshot)
inline constexpr std::string_view kOutbox = "~o";         // '~o' | be64(seq) -> topic, key, payload
inline constexpr std::string_view kArchiveSeq = "~s";     // -> be64(the next archive seq)
inline constexpr std::string_view kFormatVersion = "~v";  // -> kStateFormatVersion, decimal text
// A transaction applied in parts (state/partial_transaction.h): transient,
// everything under kPartial is dropped at once when it commits or rolls back.
inline constexpr std::string_view kPartial = "~x";
inline constexpr std::string_view kPartialDirty = "~xd";      // '~xd' | EntityKind | entity id -> "" (to evaluate)
inline constexpr std::string_view kPartialHeader = "~xh";     // -> xid, first archive seq: parts applied, no commit yet
inline constexpr std::string_view kPartialOccupancy = "~xo";  // '~xo' | unit '\0' be32(date) -> netted delta
inline constexpr std::string_view kPartialUndo = "~xu";       // '~xu' | key -> the key's value before the parts

// The key of a scalar: "S" + name.
inline constexpr std::string_view kClockKey = "Sclock";

// What a fresh snapshot keeps (StateStore::Wipe deletes every other key):
// recorded history stays recorded (the archive buffer and its seq counter),
// committed messages still go out, the old firing set is handed over, and
// the directory stays marked with its format. Sorted.
inline constexpr std::string_view kKeptByWipe[] = {kArchiveBuffer, kHandover, kOutbox, kArchiveSeq, kFormatVersion};

}  // namespace walguard::keys

// TransactionAssembler: collects records between B and C into a Transaction.
//
// wal2json sends transactions serially in commit order, never interleaved.
// A C closes the transaction that its B opened; a change outside B/C is only
// legal for a non-transactional logical message, which is handed out alone.
//
// A transaction larger than the part size (`[state] transaction_spill_bytes`)
// is handed out in parts as it arrives, so memory stays bounded whatever its
// size: each time the changes held pass the size, a kPart event; the
// consumer takes them and calls ClearPart. The C then hands out the rest as
// usual (kTransaction) with parted() true. The header (xid, LSNs, commit
// time) comes from B, which wal2json writes at the commit with the same
// values as C.
#pragma once

#include <cstdint>

#include "core/change.h"
#include "ingest/wal2json_decoder.h"
#include "util/status.h"

namespace walguard {

class TransactionAssembler {
 public:
  enum class Event {
    kNone,               // record consumed, nothing complete yet
    kTransaction,        // transaction() holds a complete transaction
    kStandaloneMessage,  // message() holds a non-transactional logical message
    kPart,               // transaction() holds the next part of the open transaction
  };

  // The approximate bytes of changes held before a part is handed out; 0: never.
  void set_part_bytes(uint64_t bytes) { part_bytes_ = bytes; }

  // Consumes one decoded record. Errors (a C without a B, a B inside an open
  // transaction, mismatched xids) reset the assembler and say what happened.
  Status Add(Record&& record, Event* event);

  bool in_transaction() const { return open_; }
  const Transaction& transaction() const { return txn_; }
  Transaction& mutable_transaction() { return txn_; }
  const Record& message() const { return message_; }

  // After kPart: the part was taken; its changes are dropped.
  void ClearPart();
  // The transaction open, or just completed, was handed out in parts.
  bool parted() const { return parted_; }

  // Drops a partial transaction (after a reconnect).
  void Reset();

 private:
  Status AddChange(Record&& record, Event* event);  // I/U/D/T/M records

  bool open_ = false;
  bool parted_ = false;
  uint64_t part_bytes_ = 0;
  uint64_t held_bytes_ = 0;  // of txn_.changes, approximately
  Transaction txn_;
  Record message_;
};

}  // namespace walguard

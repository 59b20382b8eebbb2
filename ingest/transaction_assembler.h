// TransactionAssembler: collects records between B and C into a Transaction.
//
// wal2json sends transactions serially in commit order, never interleaved.
// A C closes the transaction that its B opened; a change outside B/C is only
// legal for a non-transactional logical message, which is handed out alone.
#pragma once

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
  };

  // Consumes one decoded record. Errors (a C without a B, a B inside an open
  // transaction, mismatched xids) reset the assembler and say what happened.
  Status Add(Record&& record, Event* event);

  bool in_transaction() const { return open_; }
  const Transaction& transaction() const { return txn_; }
  Transaction& mutable_transaction() { return txn_; }
  const Record& message() const { return message_; }

  // Drops a partial transaction (after a reconnect).
  void Reset();

 private:
  Status AddChange(Record&& record, Event* event);  // I/U/D/T/M records

  bool open_ = false;
  Transaction txn_;
  Record message_;
};

}  // namespace walguard

#include "ingest/transaction_assembler.h"

#include <string>
#include <utility>

namespace walguard {

namespace {

std::string XidText(uint32_t xid) {
  return std::to_string(xid);
}

// What a change holds in memory, near enough to bound a part.
uint64_t HeldBytes(const Change& c) {
  uint64_t bytes =
      sizeof(Change) + c.schema.capacity() + c.table.capacity() + c.prefix.capacity() + c.content.capacity();
  for (const std::vector<Datum>* data : {&c.columns, &c.identity}) {
    bytes += data->capacity() * sizeof(Datum);
    for (const Datum& d : *data) bytes += d.name.capacity() + d.text.capacity();
  }
  return bytes;
}

}  // namespace

Status TransactionAssembler::Add(Record&& record, Event* event) {
  *event = Event::kNone;
  switch (record.kind) {
    case RecordKind::kBegin: {
      if (open_) {
        Status s =
            Status::Corruption("B for xid " + XidText(record.xid) + " while xid " + XidText(txn_.xid) + " is open");
        Reset();
        return s;
      }
      open_ = true;
      txn_.xid = record.xid;
      txn_.begin_lsn = record.lsn;
      txn_.end_lsn = record.next_lsn;
      txn_.commit_time = record.timestamp;
      txn_.changes.clear();  // keeps capacity: transactions are mostly alike in size
      held_bytes_ = 0;
      parted_ = false;
      return Status::OK();
    }
    case RecordKind::kCommit: {
      if (!open_) {
        Reset();
        return Status::Corruption("C for xid " + XidText(record.xid) + " without a B");
      }
      if (record.xid != txn_.xid) {
        Status s =
            Status::Corruption("C for xid " + XidText(record.xid) + " while xid " + XidText(txn_.xid) + " is open");
        Reset();
        return s;
      }
      // C's nextlsn is the byte after the commit record: the position to
      // persist and acknowledge once this transaction is applied.
      txn_.end_lsn = record.next_lsn;
      txn_.commit_time = record.timestamp;
      open_ = false;
      *event = Event::kTransaction;
      return Status::OK();
    }
    case RecordKind::kChange:
      return AddChange(std::move(record), event);
  }
  return Status::Corruption("unknown record kind");
}

Status TransactionAssembler::AddChange(Record&& record, Event* event) {
  // A non-transactional message is decoded when its record is read, so it can
  // arrive inside someone else's B/C pair: hand it out alone and leave the
  // open transaction as it is.
  if (record.change.action == Action::kMessage && !record.change.transactional) {
    message_ = std::move(record);
    *event = Event::kStandaloneMessage;
    return Status::OK();
  }
  if (!open_) {
    Reset();
    return Status::Corruption("change to " + record.change.schema + "." + record.change.table + " (xid " +
                              XidText(record.xid) + ") outside a transaction");
  }
  if (record.xid != txn_.xid) {
    Status s = Status::Corruption("change for xid " + XidText(record.xid) + " inside xid " + XidText(txn_.xid));
    Reset();
    return s;
  }
  if (part_bytes_ != 0) held_bytes_ += HeldBytes(record.change);
  txn_.changes.push_back(std::move(record.change));
  if (part_bytes_ != 0 && held_bytes_ >= part_bytes_) {
    parted_ = true;
    *event = Event::kPart;
  }
  return Status::OK();
}

void TransactionAssembler::ClearPart() {
  txn_.changes.clear();
  held_bytes_ = 0;
}

void TransactionAssembler::Reset() {
  open_ = false;
  txn_.xid = 0;
  txn_.begin_lsn = 0;
  txn_.end_lsn = 0;
  txn_.commit_time = 0;
  txn_.changes.clear();
  held_bytes_ = 0;
  parted_ = false;
}

}  // namespace walguard

#include "core/archive_record.h"

#include "util/coding.h"

namespace walguard {

namespace {

void PutDatums(const std::vector<Datum>& data, std::string* out) {
  PutVarint64(out, data.size());
  for (const Datum& d : data) {
    PutLengthPrefixed(out, d.name);
    PutLengthPrefixed(out, d.text);
    out->push_back(d.is_null ? 1 : 0);
    out->push_back(static_cast<char>(d.type));
  }
}

bool GetByte(std::string_view* in, uint8_t* v) {
  if (in->empty()) return false;
  *v = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  return true;
}

bool GetString(std::string_view* in, std::string* s) {
  std::string_view v;
  if (!GetLengthPrefixed(in, &v)) return false;
  s->assign(v);
  return true;
}

bool GetDatums(std::string_view* in, std::vector<Datum>* data) {
  uint64_t n = 0;
  // Each datum takes at least 4 bytes: a bound on n before reserving.
  if (!GetVarint64(in, &n) || n > in->size() / 4) return false;
  data->resize(n);
  for (Datum& d : *data) {
    uint8_t is_null = 0, type = 0;
    if (!GetString(in, &d.name) || !GetString(in, &d.text) || !GetByte(in, &is_null) || !GetByte(in, &type)) {
      return false;
    }
    if (is_null > 1 || type > static_cast<uint8_t>(TypeFamily::kOther)) return false;
    d.is_null = is_null != 0;
    d.type = static_cast<TypeFamily>(type);
  }
  return true;
}

void PutChange(const Change& c, std::string* out) {
  out->push_back(static_cast<char>(c.action));
  PutLengthPrefixed(out, c.schema);
  PutLengthPrefixed(out, c.table);
  PutDatums(c.columns, out);
  PutDatums(c.identity, out);
  PutVarint64(out, c.lsn);
  PutLengthPrefixed(out, c.prefix);
  PutLengthPrefixed(out, c.content);
  out->push_back(c.transactional ? 1 : 0);
}

bool ValidAction(uint8_t a) {
  switch (static_cast<Action>(a)) {
    case Action::kInsert:
    case Action::kUpdate:
    case Action::kDelete:
    case Action::kTruncate:
    case Action::kMessage:
      return true;
  }
  return false;
}

bool GetChange(std::string_view* in, Change* c) {
  uint8_t action = 0, transactional = 0;
  if (!GetByte(in, &action) || !ValidAction(action)) return false;
  c->action = static_cast<Action>(action);
  if (!GetString(in, &c->schema) || !GetString(in, &c->table)) return false;
  if (!GetDatums(in, &c->columns) || !GetDatums(in, &c->identity)) return false;
  if (!GetVarint64(in, &c->lsn) || !GetString(in, &c->prefix) || !GetString(in, &c->content)) return false;
  if (!GetByte(in, &transactional) || transactional > 1) return false;
  c->transactional = transactional != 0;
  return true;
}

bool GetTransaction(std::string_view* in, Transaction* txn) {
  uint64_t xid = 0, n = 0;
  if (!GetVarint64(in, &xid) || !GetVarint64(in, &txn->begin_lsn) || !GetVarint64(in, &txn->end_lsn)) return false;
  if (!GetVarsint64(in, &txn->commit_time) || !GetVarint64(in, &n)) return false;
  // A change takes at least 12 bytes.
  if (xid > UINT32_MAX || n > in->size() / 12) return false;
  txn->xid = static_cast<uint32_t>(xid);
  txn->changes.resize(n);
  for (Change& c : txn->changes) {
    if (!GetChange(in, &c)) return false;
  }
  return true;
}

bool GetHandover(std::string_view* in, std::vector<FiringAlert>* handover) {
  uint64_t n = 0;
  if (!GetVarint64(in, &n) || n > in->size() / 2) return false;
  handover->resize(n);
  for (FiringAlert& a : *handover) {
    if (!GetString(in, &a.fingerprint) || !GetString(in, &a.alert_id)) return false;
  }
  // The alerts' facts came later, after the whole list (see the header): a
  // record without them hands over alerts that are not historical and do not repeat.
  if (in->empty()) return true;
  for (FiringAlert& a : *handover) {
    if (!GetFiringFacts(in, &a)) return false;
  }
  return true;
}

}  // namespace

void EncodeTransactionRecord(const Transaction& txn, std::string* out) {
  EncodeTransactionBody(ArchiveRecordKind::kTransaction, txn, out);
}

void EncodeTransactionPartRecord(const Transaction& txn, std::string* out) {
  EncodeTransactionBody(ArchiveRecordKind::kTransactionPart, txn, out);
}

void EncodeTransactionBody(ArchiveRecordKind kind, const Transaction& txn, std::string* out) {
  out->push_back(static_cast<char>(kind));
  PutVarint64(out, txn.xid);
  PutVarint64(out, txn.begin_lsn);
  PutVarint64(out, txn.end_lsn);
  PutVarsint64(out, txn.commit_time);
  PutVarint64(out, txn.changes.size());
  for (const Change& c : txn.changes) PutChange(c, out);
}

void EncodeClockTickRecord(Micros clock, Lsn lsn, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kClockTick));
  PutVarsint64(out, clock);
  PutVarint64(out, lsn);
}

void EncodeSnapshotBeginRecord(Micros clock, Lsn consistent_point, const std::vector<FiringAlert>& handover,
                               std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kSnapshotBegin));
  PutVarsint64(out, clock);
  PutVarint64(out, consistent_point);
  PutVarint64(out, handover.size());
  for (const FiringAlert& a : handover) {
    PutLengthPrefixed(out, a.fingerprint);
    PutLengthPrefixed(out, a.alert_id);
  }
  for (const FiringAlert& a : handover) PutFiringFacts(a, out);
}

void EncodeSnapshotRowRecord(const Change& row, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kSnapshotRow));
  PutChange(row, out);
}

void EncodeSnapshotEndRecord(Lsn consistent_point, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kSnapshotEnd));
  PutVarint64(out, consistent_point);
}

void EncodeThresholdsRecord(std::string_view thresholds, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kThresholds));
  PutLengthPrefixed(out, thresholds);
}

void EncodeOwnCheckRecord(std::string_view check, Lsn lsn, Micros clock, std::string_view body, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kOwnCheck));
  PutLengthPrefixed(out, check);
  PutVarint64(out, lsn);
  PutVarsint64(out, clock);
  PutLengthPrefixed(out, body);
}

void EncodeOwnMessageRecord(const OutMessage& message, Lsn lsn, Micros clock, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kOwnMessage));
  PutVarint64(out, lsn);
  PutVarsint64(out, clock);
  out->push_back(static_cast<char>(message.topic));
  PutLengthPrefixed(out, message.key);
  PutLengthPrefixed(out, message.payload);
}

namespace {

void EncodeStateCheckpointRecord(const ArchiveRecord& r, std::string* out) {
  out->push_back(static_cast<char>(ArchiveRecordKind::kStateCheckpoint));
  PutVarint64(out, r.lsn);
  PutVarsint64(out, r.clock);
  PutLengthPrefixed(out, r.text);
  PutVarint64(out, r.state.size());
  for (const auto& [key, value] : r.state) {
    PutLengthPrefixed(out, key);
    PutLengthPrefixed(out, value);
  }
}

bool GetOwnMessage(std::string_view* in, ArchiveRecord* r) {
  uint8_t topic = 0;
  if (!GetVarint64(in, &r->lsn) || !GetVarsint64(in, &r->clock) || !GetByte(in, &topic)) return false;
  if (topic > static_cast<uint8_t>(Topic::kDeadLetter)) return false;
  r->message.topic = static_cast<Topic>(topic);
  return GetString(in, &r->message.key) && GetString(in, &r->message.payload);
}

bool GetStateCheckpoint(std::string_view* in, ArchiveRecord* r) {
  uint64_t n = 0;
  if (!GetVarint64(in, &r->lsn) || !GetVarsint64(in, &r->clock) || !GetString(in, &r->text)) return false;
  // A key and a value take at least 2 bytes.
  if (!GetVarint64(in, &n) || n > in->size() / 2) return false;
  r->state.resize(n);
  for (auto& [key, value] : r->state) {
    if (!GetString(in, &key) || !GetString(in, &value)) return false;
  }
  return true;
}

}  // namespace

void EncodeArchiveRecord(const ArchiveRecord& r, std::string* out) {
  switch (r.kind) {
    case ArchiveRecordKind::kTransaction:
      return EncodeTransactionRecord(r.txn, out);
    case ArchiveRecordKind::kTransactionPart:
      return EncodeTransactionPartRecord(r.txn, out);
    case ArchiveRecordKind::kClockTick:
      return EncodeClockTickRecord(r.clock, r.lsn, out);
    case ArchiveRecordKind::kSnapshotBegin:
      return EncodeSnapshotBeginRecord(r.clock, r.lsn, r.handover, out);
    case ArchiveRecordKind::kSnapshotRow:
      return EncodeSnapshotRowRecord(r.row, out);
    case ArchiveRecordKind::kSnapshotEnd:
      return EncodeSnapshotEndRecord(r.lsn, out);
    case ArchiveRecordKind::kThresholds:
      return EncodeThresholdsRecord(r.text, out);
    case ArchiveRecordKind::kOwnCheck:
      return EncodeOwnCheckRecord(r.check, r.lsn, r.clock, r.body, out);
    case ArchiveRecordKind::kOwnMessage:
      return EncodeOwnMessageRecord(r.message, r.lsn, r.clock, out);
    case ArchiveRecordKind::kStateCheckpoint:
      return EncodeStateCheckpointRecord(r, out);
  }
}

Status DecodeArchiveRecord(std::string_view in, ArchiveRecord* r) {
  uint8_t kind = 0;
  bool ok = GetByte(&in, &kind);
  r->kind = static_cast<ArchiveRecordKind>(kind);
  if (ok) {
    switch (r->kind) {
      case ArchiveRecordKind::kTransaction:
      case ArchiveRecordKind::kTransactionPart:
        ok = GetTransaction(&in, &r->txn);
        break;
      case ArchiveRecordKind::kClockTick:
        ok = GetVarsint64(&in, &r->clock) && GetVarint64(&in, &r->lsn);
        break;
      case ArchiveRecordKind::kSnapshotBegin:
        ok = GetVarsint64(&in, &r->clock) && GetVarint64(&in, &r->lsn) && GetHandover(&in, &r->handover);
        break;
      case ArchiveRecordKind::kSnapshotRow:
        ok = GetChange(&in, &r->row);
        break;
      case ArchiveRecordKind::kSnapshotEnd:
        ok = GetVarint64(&in, &r->lsn);
        break;
      case ArchiveRecordKind::kThresholds:
        ok = GetString(&in, &r->text);
        break;
      case ArchiveRecordKind::kOwnCheck:
        ok = GetString(&in, &r->check) && GetVarint64(&in, &r->lsn) && GetVarsint64(&in, &r->clock) &&
             GetString(&in, &r->body);
        break;
      case ArchiveRecordKind::kOwnMessage:
        ok = GetOwnMessage(&in, r);
        break;
      case ArchiveRecordKind::kStateCheckpoint:
        ok = GetStateCheckpoint(&in, r);
        break;
      default:
        ok = false;
    }
  }
  if (!ok)
    return Status::Corruption("archive record is malformed (kind '" + std::string(1, static_cast<char>(kind)) + "')");
  // Trailing bytes: a field a later walguard added (see the header).
  return Status::OK();
}

}  // namespace walguard

// Wal2JsonDecoder: one wal2json format-version 2 object -> one typed record.
//
// Expects the options walguard starts replication with: include-xids,
// include-timestamp, include-lsn, include-pk, include-types=false (2.5 writes
// some quoted type names as invalid JSON, so type names are not requested)
// and include-type-oids=true. Each column's "typeoid" becomes its
// Datum::type family (type_family.h), so an ALTER TABLE that changes a column's type is seen
// at the first row written after it. A "type" name (streams recorded with
// include-types) is classified too; an oid wins when both are present.
// Numbers are kept as their raw token text (wal2json 2.5 writes numeric
// columns as bare JSON numbers); strings are unescaped.
//
// The decoder owns a simdjson parser and a padded buffer that are reused
// from call to call: no allocation per record once warmed up, beyond the
// strings of the resulting Change.
#pragma once

#include <memory>
#include <string_view>

#include "core/change.h"
#include "util/status.h"

namespace walguard {

enum class RecordKind { kBegin, kCommit, kChange };

struct Record {
  RecordKind kind = RecordKind::kChange;
  uint32_t xid = 0;      // 0 when absent or null (non-transactional messages)
  Lsn lsn = 0;           // "lsn"
  Lsn next_lsn = 0;      // "nextlsn" (B and C only)
  Micros timestamp = 0;  // commit time; 0 when absent or null
  Change change;         // kChange only (I/U/D/T/M)
};

class Wal2JsonDecoder {
 public:
  Wal2JsonDecoder();
  ~Wal2JsonDecoder();
  Wal2JsonDecoder(const Wal2JsonDecoder&) = delete;
  Wal2JsonDecoder& operator=(const Wal2JsonDecoder&) = delete;

  // Decodes one payload. On error *out is unspecified and the Status says
  // why, e.g. "Corruption: unknown action 'X'" or "...: invalid JSON at ...".
  Status Decode(std::string_view payload, Record* out);

  // Decodes one row as produced by `SELECT row_to_json(t)` (used by the
  // snapshot) into an INSERT change of `schema.table`.
  Status DecodeRowJson(std::string_view json, std::string_view schema, std::string_view table, Change* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace walguard

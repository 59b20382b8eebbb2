// The typed change: what every stage after ingest consumes.
//
// Processing never sees libpq or JSON: the replication client, the snapshot
// reader and (later) the archive reader and the Kafka ingest topic all produce
// these plain values. A Transaction is only ever handed on whole, at its commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

enum class Action : char {
  kInsert = 'I',
  kUpdate = 'U',
  kDelete = 'D',
  kTruncate = 'T',
  kMessage = 'M',  // pg_logical_emit_message
};

// The family of a column's Postgres type: enough to tell whether a rule can
// still read the column after an ALTER TABLE (processors/schema_guard.h).
// kUnknown: the source gave no type (snapshot rows, a stream without type
// oids). kUserDefined: domains, enums and extension types (citext), whose
// oids say nothing about their base type; neither is judged.
enum class TypeFamily : uint8_t {
  kUnknown,
  kInteger,  // smallint, integer, bigint
  kNumeric,  // numeric(p,s)
  kFloat,    // real, double precision
  kText,     // text, character varying, character, name, "char"
  kUuid,
  kTimestampTz,  // timestamp with time zone
  kTimestamp,    // timestamp without time zone
  kDate,
  kBoolean,
  kJson,  // json, jsonb
  kUserDefined,
  kOther,  // any other built-in type (bytea, interval, arrays, ...)
};

// "integer", "text", ... as used in dead-letter reasons and log lines.
constexpr std::string_view TypeFamilyName(TypeFamily f) {
  constexpr std::string_view kNames[] = {"unknown", "integer",      "numeric",   "floating point", "text",
                                         "uuid",    "timestamptz",  "timestamp", "date",           "boolean",
                                         "json",    "user-defined", "other"};
  return kNames[static_cast<size_t>(f)];
}

// One column value. `text` is the value as Postgres wrote it: the unescaped
// string for text-like types, the raw token for numbers (exact, never via a
// double), "true"/"false" for booleans. A JSON null sets is_null.
struct Datum {
  std::string name;
  std::string text;
  bool is_null = false;
  TypeFamily type = TypeFamily::kUnknown;
};

struct Change {
  Action action = Action::kInsert;
  std::string schema;
  std::string table;
  // New values (INSERT, UPDATE). An UPDATE leaves out unchanged TOASTed
  // columns entirely: consumers merge, never replace.
  std::vector<Datum> columns;
  // Old key (UPDATE, DELETE): the primary key under REPLICA IDENTITY DEFAULT,
  // the whole old row under FULL.
  std::vector<Datum> identity;
  Lsn lsn = 0;
  // kMessage only.
  std::string prefix;
  std::string content;
  bool transactional = false;

  const Datum* FindColumn(std::string_view name) const;
  const Datum* FindIdentity(std::string_view name) const;
};

struct Transaction {
  uint32_t xid = 0;
  Lsn begin_lsn = 0;  // B's "lsn" (the commit record's start, as wal2json writes it)
  Lsn end_lsn = 0;    // C's "nextlsn": the byte after the commit record; the position to acknowledge
  Micros commit_time = 0;
  std::vector<Change> changes;
};

// A table walguard reads, with the columns it needs (the snapshot selects only these).
struct TableSpec {
  std::string schema;
  std::string table;
  std::vector<std::string> key_columns;
  std::vector<std::string> columns;  // includes the key columns
  // Columns from this position on are read only for an alert's context
  // (CONTRACT 3.1): a database without them works as before, their values
  // reading as null. Never a key column.
  size_t required_columns = std::numeric_limits<size_t>::max();
  // The table may be absent from the database altogether (read only for
  // context, or pg_cron's where the extension is not installed): the
  // snapshot skips it.
  bool optional = false;

  std::string QualifiedName() const { return schema + "." + table; }
  bool Required(size_t col) const { return col < required_columns; }
};

}  // namespace walguard

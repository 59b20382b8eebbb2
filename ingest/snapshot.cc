#include "ingest/snapshot.h"

#include <libpq-fe.h>

#include <cctype>
#include <memory>
#include <set>
#include <string_view>

#include "ingest/conninfo.h"
#include "ingest/replication_client.h"
#include "ingest/wal2json_decoder.h"

namespace walguard {

namespace {

// Besides kPinnedOptions (so snapshot rows render values exactly as streamed
// rows do): no statement_timeout, a big table may take long to read.
constexpr char kStatementTimeout[] = "-c statement_timeout=0";

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// A session ended by the server (terminated, shut down) reports the FATAL
// before libpq sees the connection close: classify by SQLSTATE as well.
Status CommandError(PGconn* conn, const PGresult* res, const std::string& what) {
  std::string text = "snapshot: " + what + ": " + OneLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (PQstatus(conn) != CONNECTION_OK) return Status::Unavailable(text);
  const char* sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view state = sqlstate ? sqlstate : "";
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P")) {
    return Status::Unavailable(text);  // connection, resources, shutdown
  }
  return Status::InvalidArgument(text);
}

Status Exec(PGconn* conn, const std::string& sql, ExecStatusType want, const std::string& what,
            ResultPtr* out = nullptr) {
  ResultPtr res(PQexec(conn, sql.c_str()));
  if (res == nullptr || PQresultStatus(res.get()) != want) return CommandError(conn, res.get(), what);
  if (out != nullptr) *out = std::move(res);
  return Status::OK();
}

std::string QuoteIdent(PGconn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.data(), name.size());
  std::string out = quoted ? quoted : "";
  PQfreemem(quoted);
  return out;
}

std::string QuoteLiteral(PGconn* conn, const std::string& value) {
  char* quoted = PQescapeLiteral(conn, value.data(), value.size());
  std::string out = quoted ? quoted : "";
  PQfreemem(quoted);
  return out;
}

std::string QualifiedIdent(PGconn* conn, const TableSpec& t) {
  return QuoteIdent(conn, t.schema) + "." + QuoteIdent(conn, t.table);
}

// The exported snapshot must be imported by the first statement of a
// REPEATABLE READ transaction, and only while the exporting replication
// connection has run nothing since CREATE_REPLICATION_SLOT.
Status BeginWithSnapshot(PGconn* conn, const std::string& snapshot_name) {
  WG_RETURN_IF_ERROR(Exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK, "BEGIN"));
  ResultPtr res(PQexec(conn, ("SET TRANSACTION SNAPSHOT " + QuoteLiteral(conn, snapshot_name)).c_str()));
  if (res != nullptr && PQresultStatus(res.get()) == PGRES_COMMAND_OK) return Status::OK();
  Status s = CommandError(conn, res.get(), "import snapshot '" + snapshot_name + "'");
  if (s.IsUnavailable()) return s;
  // Retrying cannot help: the snapshot is gone for good, and with it the
  // guarantee that the slot's stream starts exactly where the rows end.
  return Status::Fatal(s.message() +
                       " (the exporting replication connection ran another command or closed); "
                       "drop the slot and take a fresh snapshot: `walguard run --resnapshot`");
}

// Checks the table and every configured column exist, so a typo in the
// config is reported by name rather than as Postgres' unqualified
// 'column "x" does not exist'. What is optional (TableSpec::optional,
// TableSpec::Required) is read only when it exists and walguard may read it
// (grants from before it was read stay valid); else it is left out of
// *readable, and an optional table without its key leaves it empty.
Status CheckColumns(PGconn* conn, const TableSpec& t, std::vector<std::string>* readable) {
  readable->clear();
  const std::string sql =
      "SELECT c.r IS NULL, a.attname, pg_catalog.has_column_privilege(c.r, a.attnum, 'SELECT') FROM (SELECT "
      "pg_catalog.to_regclass(" +
      QuoteLiteral(conn, QualifiedIdent(conn, t)) +
      ") AS r) c LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.r AND a.attnum > 0 AND NOT a.attisdropped";
  ResultPtr res;
  WG_RETURN_IF_ERROR(Exec(conn, sql, PGRES_TUPLES_OK, "look up " + t.QualifiedName(), &res));
  if (PQntuples(res.get()) == 0 || PQgetvalue(res.get(), 0, 0)[0] == 't') {
    if (t.optional) return Status::OK();
    return Status::InvalidArgument("snapshot: table " + t.QualifiedName() +
                                   " does not exist (check the tables in the config)");
  }
  std::set<std::string> present, granted;
  for (int i = 0; i < PQntuples(res.get()); ++i) {
    present.insert(PQgetvalue(res.get(), i, 1));
    if (PQgetvalue(res.get(), i, 2)[0] == 't') granted.insert(PQgetvalue(res.get(), i, 1));
  }
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const std::string& col = t.columns[i];
    if (!t.Required(i)) {
      if (granted.count(col) != 0) readable->push_back(col);
    } else if (t.optional && granted.count(col) == 0) {
      readable->clear();  // an optional table without its key: as if absent
      return Status::OK();
    } else if (present.count(col) != 0) {
      readable->push_back(col);  // without the grant, the read says "permission denied"
    } else {
      return Status::InvalidArgument("snapshot: column " + t.QualifiedName() + "." + col +
                                     " does not exist (check the table's columns in the config)");
    }
  }
  return Status::OK();
}

// Streams one table row by row (single-row mode keeps memory flat however
// big the table is). row_to_json gives numerics as exact tokens and names
// every value, which the decoder already understands.
Status ReadTable(PGconn* conn, const TableSpec& t, const std::vector<std::string>& columns, Wal2JsonDecoder* decoder,
                 const std::function<Status(Change&&)>& row_fn) {
  std::string cols;
  for (const std::string& col : columns) {
    if (!cols.empty()) cols += ", ";
    cols += QuoteIdent(conn, col);
  }
  const std::string sql =
      "SELECT pg_catalog.row_to_json(t)::text FROM (SELECT " + cols + " FROM " + QualifiedIdent(conn, t) + ") t";
  const std::string what = "read " + t.QualifiedName();
  if (PQsendQuery(conn, sql.c_str()) == 0) return CommandError(conn, nullptr, what);
  if (PQsetSingleRowMode(conn) == 0) return CommandError(conn, nullptr, what);
  Status status;
  while (PGresult* r = PQgetResult(conn)) {
    ResultPtr res(r);
    ExecStatusType st = PQresultStatus(r);
    if (!status.ok()) continue;  // drain: libpq needs the NULL result before the next command
    if (st == PGRES_SINGLE_TUPLE) {
      Change change;
      std::string_view json(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
      status = decoder->DecodeRowJson(json, t.schema, t.table, &change);
      if (!status.ok()) status = status.WithContext("snapshot: " + t.QualifiedName());
      if (status.ok()) status = row_fn(std::move(change));
      // Stop early: the caller will drop the connection, which aborts the
      // query instead of fetching the rest of a possibly huge table.
      if (!status.ok()) return status;
    } else if (st != PGRES_TUPLES_OK) {
      status = CommandError(conn, r, what);
    }
  }
  return status;
}

}  // namespace

Status ReadSnapshot(const std::string& conninfo, const std::string& snapshot_name, const std::vector<TableSpec>& tables,
                    const std::function<Status(Change&&)>& row_fn) {
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), nullptr);
  if (parsed == nullptr) {
    // libpq's parse errors quote the offending token, which may be the password.
    return Status::InvalidArgument("snapshot: invalid connection string '" + RedactConninfo(conninfo) + "'");
  }
  PQconninfoFree(parsed);
  std::string full = AddConnOption(conninfo, "options", std::string(kPinnedOptions) + " " + kStatementTimeout);
  full = AddConnOption(full, "client_encoding", "UTF8");
  ConnPtr conn(PQconnectdb(full.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    // libpq's connection errors name host and user, never the password.
    return Status::Unavailable("snapshot: connect to '" + RedactConninfo(conninfo) +
                               "': " + OneLine(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  WG_RETURN_IF_ERROR(BeginWithSnapshot(conn.get(), snapshot_name));
  Wal2JsonDecoder decoder;
  std::vector<std::string> columns;
  for (const TableSpec& t : tables) {
    WG_RETURN_IF_ERROR(CheckColumns(conn.get(), t, &columns));
    if (columns.empty()) continue;  // an optional table the database does not have
    WG_RETURN_IF_ERROR(ReadTable(conn.get(), t, columns, &decoder, row_fn));
  }
  return Exec(conn.get(), "COMMIT", PGRES_COMMAND_OK, "COMMIT");
}

}  // namespace walguard

#include "workload/pg_session.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>

namespace walguard::workload {

namespace {

// SQLSTATEs after which the same transaction succeeds when simply run again.
bool Retryable(const char* sqlstate) {
  return sqlstate != nullptr && (std::strcmp(sqlstate, "40001") == 0 || std::strcmp(sqlstate, "40P01") == 0);
}

Status ResultStatus(PGresult* res, PGconn* conn, std::string_view sql) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::OK();
  const char* sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  std::string where = " [" + std::string(sqlstate ? sqlstate : "?????") + "] in: " + std::string(sql.substr(0, 160));
  if (Retryable(sqlstate)) return Status::Unavailable(msg + where);
  return Status::IOError(msg + where);
}

}  // namespace

PgSession::~PgSession() {
  if (conn_ != nullptr) PQfinish(conn_);
}

Status PgSession::Connect(const std::string& conninfo) {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::IOError("connecting to " + conninfo + ": " + PQerrorMessage(conn_));
  }
  // Timestamps are compared in SQL only; UTC keeps any text we log unambiguous.
  return Exec("SET TimeZone = 'UTC'");
}

Status PgSession::Exec(std::string_view sql, const std::vector<std::string>& params, Rows* rows) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  std::string text(sql);
  PGresult* res =
      PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
  Status s = ResultStatus(res, conn_, sql);
  if (s.ok() && rows != nullptr) {
    rows->cells.clear();
    const char* tuples = PQcmdTuples(res);
    rows->affected = (tuples != nullptr && *tuples != '\0') ? std::strtoll(tuples, nullptr, 10) : PQntuples(res);
    const int n = PQntuples(res), m = PQnfields(res);
    rows->cells.resize(n);
    for (int r = 0; r < n; ++r) {
      rows->cells[r].reserve(m);
      for (int c = 0; c < m; ++c) rows->cells[r].emplace_back(PQgetvalue(res, r, c));
    }
  }
  PQclear(res);
  return s;
}

Status PgSession::ExecScript(const std::string& sql) {
  PGresult* res = PQexec(conn_, sql.c_str());
  Status s = ResultStatus(res, conn_, sql);
  PQclear(res);
  return s;
}

}  // namespace walguard::workload

#include "worker/database.h"

#include <libpq-fe.h>

#include <cstring>

namespace walguard {

namespace {

// SQLSTATEs a retry may cure: serialization failure, deadlock, the
// connection classes (08), operator intervention (57P0x: shutdown, crash).
bool Transient(const char* sqlstate) {
  if (sqlstate == nullptr) return true;  // no server answer: the connection broke
  return std::strcmp(sqlstate, "40001") == 0 || std::strcmp(sqlstate, "40P01") == 0 ||
         std::strncmp(sqlstate, "08", 2) == 0 || std::strncmp(sqlstate, "57P0", 4) == 0;
}

struct Result {
  PGresult* res = nullptr;
  explicit Result(PGresult* r) : res(r) {}
  ~Result() { PQclear(res); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
};

}  // namespace

struct Database::Impl {
  std::string conninfo;
  PGconn* conn = nullptr;

  ~Impl() { Close(); }
  void Close() {
    if (conn != nullptr) PQfinish(conn);
    conn = nullptr;
  }

  Status Ensure() {
    if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) return Status::OK();
    Close();
    conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn);
      Close();
      return Status::Unavailable("worker database: " + msg);
    }
    return Status::OK();
  }

  // The status of a finished command; the connection is dropped on a
  // transient error so the next call starts afresh.
  Status Check(PGresult* res, ExecStatusType want, const char* what) {
    if (PQresultStatus(res) == want) return Status::OK();
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    std::string msg = std::string(what) + ": " + (res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    if (Transient(state) || PQstatus(conn) != CONNECTION_OK) {
      Close();
      return Status::Unavailable(msg);
    }
    return Status::InvalidArgument(msg);
  }

  Status Exec(const char* sql, const char* what) {
    Result r(PQexec(conn, sql));
    return Check(r.res, PGRES_COMMAND_OK, what);
  }

  Status Params(const std::string& sql, const std::vector<std::string>& values, const char* what, std::string* first) {
    std::vector<const char*> ptrs;
    ptrs.reserve(values.size());
    for (const std::string& v : values) ptrs.push_back(v.c_str());
    Result r(PQexecParams(conn, sql.c_str(), static_cast<int>(ptrs.size()), nullptr, ptrs.data(), nullptr, nullptr, 0));
    const bool rows = PQresultStatus(r.res) == PGRES_TUPLES_OK;
    WG_RETURN_IF_ERROR(Check(r.res, rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK, what));
    if (first != nullptr) {
      *first = (rows && PQntuples(r.res) > 0 && !PQgetisnull(r.res, 0, 0)) ? PQgetvalue(r.res, 0, 0) : "";
    }
    if (first == nullptr && !rows && std::strcmp(PQcmdTuples(r.res), "0") == 0) {
      return Status::NotFound(std::string(what) + ": no row");
    }
    return Status::OK();
  }

  void Rollback() {
    if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) PQclear(PQexec(conn, "ROLLBACK"));
  }
};

Database::Database() : impl_(std::make_unique<Impl>()) {}
Database::~Database() = default;

Status Database::Connect(const std::string& conninfo) {
  impl_->conninfo = conninfo;
  return impl_->Ensure();
}

Status Database::Check(const SqlTemplate& t) {
  WG_RETURN_IF_ERROR(impl_->Ensure());
  Result r(PQprepare(impl_->conn, "", t.text.c_str(), static_cast<int>(t.names.size()), nullptr));
  return impl_->Check(r.res, PGRES_COMMAND_OK, t.text.c_str());
}

Status Database::DryRun(const SqlTemplate& t, const Command& c, std::string* report_json) {
  std::vector<std::string> values;
  WG_RETURN_IF_ERROR(BindSqlTemplate(t, c.args, /*dry_run=*/true, &values));
  WG_RETURN_IF_ERROR(impl_->Ensure());
  WG_RETURN_IF_ERROR(impl_->Params(t.text, values, "dry run", report_json));
  if (report_json->empty()) *report_json = "{}";
  return Status::OK();
}

Status Database::Apply(const SqlTemplate& t, const Command& c, const std::string& worker, void (*before_commit)(),
                       ApplyResult* out) {
  *out = ApplyResult();
  std::vector<std::string> values;
  WG_RETURN_IF_ERROR(BindSqlTemplate(t, c.args, /*dry_run=*/false, &values));
  WG_RETURN_IF_ERROR(impl_->Ensure());
  Impl& db = *impl_;
  WG_RETURN_IF_ERROR(db.Exec("BEGIN", "begin"));
  Status s = [&]() -> Status {
    std::string stored;
    WG_RETURN_IF_ERROR(db.Params("SELECT report::text FROM walguard_worker.applied WHERE command_id = $1",
                                 {c.command_id}, "read applied", &stored));
    if (!stored.empty()) {
      out->report_json = stored;
      return Status::OK();
    }
    WG_RETURN_IF_ERROR(db.Params(t.text, values, "apply", &out->report_json));
    if (out->report_json.empty()) out->report_json = "{}";
    Status ins = db.Params(
        "INSERT INTO walguard_worker.applied (command_id, type, args, report, worker) "
        "VALUES ($1, $2, $3::jsonb, $4::jsonb, $5) ON CONFLICT (command_id) DO NOTHING",
        {c.command_id, c.type, c.args_json, out->report_json, worker}, "record applied", nullptr);
    if (ins.IsNotFound()) {  // a concurrent delivery committed first: ours rolls back
      return db.Params("SELECT report::text FROM walguard_worker.applied WHERE command_id = $1", {c.command_id},
                       "read applied", &out->report_json);
    }
    WG_RETURN_IF_ERROR(ins);
    WG_RETURN_IF_ERROR(
        db.Params("INSERT INTO walguard_worker.audit_log (command_id, type, action, report, at, worker) "
                  "VALUES ($1, $2, 'applied', $3::jsonb, now(), $4)",
                  {c.command_id, c.type, out->report_json, worker}, "audit", nullptr));
    out->applied = true;
    return Status::OK();
  }();
  if (!s.ok() || !out->applied) {
    db.Rollback();
    return s;
  }
  if (before_commit != nullptr) before_commit();
  return db.Exec("COMMIT", "commit");
}

}  // namespace walguard

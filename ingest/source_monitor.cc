#include "ingest/source_monitor.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "ingest/conninfo.h"

namespace walguard {

namespace {

// Short statements only: a hung query must not hold up the next check for long.
constexpr char kMonitorOptions[] = "-c statement_timeout=5000";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

Lsn LsnOrZero(const PGresult* res, int col) {
  Lsn lsn = 0;
  if (!PQgetisnull(res, 0, col)) ParseLsn(PQgetvalue(res, 0, col), &lsn);
  return lsn;
}

}  // namespace

SourceMonitor::~SourceMonitor() {
  Close();
}

Status SourceMonitor::EnsureConnected() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::OK();
  Close();
  std::string full = AddConnOption(conninfo_, "options", std::string(kPinnedOptions) + " " + kMonitorOptions);
  full = AddConnOption(full, "application_name", "walguard-monitor");
  conn_ = PQconnectdb(full.c_str());
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Status::OK();
  Status s = Status::Unavailable("monitor: connect to '" + RedactConninfo(conninfo_) +
                                 "': " + OneLine(conn_ ? PQerrorMessage(conn_) : "out of memory"));
  Close();
  return s;
}

Status SourceMonitor::Query(const char* sql, const char* param, PGresult** out) {
  WG_RETURN_IF_ERROR(EnsureConnected());
  const int nparams = param != nullptr ? 1 : 0;
  ResultPtr res(PQexecParams(conn_, sql, nparams, nullptr, &param, nullptr, nullptr, 0));
  if (res != nullptr && PQresultStatus(res.get()) == PGRES_TUPLES_OK) {
    *out = res.release();
    return Status::OK();
  }
  const std::string error = OneLine(res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_));
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  if (lost) Close();
  return lost ? Status::Unavailable("monitor: " + error) : Status::InvalidArgument("monitor: " + error);
}

Status SourceMonitor::ReadSlotHealth(const std::string& slot, SlotHealth* health) {
  // One row even when the slot is gone, so the server's position and clock
  // are always known.
  static constexpr char kSql[] =
      "SELECT pg_current_wal_lsn()::text, (extract(epoch FROM now()) * 1000000)::bigint::text, "
      "s.slot_name IS NOT NULL, s.active, s.confirmed_flush_lsn::text, s.restart_lsn::text, s.wal_status "
      "FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1";
  PGresult* raw = nullptr;
  WG_RETURN_IF_ERROR(Query(kSql, slot.c_str(), &raw));
  ResultPtr res(raw);
  if (PQntuples(raw) != 1) return Status::Corruption("monitor: slot query returned no row");
  *health = SlotHealth{};
  health->current_wal_lsn = LsnOrZero(raw, 0);
  health->server_now = std::strtoll(PQgetvalue(raw, 0, 1), nullptr, 10);
  health->found = PQgetvalue(raw, 0, 2)[0] == 't';
  if (!health->found) return Status::OK();
  health->active = PQgetvalue(raw, 0, 3)[0] == 't';
  health->confirmed_flush = LsnOrZero(raw, 4);
  health->restart_lsn = LsnOrZero(raw, 5);
  health->wal_status = PQgetisnull(raw, 0, 6) ? "" : PQgetvalue(raw, 0, 6);
  return Status::OK();
}

Status SourceMonitor::EmitHeartbeat(Lsn* lsn) {
  static constexpr char kSql[] = "SELECT pg_logical_emit_message(true, $1, now()::text)::text";
  PGresult* raw = nullptr;
  WG_RETURN_IF_ERROR(Query(kSql, kHeartbeatPrefix, &raw));
  ResultPtr res(raw);
  *lsn = PQntuples(raw) == 1 ? LsnOrZero(raw, 0) : 0;
  return Status::OK();
}

void SourceMonitor::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

}  // namespace walguard

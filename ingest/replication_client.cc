#include "ingest/replication_client.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "ingest/conninfo.h"
#include "util/coding.h"

namespace walguard {

namespace {

// wal2json writes values with the session's output functions: pin every GUC
// that changes their text so the stream does not depend on server defaults.

// Bounds the wait for the server's CopyDone after ours, so a stop never hangs.
constexpr int kFinishTimeoutMs = 5000;
// Notices are kept for the caller to log; a flood must not grow without bound.
constexpr size_t kMaxNoticeBytes = size_t{64} * 1024;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Slot names are [a-z0-9_]{1,63} in Postgres; checking here also means they
// can be spliced into replication commands without an injection risk.
Status ValidateSlotName(const std::string& slot) {
  bool ok = !slot.empty() && slot.size() <= 63;
  for (char c : slot) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  if (ok) return Status::OK();
  return Status::InvalidArgument("replication: invalid slot name '" + slot + "': use 1-63 characters from [a-z0-9_]");
}

// A failed command: transient network/server-state problems are Unavailable
// (retry), a missing object NotFound, anything else a usage error.
Status ResultError(pg_conn* conn, const PGresult* res, std::string_view what) {
  std::string text = std::string(what) + ": " + OneLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (PQstatus(conn) != CONNECTION_OK || state == nullptr) return Status::Unavailable(text);
  std::string_view s(state);
  if (s.starts_with("08") || s.starts_with("53") || s.starts_with("57P") || s == "55006") {
    return Status::Unavailable(text);  // connection, resources, shutdown, slot in use
  }
  if (s == "42704") return Status::NotFound(text);
  if (s == "55000") return Status::Fatal(text);  // e.g. wal_level is not logical
  return Status::InvalidArgument(text);
}

// Runs one simple-protocol command and checks its result status.
Status Run(pg_conn* conn, const std::string& sql, ExecStatusType want, std::string_view what, ResultPtr* out) {
  if (conn == nullptr) return Status::Unavailable(std::string(what) + ": not connected");
  ResultPtr res(PQexec(conn, sql.c_str()));
  if (res == nullptr || PQresultStatus(res.get()) != want) {
    return ResultError(conn, res.get(), what);
  }
  *out = std::move(res);
  return Status::OK();
}

Status CheckShape(const PGresult* res, int min_cols, std::string_view what) {
  if (PQntuples(res) != 1 || PQnfields(res) < min_cols) {
    return Status::Corruption(std::string(what) + ": unexpected result shape (" + std::to_string(PQntuples(res)) +
                              " rows, " + std::to_string(PQnfields(res)) + " columns)");
  }
  return Status::OK();
}

// wal2json splits add-tables on ',' and whitespace and schema from table on
// '.', with '\' escaping the next character; '*' alone is a wildcard.
std::string EscapeWal2JsonName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == ',' || c == '.' || c == '*' || c == '\'' || std::isspace(static_cast<unsigned char>(c))) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// A single-quoted literal in the replication grammar: only '' is special.
std::string ReplLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

// Each entry is split at its first '.': a table name may contain dots, a
// schema name may not.
Status BuildAddTables(const std::vector<std::string>& tables, std::string* out) {
  out->clear();
  for (const std::string& qualified : tables) {
    size_t dot = qualified.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == qualified.size()) {
      return Status::InvalidArgument("replication: add-tables entry '" + qualified + "' is not schema.table");
    }
    if (!out->empty()) out->push_back(',');
    *out += EscapeWal2JsonName(qualified.substr(0, dot)) + "." + EscapeWal2JsonName(qualified.substr(dot + 1));
  }
  return Status::OK();
}

// add-msg-prefixes entries are compared with strcmp after splitting on ','
// and whitespace, and wal2json 2.5 does not strip its escapes there: such
// characters cannot be expressed, so refuse them.
Status CheckMessagePrefix(const std::string& prefix) {
  for (char c : prefix) {
    if (c == ',' || c == '\\' || std::isspace(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("replication: message prefix '" + prefix +
                                     "' may not contain ',', '\\' or whitespace");
    }
  }
  return Status::OK();
}

// Without add-msg-prefixes wal2json sends every M message; there is no "none"
// setting, so name a prefix nobody emits.
constexpr char kNoMessagesPrefix[] = "walguard-no-messages";

void KeepNotice(void* arg, const char* message) {
  auto* notices = static_cast<std::string*>(arg);
  if (notices->size() >= kMaxNoticeBytes) return;
  if (!notices->empty()) notices->push_back('\n');
  notices->append(OneLine(message));
}

Micros PgEpochNow() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPostgresEpochOffset;
}

// Waits for the socket to become readable. *readable is false on timeout.
Status WaitReadable(pg_conn* conn, int timeout_ms, bool* readable) {
  pollfd pfd{PQsocket(conn), POLLIN, 0};
  if (pfd.fd < 0) return Status::Unavailable("replication: connection has no socket");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc >= 0) {
      *readable = rc > 0;
      return Status::OK();
    }
    if (errno != EINTR) return Status::IOError("replication: poll: " + std::string(strerror(errno)));
    if (timeout_ms > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
  }
}

Status ParseCopyData(std::string_view data, StreamMessage* out) {
  char type = data.empty() ? '\0' : data[0];
  std::string_view in = data.substr(data.empty() ? 0 : 1);
  uint64_t start = 0, end = 0, send_time = 0;
  if (type == 'w' && in.size() >= 24) {
    GetFixed64BE(&in, &start);
    GetFixed64BE(&in, &end);
    GetFixed64BE(&in, &send_time);
    out->kind = StreamMessage::Kind::kXLogData;
    out->wal_start = start;
    out->payload = in;
  } else if (type == 'k' && in.size() >= 17) {
    GetFixed64BE(&in, &end);
    GetFixed64BE(&in, &send_time);
    out->kind = StreamMessage::Kind::kKeepalive;
    out->reply_requested = in[0] != 0;
  } else {
    return Status::Corruption("replication: unexpected CopyData message type '" + std::string(1, type) + "' of " +
                              std::to_string(data.size()) + " bytes");
  }
  out->wal_end = end;
  out->send_time = static_cast<int64_t>(send_time) + kPostgresEpochOffset;
  return Status::OK();
}

// START_REPLICATION errors no retry can fix: the slot, and with it the
// server's copy of our position, is gone. Anything else is returned as is.
Status ClassifyStartError(const std::string& slot, const Status& s) {
  const std::string& m = s.message();
  std::string state;
  if (m.find("does not exist") != std::string::npos) {
    state = "does not exist (dropped, or this is a different cluster)";
  } else if (m.find("cannot read from logical replication slot") != std::string::npos ||
             m.find("has been invalidated") != std::string::npos) {
    state = "is lost (invalidated, wal_status=lost: max_slot_wal_keep_size was exceeded)";
  } else {
    return s;
  }
  return Status::Fatal("replication slot " + slot + " " + state +
                       ": changes after the stored position can no longer be streamed; run "
                       "`walguard run --resnapshot` to rebuild state from a fresh snapshot [" +
                       m + "]");
}

}  // namespace

ReplicationClient::~ReplicationClient() {
  Close();
}

void ReplicationClient::FreeBuffer() {
  if (buffer_ != nullptr) PQfreemem(buffer_);
  buffer_ = nullptr;
}

void ReplicationClient::Close() {
  FreeBuffer();
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

std::string ReplicationClient::TakeNotices() {
  return std::exchange(notices_, std::string());
}

namespace {

// Connection errors that the same attempt meets again however long walguard
// waits: wrong or missing credentials, no pg_hba.conf entry, a role without
// REPLICATION, a missing database or role, a server certificate that fails
// verification. Everything else (refused, starting up, too many
// connections, DNS) is retried with backoff.
bool IsPermanentConnectError(std::string_view error) {
  static constexpr std::string_view kPermanent[] = {
      "authentication failed",
      "no pg_hba.conf entry",
      "no password supplied",
      "does not exist",
      "must be superuser or replication role",
      "certificate verify failed",
      "does not match host name",
      "permission denied",
      "SSL is not enabled on the server",
      "server does not support SSL",
      "certificate present, but not private key",
  };
  for (std::string_view p : kPermanent) {
    if (error.find(p) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

Status ReplicationClient::Connect(const std::string& conninfo) {
  Close();
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), nullptr);
  if (parsed == nullptr) {
    // libpq's parse errors quote the offending token, which may be the password.
    return Status::InvalidArgument("replication: invalid connection string '" + RedactConninfo(conninfo) + "'");
  }
  PQconninfoFree(parsed);
  std::string full = AddConnOption(conninfo, "replication", "database");
  full = AddConnOption(full, "options", kPinnedOptions);
  full = AddConnOption(full, "client_encoding", "UTF8");
  conn_ = PQconnectdb(full.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string error = conn_ ? OneLine(PQerrorMessage(conn_)) : "out of memory";
    const bool permanent = conn_ != nullptr && (PQconnectionNeedsPassword(conn_) || IsPermanentConnectError(error));
    Close();
    // Belt and braces: libpq's connection errors are not meant to hold it.
    std::string text =
        ScrubSecret("replication: connect to '" + RedactConninfo(conninfo) + "': " + error, ConninfoPassword(conninfo));
    if (!permanent) return Status::Unavailable(text);
    return Status::Fatal(text + " (credentials, pg_hba.conf, role attributes or TLS settings; retrying cannot help)");
  }
  PQsetNoticeProcessor(conn_, KeepNotice, &notices_);
  return Status::OK();
}

Status ReplicationClient::IdentifySystem(SystemInfo* out) {
  ResultPtr res;
  WG_RETURN_IF_ERROR(Run(conn_, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "IDENTIFY_SYSTEM", &res));
  WG_RETURN_IF_ERROR(CheckShape(res.get(), 4, "IDENTIFY_SYSTEM"));
  if (PQgetisnull(res.get(), 0, 3)) {
    // Only a physical (replication=true) walsender has no database; wal2json needs one.
    return Status::InvalidArgument(
        "IDENTIFY_SYSTEM: no dbname: the connection is not a logical "
        "replication connection (replication=database)");
  }
  out->system_id = PQgetvalue(res.get(), 0, 0);
  out->timeline = static_cast<uint32_t>(std::strtoul(PQgetvalue(res.get(), 0, 1), nullptr, 10));
  if (!ParseLsn(PQgetvalue(res.get(), 0, 2), &out->xlog_pos)) {
    return Status::Corruption(std::string("IDENTIFY_SYSTEM: bad xlogpos '") + PQgetvalue(res.get(), 0, 2) + "'");
  }
  out->dbname = PQgetvalue(res.get(), 0, 3);
  return Status::OK();
}

Status ReplicationClient::SlotExists(const std::string& slot, bool* exists) {
  WG_RETURN_IF_ERROR(ValidateSlotName(slot));
  ResultPtr res;
  WG_RETURN_IF_ERROR(Run(conn_, "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = '" + slot + "'",
                         PGRES_TUPLES_OK, "replication: look up slot " + slot, &res));
  *exists = PQntuples(res.get()) > 0;
  return Status::OK();
}

Status ReplicationClient::DropSlot(const std::string& slot) {
  WG_RETURN_IF_ERROR(ValidateSlotName(slot));
  ResultPtr res;
  // WAIT: a slot still held by a dying walsender is dropped once released
  // instead of failing with "is active".
  return Run(conn_, "DROP_REPLICATION_SLOT \"" + slot + "\" WAIT", PGRES_COMMAND_OK, "replication: drop slot " + slot,
             &res);
}

Status ReplicationClient::CreateSlot(const std::string& slot, SlotInfo* out) {
  WG_RETURN_IF_ERROR(ValidateSlotName(slot));
  ResultPtr res;
  const std::string what = "replication: create slot " + slot;
  WG_RETURN_IF_ERROR(Run(conn_, "CREATE_REPLICATION_SLOT \"" + slot + "\" LOGICAL wal2json (SNAPSHOT 'export')",
                         PGRES_TUPLES_OK, what, &res));
  WG_RETURN_IF_ERROR(CheckShape(res.get(), 3, what));
  out->slot_name = PQgetvalue(res.get(), 0, 0);
  if (!ParseLsn(PQgetvalue(res.get(), 0, 1), &out->consistent_point)) {
    return Status::Corruption(what + ": bad consistent_point '" + PQgetvalue(res.get(), 0, 1) + "'");
  }
  out->snapshot_name = PQgetvalue(res.get(), 0, 2);
  return Status::OK();
}

Status ReplicationClient::StartReplication(const std::string& slot, Lsn start, const ReplicationOptions& options) {
  WG_RETURN_IF_ERROR(ValidateSlotName(slot));
  std::string tables;
  WG_RETURN_IF_ERROR(BuildAddTables(options.add_tables, &tables));
  WG_RETURN_IF_ERROR(CheckMessagePrefix(options.message_prefix));
  std::string prefix = options.message_prefix.empty() ? kNoMessagesPrefix : options.message_prefix;
  // include-types=0: 2.5 emits some quoted type names as invalid JSON; type
  // oids (always plain numbers) let the schema guard see a column's type change.
  std::string sql = "START_REPLICATION SLOT \"" + slot + "\" LOGICAL " + FormatLsn(start) +
                    " (\"format-version\" '2', \"include-xids\" '1', \"include-timestamp\" '1', "
                    "\"include-lsn\" '1', \"include-pk\" '1', \"include-types\" '0', \"include-type-oids\" '1', "
                    "\"add-msg-prefixes\" " +
                    ReplLiteral(prefix);
  // An empty add-tables would stream no table at all; without it, wal2json streams every table.
  if (!tables.empty()) sql += ", \"add-tables\" " + ReplLiteral(tables);
  sql += ")";
  ResultPtr res;
  Status s = Run(conn_, sql, PGRES_COPY_BOTH, "START_REPLICATION", &res);
  return s.ok() || s.IsUnavailable() ? s : ClassifyStartError(slot, s);
}

Status ReplicationClient::Poll(int timeout_ms, StreamMessage* out) {
  *out = StreamMessage();
  FreeBuffer();
  if (conn_ == nullptr) return Status::Unavailable("replication: not connected");
  int n = PQgetCopyData(conn_, &buffer_, 1);
  if (n == 0) {
    bool readable = false;
    WG_RETURN_IF_ERROR(WaitReadable(conn_, timeout_ms, &readable));
    if (!readable) return Status::OK();
    if (PQconsumeInput(conn_) == 0) {
      return Status::Unavailable("replication: " + OneLine(PQerrorMessage(conn_)));
    }
    n = PQgetCopyData(conn_, &buffer_, 1);
    if (n == 0) return Status::OK();  // a partial message: the caller polls again
  }
  if (n == -1) {
    ResultPtr res(PQgetResult(conn_));
    std::string why = res ? OneLine(PQresultErrorMessage(res.get())) : "";
    if (why.empty()) why = res ? PQresStatus(PQresultStatus(res.get())) : "no result";
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    return Status::Unavailable("replication stream ended: " + why);
  }
  if (n < 0) return Status::Unavailable("replication: " + OneLine(PQerrorMessage(conn_)));
  return ParseCopyData(std::string_view(buffer_, static_cast<size_t>(n)), out);
}

Status ReplicationClient::SendStatus(Lsn flushed, bool reply_requested) {
  if (conn_ == nullptr) return Status::Unavailable("replication: not connected");
  std::string msg(1, 'r');
  PutFixed64BE(&msg, flushed);  // write
  PutFixed64BE(&msg, flushed);  // flush: the only one that moves the slot
  PutFixed64BE(&msg, flushed);  // apply
  PutFixed64BE(&msg, static_cast<uint64_t>(PgEpochNow()));
  msg.push_back(reply_requested ? 1 : 0);
  if (PQputCopyData(conn_, msg.data(), static_cast<int>(msg.size())) != 1 || PQflush(conn_) != 0) {
    return Status::Unavailable("replication: send status: " + OneLine(PQerrorMessage(conn_)));
  }
  return Status::OK();
}

Status ReplicationClient::Finish() {
  if (conn_ == nullptr) return Status::OK();
  FreeBuffer();
  if (PQputCopyEnd(conn_, nullptr) != 1 || PQflush(conn_) != 0) {
    return Status::Unavailable("replication: end copy: " + OneLine(PQerrorMessage(conn_)));
  }
  // The server may still send data it had queued before it sees our CopyDone.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kFinishTimeoutMs);
  int n;
  while ((n = PQgetCopyData(conn_, &buffer_, 1)) != -1) {
    FreeBuffer();
    if (n == -2) return Status::Unavailable("replication: " + OneLine(PQerrorMessage(conn_)));
    if (n > 0) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    bool readable = false;
    if (left.count() > 0) {
      WG_RETURN_IF_ERROR(WaitReadable(conn_, static_cast<int>(left.count()), &readable));
    }
    if (!readable) return Status::Unavailable("replication: timed out waiting for the end of COPY");
    if (PQconsumeInput(conn_) == 0) {
      return Status::Unavailable("replication: " + OneLine(PQerrorMessage(conn_)));
    }
  }
  Status status;
  while (PGresult* r = PQgetResult(conn_)) {
    ResultPtr res(r);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && status.ok()) {
      status = ResultError(conn_, r, "replication: finish");
    }
  }
  return status;
}

}  // namespace walguard

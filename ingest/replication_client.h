// ReplicationClient: a libpq logical replication connection (replication=database)
// speaking the streaming protocol with wal2json.
//
// Pins the session GUCs wal2json's output depends on (DateStyle=ISO,
// TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3,
// bytea_output=hex). Only the simple query protocol is used: walsender
// connections accept nothing else.
//
// Single-threaded: the caller polls, and answers keepalives that request a
// reply by calling SendStatus promptly.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/change.h"
#include "ingest/conninfo.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

struct pg_conn;

namespace walguard {

struct SystemInfo {
  std::string system_id;
  uint32_t timeline = 0;
  Lsn xlog_pos = 0;
  std::string dbname;
};

struct SlotInfo {
  std::string slot_name;
  Lsn consistent_point = 0;
  std::string snapshot_name;  // valid only until the next command on this connection
};

// What one Poll returned.
struct StreamMessage {
  enum class Kind { kNone, kXLogData, kKeepalive };
  Kind kind = Kind::kNone;
  Lsn wal_start = 0;     // XLogData: dataStart
  Lsn wal_end = 0;       // XLogData and keepalive: walEnd
  Micros send_time = 0;  // server clock, Unix microseconds
  bool reply_requested = false;
  std::string_view payload;  // XLogData: one wal2json object; valid until the next Poll
};

struct ReplicationOptions {
  std::vector<std::string> add_tables;  // "schema.table" for wal2json's add-tables
  // Also request "M" messages with this prefix (heartbeats); empty: none.
  std::string message_prefix;
};

class ReplicationClient {
 public:
  ReplicationClient() = default;
  ~ReplicationClient();
  ReplicationClient(const ReplicationClient&) = delete;
  ReplicationClient& operator=(const ReplicationClient&) = delete;

  // `conninfo` is a libpq connection string or URI; replication=database and
  // the pinned GUCs are added. Errors never contain the password.
  Status Connect(const std::string& conninfo);
  bool connected() const { return conn_ != nullptr; }
  void Close();

  Status IdentifySystem(SystemInfo* out);

  // Plain SQL over the walsender connection (simple protocol).
  Status SlotExists(const std::string& slot, bool* exists);
  Status DropSlot(const std::string& slot);

  // CREATE_REPLICATION_SLOT <slot> LOGICAL wal2json (SNAPSHOT 'export').
  // The exported snapshot lives until the next command on this connection:
  // read it from another connection before calling anything else here.
  Status CreateSlot(const std::string& slot, SlotInfo* out);

  // START_REPLICATION SLOT <slot> LOGICAL <start> with format-version 2,
  // include-xids, include-timestamp, include-lsn, include-pk, include-types=0,
  // include-type-oids=1 and add-tables. Fails with kFatal if the slot is missing or invalidated,
  // with a message that says how to recover.
  Status StartReplication(const std::string& slot, Lsn start, const ReplicationOptions& options);

  // Waits up to timeout_ms for one message. kNone on timeout. A dropped
  // connection returns kUnavailable; the caller reconnects.
  Status Poll(int timeout_ms, StreamMessage* out);

  // Standby status update 'r': write = flush = apply = `flushed`.
  Status SendStatus(Lsn flushed, bool reply_requested = false);

  // PQputCopyEnd and drain, for a clean stop.
  Status Finish();

  // The server NOTICE/WARNING texts received since the last call (one per
  // line), then cleared. wal2json reports silently dropped UPDATE/DELETEs
  // this way ("no tuple identifier for UPDATE in table ..."): callers alert on them.
  std::string TakeNotices();

 private:
  void FreeBuffer();

  pg_conn* conn_ = nullptr;
  char* buffer_ = nullptr;  // last PQgetCopyData buffer, freed on the next Poll
  std::string notices_;     // filled by libpq's notice processor
};

}  // namespace walguard

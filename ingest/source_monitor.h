// SourceMonitor: an ordinary (non-replication) connection beside the stream.
//
// It watches the slot from the server's side - how much WAL the server holds
// past confirmed_flush_lsn, wal_status, the server's clock - and writes the
// optional heartbeat. Its failures never stop the stream: the pipeline logs
// them and tries again at the next interval.
#pragma once

#include <string>
#include <string_view>

#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

struct pg_conn;
struct pg_result;

namespace walguard {

// The prefix of walguard's heartbeat messages (wal2json add-msg-prefixes).
inline constexpr char kHeartbeatPrefix[] = "walguard.heartbeat";

struct SlotHealth {
  bool found = false;       // false: no such slot (dropped)
  bool active = false;      // a walsender is attached
  Lsn current_wal_lsn = 0;  // pg_current_wal_lsn()
  Lsn confirmed_flush = 0;  // what the server retains WAL for
  Lsn restart_lsn = 0;
  std::string wal_status;  // reserved, extended, unreserved, lost
  Micros server_now = 0;   // the server's clock at the query

  // Bytes of WAL the server has written past what the slot confirmed.
  uint64_t LagBytes() const { return current_wal_lsn > confirmed_flush ? current_wal_lsn - confirmed_flush : 0; }
};

class SourceMonitor {
 public:
  SourceMonitor() = default;
  ~SourceMonitor();
  SourceMonitor(const SourceMonitor&) = delete;
  SourceMonitor& operator=(const SourceMonitor&) = delete;

  // Connects lazily: each call below (re)connects when needed.
  void Configure(const std::string& conninfo) { conninfo_ = conninfo; }

  Status ReadSlotHealth(const std::string& slot, SlotHealth* health);

  // pg_logical_emit_message(true, kHeartbeatPrefix, now()): a transactional
  // message, so it reaches the stream as its own commit, whose time moves
  // the WAL clock and whose end LSN is acknowledged like any other.
  Status EmitHeartbeat(Lsn* lsn);

  void Close();

 private:
  Status EnsureConnected();
  Status Query(const char* sql, const char* param, pg_result** out);

  std::string conninfo_;
  pg_conn* conn_ = nullptr;
};

}  // namespace walguard

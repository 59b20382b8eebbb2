// StreamCursor: where the pipeline stands in the replication stream, and the
// two rules that must never be wrong there - which LSN Postgres may be told is
// flushed (the slot forgets everything below it), and when a keepalive's send
// time may move the WAL clock (deadlines fire on it).
//
// Pure: no I/O, no clock reads; the caller passes the time and what it knows
// about the assembler (a transaction half read). The positions, in order:
//
//   durable <= staged              what is committed with sync / what the open batch holds
//   ack                            what Postgres is told is flushed; never backwards
//   keepalive_wal_end              the server has sent everything below it
//   server_wal_end                 the highest walEnd seen (progress only)
//
// Ack rule: only what is durable, or - once nothing is staged or half read -
// the walEnd of the last *keepalive*: the server sends a keepalive only after
// everything that decodes below its walEnd, so all of it is applied and the
// slot may move past WAL of other tables and databases (an idle slot would
// hoard WAL otherwise). Never an XLogData's walEnd: more data below it may
// still be unread in the socket.
//
// Clock rule: a keepalive's send time is "now" on the server. It may move the
// WAL clock only when nothing decoded but unread can still carry an older
// commit: outside a transaction; once its walEnd reached the server position
// seen at connect time (before that the walsender is still sending the
// backlog); for a reply to our own idle request, only after a quiet second;
// and never backwards.
#pragma once

#include "ingest/replication_client.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

// While idle, the server is asked for a keepalive this often: its send time
// moves the WAL clock, so deadlines fire although no transaction arrives.
inline constexpr Micros kIdleClockInterval = 1 * kMicrosPerSecond;

class StreamCursor {
 public:
  // status_interval: how often an unforced status update goes out.
  explicit StreamCursor(Micros status_interval) : status_interval_(status_interval) {}

  // The durable position read from the checkpoint (at start, after a bootstrap).
  void Restore(Lsn durable);
  // IDENTIFY_SYSTEM's server WAL position: the end of the backlog.
  void OnConnect(Lsn server_wal_pos) { connect_wal_end_ = server_wal_pos; }
  // START_REPLICATION at the durable position: what is durable may be acked.
  void OnStreamStart();

  // An XLogData arrived (now: local time).
  void OnData(const StreamMessage& msg, Micros now);

  struct KeepaliveVerdict {
    bool move_clock = false;  // the WAL clock may move to the keepalive's send time
    bool reply_now = false;   // the server asked: commit and send a forced status
  };
  // A keepalive arrived. half_read: the assembler is inside a transaction;
  // wal_clock: the engine's clock.
  KeepaliveVerdict OnKeepalive(const StreamMessage& msg, Micros now, bool half_read, Micros wal_clock);

  // A transaction ending at txn_end was applied before (a restart, or the
  // server resending after its own crash: confirmed_flush is only saved at
  // checkpoints).
  bool AlreadyApplied(Lsn txn_end) const { return txn_end <= applied_lsn(); }
  // The batch lifecycle: opened, a transaction staged into it, committed with sync.
  void OnBatchOpened();
  void OnStaged(Lsn txn_end);
  void OnDurable(Lsn durable);
  // The open batch was dropped uncommitted (a transaction in parts abandoned).
  void OnBatchDiscarded();

  // Idle (nothing staged or half read, no data for a second): time to ask the
  // server for a keepalive (a forced status with reply requested)? At most once a second.
  bool IdleClockRequestDue(Micros now, bool half_read);
  // Is a status update due now (forced, or the interval passed)? Moves the ack
  // to the last keepalive's walEnd first when nothing is staged or half read.
  // When true, send ack_lsn().
  bool StatusDue(Micros now, bool force, bool half_read);

  Lsn ack_lsn() const { return ack_lsn_; }
  Lsn durable_lsn() const { return durable_lsn_; }
  // The end of the last transaction applied, staged or durable: the position
  // an alert raised now is stamped with.
  Lsn applied_lsn() const { return staged_lsn_ > durable_lsn_ ? staged_lsn_ : durable_lsn_; }
  Lsn server_wal_end() const { return server_wal_end_; }
  bool staging() const { return staging_; }

 private:
  const Micros status_interval_;
  Lsn durable_lsn_ = 0;
  Lsn staged_lsn_ = 0;  // end of the last transaction in the open batch
  bool staging_ = false;
  Lsn ack_lsn_ = 0;
  Lsn server_wal_end_ = 0;
  Lsn keepalive_wal_end_ = 0;
  Lsn connect_wal_end_ = 0;
  Micros last_status_ = 0;
  Micros last_data_ = 0;  // local time of the last XLogData
  Micros last_clock_request_ = 0;
};

}  // namespace walguard

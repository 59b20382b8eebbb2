// Pipeline: `walguard run`. Postgres WAL -> decoder -> Engine -> StateStore
// (+ outbox + checkpoint, atomically) -> Outlet -> Kafka.
//
// Single-threaded and event-driven: one loop polls the replication socket,
// applies complete transactions in groups (one synced WriteBatch per group),
// acknowledges to Postgres only what is durable, and serves the sink.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "app/outlet.h"
#include "config/config.h"
#include "ingest/replication_client.h"
#include "ingest/source_monitor.h"
#include "ingest/transaction_assembler.h"
#include "ingest/wal2json_decoder.h"
#include "processors/engine.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

class Pipeline {
 public:
  Pipeline(const Config& config, const std::atomic<bool>* stop);
  ~Pipeline();

  // Runs until *stop becomes true (OK) or a fatal error.
  Status Run(bool resnapshot);

 private:
  // Longest wait on the socket or the sink per loop turn.
  static constexpr int kPollMs = 100;

  Status Connect();
  Status BootstrapWithRetry();
  Status Bootstrap();
  Status StartStream();
  Status StreamOnce();
  bool OutboxFull();
  Status WaitForSink();
  Status MonitorTick();
  Status CheckSlotHealth(const SlotHealth& health);
  Status HandleData(const StreamMessage& msg);
  Status HandleKeepalive(const StreamMessage& msg);
  Status ApplyTransaction(const Transaction& txn);
  void LogDeadLetters(size_t from);
  Status EnsureBatch();
  Status CommitBatch();
  Status SendStatus(bool force, bool reply_requested = false);
  Status Reconnect(const Status& cause);
  void LogProgress(bool force);
  Status Shutdown();

  const Config& config_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Outlet> outlet_;
  Engine engine_;
  ReplicationClient repl_;
  SourceMonitor monitor_;
  Wal2JsonDecoder decoder_;
  TransactionAssembler assembler_;
  Checkpoint checkpoint_;  // durable position and identity

  // The open group of transactions, not yet committed.
  std::unique_ptr<StateBatch> batch_;
  std::vector<OutMessage> out_;
  std::vector<OutboxEntry> appended_;
  Lsn batch_lsn_ = 0;  // end LSN of the last transaction in the batch
  int batch_txns_ = 0;
  Micros batch_started_ = 0;

  Lsn ack_lsn_ = 0;         // what Postgres is told is flushed
  Lsn server_wal_end_ = 0;  // last walEnd seen
  // walEnd of the last keepalive: the server sends a keepalive only after
  // everything that decodes below its walEnd, so once all of it is applied
  // and durable this is a safe position to acknowledge (an XLogData's walEnd
  // is not: more data below it may still be in the socket).
  Lsn keepalive_wal_end_ = 0;
  // The server's WAL position when we connected (IDENTIFY_SYSTEM): until a
  // keepalive's walEnd reaches it, the walsender is still sending the
  // backlog, and a keepalive (the reply to our idle request, say) would
  // carry "now" ahead of commits not yet received.
  Lsn connect_wal_end_ = 0;
  Micros last_status_ = 0;
  Micros last_data_ = 0;  // local time of the last XLogData
  Micros last_clock_request_ = 0;
  Micros last_commit_time_ = 0;
  int reconnect_backoff_ms_ = 500;

  // Outbox bound: not reading the WAL while the sink is behind.
  bool paused_ = false;
  Micros paused_since_ = 0;

  // Source monitor.
  Micros last_monitor_ = 0;
  Micros last_heartbeat_ = 0;
  SlotHealth health_;
  std::string last_monitor_error_;
  uint64_t heartbeats_sent_ = 0;
  uint64_t heartbeats_received_ = 0;
  uint64_t dead_letters_total_ = 0;
  uint64_t dead_letters_unlogged_ = 0;
  Micros last_dead_letter_log_ = 0;

  // Progress counters.
  uint64_t changes_total_ = 0;
  uint64_t txns_total_ = 0;
  uint64_t skipped_total_ = 0;
  uint64_t changes_at_last_log_ = 0;
  Micros last_log_ = 0;
};

}  // namespace walguard

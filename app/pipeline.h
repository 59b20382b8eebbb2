// Pipeline: `walguard run`. Postgres WAL -> decoder -> Engine -> StateStore
// (+ outbox + checkpoint, atomically) -> Outlet -> Kafka.
//
// Single-threaded and event-driven: one loop polls the replication socket,
// applies complete transactions in groups (one synced WriteBatch per group),
// acknowledges to Postgres only what is durable, and serves the sink. The
// loop wires the parts, each in its own file:
//
//   StreamCursor     what may be acked, when a keepalive moves the WAL clock
//   GroupCommitter   the open batch, its limits, commit then publish
//   Archiver         every applied step recorded in the same batch, sealed into segments
//   Bootstrap        wipe + handover + slot + snapshot, with its retry
//   Backoff          the waits of every retry loop
//   OutboxBound      backpressure: no WAL reading while the sink is behind
//   SourceWatch      heartbeats, slot health, replication_lag
//   DiskWatch        state_disk_low; a full disk is a wait (disk_wait.h, state_open.h)
//   PipelineMetrics  counters; ProgressLog and DeadLetterLog write the log lines
//   RunBoard         a copy of the figures for the HTTP endpoint (app/run_http.h)
//
// A transaction too large for memory is applied in parts as it streams in
// (pipeline_parts.cc, state/partial_transaction.h).
#pragma once

#include <atomic>
#include <memory>

#include "app/archiver.h"
#include "app/backoff.h"
#include "app/dead_letter_log.h"
#include "app/disk_wait.h"
#include "app/group_committer.h"
#include "app/outbox_bound.h"
#include "app/outlet.h"
#include "app/pipeline_metrics.h"
#include "app/run_board.h"
#include "app/source_watch.h"
#include "app/stream_cursor.h"
#include "config/config.h"
#include "ingest/replication_client.h"
#include "ingest/transaction_assembler.h"
#include "ingest/wal2json_decoder.h"
#include "processors/engine.h"
#include "state/partial_transaction.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

class Pipeline {
 public:
  // `board` (may be null) receives the loop's figures for /metrics and /readyz.
  Pipeline(const Config& config, const std::atomic<bool>* stop, RunBoard* board = nullptr);
  ~Pipeline();

  // Runs until *stop becomes true (OK) or a fatal error.
  Status Run(bool resnapshot);

 private:
  // Longest wait on the socket or the sink per loop turn.
  static constexpr int kPollMs = 100;
  // Row timers one clock step may fire (MoveClock).
  static constexpr size_t kTimersPerClockStep = 4096;

  Status Open(bool resnapshot);
  Status Connect();
  Status StartStream();
  Status StreamOnce();
  Status WaitForSink();
  Status MonitorTick();
  void KeepAliveWhileWaiting();
  Status HandleData(const StreamMessage& msg);
  void StageDeadLetter(const Status& cause, const StreamMessage& msg);
  Status HandleKeepalive(const StreamMessage& msg);
  Status MoveClock(Micros target, Micros now);
  Status ApplyTransaction(const Transaction& txn);
  // pipeline_parts.cc
  Status ApplyPart(const Transaction& part);
  Status BeginParts(const Transaction& header);
  Status FinishParts(const Transaction& txn);
  // The bookkeeping of a transaction applied whole, or of the last part of
  // one applied in parts (its earlier parts counted their changes as they
  // came): dead letters, the cursor, the committer's and the run's counts.
  void CountApplied(const Transaction& txn, size_t emitted);
  Status ApplyChangesAlive(const std::vector<Change>& changes);
  Status CommitPart();
  Status AbandonParts();
  void EnsureBatch();
  Status CommitBatch();
  Status SendStatus(bool force, bool reply_requested = false);
  Status Reconnect(const Status& cause);
  void LogProgress(bool force);
  void PublishFigures(bool force);
  void SetPhase(RunPhase phase);
  Status Shutdown();

  const Config& config_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Outlet> outlet_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<Archiver> archiver_;
  Engine engine_;
  ReplicationClient repl_;
  Wal2JsonDecoder decoder_;
  TransactionAssembler assembler_;
  std::unique_ptr<UndoLogKv> undo_;  // over the open batch, while a transaction is applied in parts
  Checkpoint checkpoint_;            // the durable identity; its lsn follows cursor_.durable_lsn()
  StreamCursor cursor_;
  OutboxBound bound_;
  Backoff reconnect_backoff_;  // across Reconnect calls: grows while they fail
  PipelineMetrics metrics_;
  SourceWatch watch_;
  DiskWatch disk_watch_;  // state_disk_low
  ProgressLog progress_;
  DeadLetterLog dead_letters_;
  RunBoard* board_;
  std::vector<TableCount> tables_;  // changes and transactions applied per table
  std::vector<bool> txn_tables_;    // the tables of tables_ the transaction being applied changed
};

}  // namespace walguard

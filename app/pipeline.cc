#include "app/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "app/bootstrap.h"
#include "app/state_open.h"
#include "ingest/conninfo.h"
#include "ingest/source_monitor.h"
#include "processors/dead_letter.h"
#include "processors/monitored_tables.h"
#include "processors/own_checks.h"

namespace walguard {

namespace {
std::vector<std::string> AddTables() {
  std::vector<std::string> tables;
  for (const TableSpec& t : MonitoredTables()) tables.push_back(t.QualifiedName());
  return tables;
}

bool IsHeartbeat(const Transaction& txn) {
  return txn.changes.size() == 1 && txn.changes[0].action == Action::kMessage &&
         txn.changes[0].prefix == kHeartbeatPrefix;
}
}  // namespace

Pipeline::Pipeline(const Config& config, const std::atomic<bool>* stop, RunBoard* board)
    : config_(config),
      stop_(stop),
      engine_(config.thresholds),
      cursor_(config.postgres.status_interval_ms * 1000LL),
      bound_(static_cast<uint64_t>(config.outbox_max_messages)),
      reconnect_backoff_(config.postgres.reconnect_max_backoff_ms, stop),
      watch_(config.postgres, &metrics_),
      disk_watch_(config, config.postgres.monitor_interval_s > 0 ? config.postgres.monitor_interval_s : 10),
      progress_(config.progress_interval_s),
      board_(board) {
  assembler_.set_part_bytes(static_cast<uint64_t>(config.state.transaction_spill_bytes));
}

Pipeline::~Pipeline() = default;

Status Pipeline::Run(bool resnapshot) {
  WG_RETURN_IF_ERROR(Open(resnapshot));
  WG_RETURN_IF_ERROR(Connect());
  if (resnapshot || !checkpoint_.snapshot_done) {
    SetPhase(RunPhase::kSnapshot);
    Backoff backoff(config_.postgres.reconnect_max_backoff_ms, stop_);
    const BootstrapParts parts{config_, &repl_, store_.get(), &engine_, archiver_.get(), outlet_.get(), &checkpoint_};
    WG_RETURN_IF_ERROR(BootstrapWithRetry(parts, &backoff, [this] { return Connect(); }));
    cursor_.Restore(checkpoint_.lsn);
  }
  WG_RETURN_IF_ERROR(engine_.Load(store_->NewBatch().get()));
  watch_.Start(WallClockNow());
  Status started = StartStream();
  while (started.IsUnavailable() && !stop_->load()) started = Reconnect(started);
  WG_RETURN_IF_ERROR(started);
  SetPhase(RunPhase::kStreaming);
  while (!stop_->load()) {
    Status s = StreamOnce();
    // Transient failures (connection cut, server restart, slot still held by
    // the previous connection) are retried with backoff until they pass.
    while (s.IsUnavailable() && !stop_->load()) s = Reconnect(s);
    if (!s.ok()) {
      Status shut = Shutdown();
      if (!shut.ok()) spdlog::warn("during stop: {}", shut.ToString());
      return s;
    }
  }
  return Shutdown();
}

Status Pipeline::Open(bool resnapshot) {
  // A full disk waits, a damaged state is refused (or moved aside by --resnapshot).
  WG_RETURN_IF_ERROR(OpenRunState(config_, RunStateOptions{.resnapshot = resnapshot}, stop_, &store_));
  if (const uint32_t xid = store_->rolled_back_at_open(); xid != 0) {
    spdlog::warn(
        "state: transaction {} was half applied in parts when walguard stopped; rolled back, it is applied "
        "again when Postgres resends it",
        xid);
  }
  outlet_ = std::make_unique<Outlet>(config_, store_.get());
  WG_RETURN_IF_ERROR(outlet_->Open());
  const BatchLimits limits{config_.max_batch_transactions, config_.max_batch_ms};
  committer_ = std::make_unique<GroupCommitter>(limits, store_.get(), outlet_.get());
  // While a commit waits for disk space the walsender still hears from us
  // (acknowledging only what is durable), so it does not time out.
  committer_->EnableDiskWait({config_.state_dir, stop_, [this] { KeepAliveWhileWaiting(); },
                              std::max(kInitialBackoffMs, config_.postgres.status_interval_ms)});
  archiver_ = std::make_unique<Archiver>(ArchiverOptionsFromConfig(config_), store_.get());
  WG_RETURN_IF_ERROR(archiver_->Open(WallClockNow()));
  Status cp = store_->ReadCheckpoint(&checkpoint_);
  if (!cp.ok() && !cp.IsNotFound()) return cp;
  if (cp.IsNotFound()) checkpoint_ = Checkpoint{};
  cursor_.Restore(checkpoint_.lsn);
  return Status::OK();
}

Status Pipeline::Connect() {
  Backoff backoff(config_.postgres.reconnect_max_backoff_ms, stop_);
  for (;;) {
    Status s = repl_.Connect(config_.postgres.conninfo);
    SystemInfo sys;
    if (s.ok()) s = repl_.IdentifySystem(&sys);
    if (s.ok()) {
      if (checkpoint_.snapshot_done && checkpoint_.system_id != sys.system_id) {
        return Status::Fatal("the state in " + config_.state_dir + " belongs to database system " +
                             checkpoint_.system_id + ", but the server is " + sys.system_id +
                             " (restored or failed over?); use another --state-dir or --resnapshot");
      }
      checkpoint_.system_id = sys.system_id;
      cursor_.OnConnect(sys.xlog_pos);
      spdlog::info("connected to {} (system {}, timeline {}, database {}, server WAL at {})",
                   RedactConninfo(config_.postgres.conninfo), sys.system_id, sys.timeline, sys.dbname,
                   FormatLsn(sys.xlog_pos));
      return Status::OK();
    }
    repl_.Close();
    if (!s.IsUnavailable() || stop_->load()) return s;
    spdlog::warn("postgres: {}; retrying in {} ms", s.ToString(), backoff.next_ms());
    backoff.Sleep();
  }
}

Status Pipeline::StartStream() {
  if (checkpoint_.slot != config_.postgres.slot) {
    return Status::Fatal("the state in " + config_.state_dir + " follows slot '" + checkpoint_.slot + "', not '" +
                         config_.postgres.slot + "'; use another --state-dir or --resnapshot");
  }
  ReplicationOptions options;
  options.add_tables = AddTables();
  // Heartbeats of any walguard writing to this database, ours or another's.
  options.message_prefix = kHeartbeatPrefix;
  WG_RETURN_IF_ERROR(repl_.StartReplication(config_.postgres.slot, checkpoint_.lsn, options));
  assembler_.Reset();
  cursor_.OnStreamStart();
  spdlog::info("streaming from slot '{}' at {}", config_.postgres.slot, FormatLsn(checkpoint_.lsn));
  return Status::OK();
}

Status Pipeline::StreamOnce() {
  WG_RETURN_IF_ERROR(MonitorTick());
  const uint64_t undelivered = store_->outbox_count() + committer_->staged_messages();
  // A transaction in parts is read to its end: its messages wait for its commit anyway.
  if (!engine_.in_parts() && bound_.Update(undelivered, checkpoint_.lsn, WallClockNow())) return WaitForSink();
  StreamMessage msg;
  // A transaction in parts commits only at its C (CommitBatch): no group
  // deadline to wake up for, and data arriving wakes the poll anyway.
  const int wait_ms =
      engine_.in_parts() ? kPollMs : committer_->PollTimeoutMs(kPollMs, WallClockNow(), assembler_.in_transaction());
  WG_RETURN_IF_ERROR(repl_.Poll(wait_ms, &msg));
  if (msg.kind == StreamMessage::Kind::kXLogData) WG_RETURN_IF_ERROR(HandleData(msg));
  if (msg.kind == StreamMessage::Kind::kKeepalive) WG_RETURN_IF_ERROR(HandleKeepalive(msg));

  const Micros now = WallClockNow();
  // Commit when the group is full or the socket has nothing more right now
  // (app/group_committer.h).
  const bool drained = msg.kind == StreamMessage::Kind::kNone;
  if (committer_->CommitDue(now, drained, assembler_.in_transaction())) WG_RETURN_IF_ERROR(CommitBatch());
  // Parts in the archive buffer leave it again if their transaction rolls back.
  if (!engine_.in_parts()) WG_RETURN_IF_ERROR(archiver_->SealIfDue(now));
  WG_RETURN_IF_ERROR(outlet_->Poll(0));
  committer_->ObserveDeliveries(WallClockNow(), &metrics_.commit_to_publish);
  if (cursor_.IdleClockRequestDue(now, assembler_.in_transaction())) {
    WG_RETURN_IF_ERROR(SendStatus(true, /*reply_requested=*/true));
  }
  WG_RETURN_IF_ERROR(SendStatus(false));
  LogProgress(false);
  PublishFigures(false);
  return Status::OK();
}

// Paused on a full outbox: the socket is left unread (the server buffers,
// then waits), status updates keep the walsender from timing out, and the
// sink is served until it confirms enough.
Status Pipeline::WaitForSink() {
  WG_RETURN_IF_ERROR(CommitBatch());
  WG_RETURN_IF_ERROR(archiver_->SealIfDue(WallClockNow()));
  WG_RETURN_IF_ERROR(outlet_->Poll(kPollMs));
  WG_RETURN_IF_ERROR(SendStatus(false));
  LogProgress(false);
  PublishFigures(false);
  return Status::OK();
}

void Pipeline::KeepAliveWhileWaiting() {
  if (!repl_.connected()) return;
  Status s = repl_.SendStatus(cursor_.ack_lsn(), /*reply_requested=*/false);
  if (!s.ok()) spdlog::debug("replication: status update while waiting for disk space: {}", s.ToString());
}

Status Pipeline::MonitorTick() {
  // Nothing but the transaction in parts writes the state until its commit.
  if (engine_.in_parts()) return Status::OK();
  if (disk_watch_.Tick(WallClockNow())) {
    disk_watch_.GiveBackIfLow(store_.get(), WallClockNow());
    EnsureBatch();
    const DiskSample disk = disk_watch_.Sample(engine_.clock());
    WG_RETURN_IF_ERROR(
        ReconcileDiskLow(disk, cursor_.applied_lsn(), committer_->batch(), WallClockNow(), committer_->out()));
    archiver_->RecordOwnCheck(kStateDiskLow.type, EncodeDiskObservation(disk), cursor_.applied_lsn(), disk.wal_clock,
                              committer_->batch());
  }
  if (!watch_.Tick(WallClockNow(), bound_.paused())) return Status::OK();
  const LagSample sample = watch_.Sample(engine_.clock());
  EnsureBatch();
  WG_RETURN_IF_ERROR(ReconcileLag(sample, config_.thresholds, cursor_.applied_lsn(), committer_->batch(),
                                  WallClockNow(), committer_->out()));
  // Every observation, not only those that changed the alert: a what-if
  // replay with other bounds needs them all.
  archiver_->RecordOwnCheck(kReplicationLag.type, EncodeLagObservation(sample), cursor_.applied_lsn(), sample.wal_clock,
                            committer_->batch());
  return Status::OK();
}

Status Pipeline::HandleData(const StreamMessage& msg) {
  cursor_.OnData(msg, WallClockNow());
  Record record;
  Status s = decoder_.Decode(msg.payload, &record);
  if (!s.ok()) {
    spdlog::error("undecodable record at {}: {} (sent to the dead-letter topic)", FormatLsn(msg.wal_start),
                  s.message());
    StageDeadLetter(s, msg);
    return Status::OK();
  }
  TransactionAssembler::Event event;
  s = assembler_.Add(std::move(record), &event);
  if (!s.ok()) {
    spdlog::error("transaction framing at {}: {}", FormatLsn(msg.wal_start), s.message());
    StageDeadLetter(s, msg);
    return Status::OK();
  }
  if (event == TransactionAssembler::Event::kPart) return ApplyPart(assembler_.transaction());
  if (event == TransactionAssembler::Event::kTransaction) {
    return assembler_.parted() ? FinishParts(assembler_.transaction()) : ApplyTransaction(assembler_.transaction());
  }
  return Status::OK();
}

void Pipeline::StageDeadLetter(const Status& cause, const StreamMessage& msg) {
  EnsureBatch();
  committer_->out()->push_back(RecordDeadLetter(cause.message(), msg.wal_start, msg.payload));
  archiver_->RecordOwnMessage(committer_->out()->back(), msg.wal_start, engine_.clock(), committer_->batch());
  ++metrics_.dead_letters_total;
}

Status Pipeline::ApplyTransaction(const Transaction& txn) {
  if (cursor_.AlreadyApplied(txn.end_lsn)) {
    ++metrics_.skipped_total;
    return Status::OK();
  }
  EnsureBatch();
  std::vector<OutMessage>* out = committer_->out();
  const size_t emitted = out->size();
  WG_RETURN_IF_ERROR(engine_.ApplyTransaction(txn, committer_->batch(), WallClockNow(), out));
  archiver_->RecordTransaction(txn, committer_->batch());
  CountApplied(txn, emitted);
  if (IsHeartbeat(txn)) ++metrics_.heartbeats_received;
  return Status::OK();
}

void Pipeline::CountApplied(const Transaction& txn, size_t emitted) {
  metrics_.dead_letters_total += dead_letters_.Log(*committer_->out(), emitted, WallClockNow());
  cursor_.OnStaged(txn.end_lsn);
  committer_->CountTransaction(txn.commit_time, emitted);
  ++metrics_.txns_total;
  metrics_.changes_total += txn.changes.size();
  metrics_.last_commit_time = txn.commit_time;
  if (board_ != nullptr) CountByTable(txn.changes, &tables_, &txn_tables_);
  txn_tables_.clear();
}

Status Pipeline::HandleKeepalive(const StreamMessage& msg) {
  const Micros now = WallClockNow();
  const StreamCursor::KeepaliveVerdict verdict =
      cursor_.OnKeepalive(msg, now, assembler_.in_transaction(), engine_.clock());
  if (verdict.move_clock) WG_RETURN_IF_ERROR(MoveClock(msg.send_time, now));
  if (verdict.reply_now) {
    WG_RETURN_IF_ERROR(CommitBatch());
    return SendStatus(true);
  }
  return Status::OK();
}

// The first keepalive past a backlog moves the clock from the last commit
// read to the server's time: minutes, after a long catch-up, and every row
// timer due in between fires. It moves in steps of at most
// kTimersPerClockStep timers, each committed (and recorded) apart, so that
// one batch stays bounded whatever the jump (bench/RESULTS.md, tenth session).
// The steps together may take longer than the walsender waits for a reply
// (wal_sender_timeout; the end of a 10 M-change drain fires the timers of
// minutes of WAL here): status updates go out between them, as between the
// slices of a part (pipeline_parts.cc).
Status Pipeline::MoveClock(Micros target, Micros now) {
  for (;;) {
    EnsureBatch();
    Micros step = target;
    WG_RETURN_IF_ERROR(engine_.ClockStep(target, committer_->batch(), kTimersPerClockStep, &step));
    const Micros clock_before = engine_.clock();
    WG_RETURN_IF_ERROR(engine_.AdvanceClock(step, cursor_.applied_lsn(), committer_->batch(), now, committer_->out()));
    // A tick that left the clock where it was changed nothing a replay needs.
    if (engine_.clock() != clock_before) archiver_->RecordClockTick(step, cursor_.applied_lsn(), committer_->batch());
    if (step >= target) return Status::OK();
    assert(engine_.clock() > clock_before);  // every step moves: the loop ends
    WG_RETURN_IF_ERROR(CommitBatch());
    WG_RETURN_IF_ERROR(SendStatus(false));
  }
}

void Pipeline::EnsureBatch() {
  if (committer_->Open(WallClockNow())) cursor_.OnBatchOpened();
  assert(cursor_.staging());
}

Status Pipeline::CommitBatch() {
  assert(committer_->open() == cursor_.staging());
  // A transaction in parts commits whole, at its C (pipeline_parts.cc).
  if (!committer_->open() || engine_.in_parts()) return Status::OK();
  Checkpoint next = checkpoint_;
  next.lsn = cursor_.applied_lsn();
  WG_RETURN_IF_ERROR(committer_->Commit(next));
  ++metrics_.group_commits_total;
  checkpoint_ = next;
  cursor_.OnDurable(next.lsn);
  return committer_->PublishCommitted();
}

Status Pipeline::SendStatus(bool force, bool reply_requested) {
  if (!cursor_.StatusDue(WallClockNow(), force, assembler_.in_transaction())) return Status::OK();
  return repl_.SendStatus(cursor_.ack_lsn(), reply_requested);
}

Status Pipeline::Reconnect(const Status& cause) {
  spdlog::warn("replication: {}; reconnecting in {} ms", cause.ToString(), reconnect_backoff_.next_ms());
  // Whole transactions staged so far are safe to keep; a partial one is dropped and re-sent.
  WG_RETURN_IF_ERROR(AbandonParts());
  WG_RETURN_IF_ERROR(CommitBatch());
  assembler_.Reset();
  repl_.Close();
  SetPhase(RunPhase::kReconnecting);
  reconnect_backoff_.Sleep();
  if (stop_->load()) return Status::OK();
  WG_RETURN_IF_ERROR(Connect());
  WG_RETURN_IF_ERROR(StartStream());
  SetPhase(RunPhase::kStreaming);
  reconnect_backoff_.Reset();
  return Status::OK();
}

void Pipeline::LogProgress(bool force) {
  const Micros now = WallClockNow();
  if (!progress_.Due(now, force)) return;
  ProgressGauges gauges;
  gauges.applied = checkpoint_.lsn;
  gauges.acked = cursor_.ack_lsn();
  gauges.server = cursor_.server_wal_end();
  gauges.outbox = store_->outbox_count();
  gauges.outbox_bound = config_.outbox_max_messages;
  gauges.paused = bound_.paused();
  gauges.delivered = outlet_->delivered_total();
  gauges.slot_lag_bytes = watch_.health().LagBytes();
  gauges.wal_status = watch_.health().wal_status;
  progress_.Write(metrics_, gauges, now);
}

void Pipeline::PublishFigures(bool force) {
  const Micros now = WallClockNow();
  if (board_ == nullptr || !board_->Due(now, force)) return;
  RunFigures f;
  f.phase = repl_.connected() ? RunPhase::kStreaming : RunPhase::kReconnecting;
  f.snapshot_done = checkpoint_.snapshot_done;
  f.applied = checkpoint_.lsn;
  f.acked = cursor_.ack_lsn();
  f.server = cursor_.server_wal_end();
  f.last_commit_time = metrics_.last_commit_time;
  f.transactions = metrics_.txns_total;
  f.changes = metrics_.changes_total;
  f.dead_letters = metrics_.dead_letters_total;
  f.outbox = store_->outbox_count();
  f.outbox_bound = config_.outbox_max_messages;
  f.paused = bound_.paused();
  f.slot_lag_bytes = watch_.health().LagBytes();
  f.tables = tables_;
  f.delivery = outlet_->delivery_stats().figures();
  board_->Publish(std::move(f), now);
}

void Pipeline::SetPhase(RunPhase phase) {
  if (board_ != nullptr) board_->SetPhase(phase, checkpoint_.snapshot_done);
}

Status Pipeline::Shutdown() {
  SetPhase(RunPhase::kStopping);
  spdlog::info("stopping: committing staged work and draining the sink");
  Status s = AbandonParts();
  if (s.ok()) s = CommitBatch();
  if (s.ok()) s = archiver_->Flush(WallClockNow());
  Status drained = outlet_->Drain(5000);
  if (!drained.ok()) spdlog::warn("sink drain: {}", drained.ToString());
  if (repl_.connected()) {
    Status st = SendStatus(true);
    if (st.ok()) st = repl_.Finish();
    // The stream is being closed either way; a failed goodbye only means the
    // server notices the disconnect itself.
    if (!st.ok()) spdlog::debug("replication: closing the stream: {}", st.ToString());
  }
  repl_.Close();
  LogProgress(true);
  return s;
}

}  // namespace walguard

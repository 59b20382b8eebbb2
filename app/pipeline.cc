#include "app/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "ingest/snapshot.h"
#include "processors/dead_letter.h"
#include "processors/monitored_tables.h"

namespace walguard {

namespace {
// While idle, ask the server for a keepalive this often: its send time moves
// the WAL clock, so deadlines fire although no transaction arrives.
constexpr Micros kIdleClockInterval = 1 * kMicrosPerSecond;
// Snapshot rows per (unsynced) intermediate write.
constexpr int kSnapshotChunk = 10000;
constexpr int kInitialBackoffMs = 500;

// Backoff that a stop request cuts short.
void SleepUnlessStopped(int ms, const std::atomic<bool>* stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop->load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<std::string> AddTables() {
  std::vector<std::string> tables;
  for (const TableSpec& t : MonitoredTables()) tables.push_back(t.QualifiedName());
  return tables;
}
}  // namespace

Pipeline::Pipeline(const Config& config, const std::atomic<bool>* stop)
    : config_(config), stop_(stop), engine_(config.thresholds) {}

Pipeline::~Pipeline() = default;

Status Pipeline::Run(bool resnapshot) {
  WG_RETURN_IF_ERROR(StateStore::Open(config_.state_dir, &store_));
  outlet_ = std::make_unique<Outlet>(config_, store_.get());
  WG_RETURN_IF_ERROR(outlet_->Open());
  Status cp = store_->ReadCheckpoint(&checkpoint_);
  if (!cp.ok() && !cp.IsNotFound()) return cp;
  if (cp.IsNotFound()) checkpoint_ = Checkpoint{};

  WG_RETURN_IF_ERROR(Connect());
  if (resnapshot || !checkpoint_.snapshot_done) WG_RETURN_IF_ERROR(BootstrapWithRetry());
  WG_RETURN_IF_ERROR(engine_.Load(store_->NewBatch().get()));
  monitor_.Configure(config_.postgres.conninfo);
  // The first check waits one interval, so keepalives have moved the WAL clock.
  last_monitor_ = WallClockNow();
  Status started = StartStream();
  while (started.IsUnavailable() && !stop_->load()) started = Reconnect(started);
  WG_RETURN_IF_ERROR(started);
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

Status Pipeline::Connect() {
  int backoff_ms = kInitialBackoffMs;
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
      connect_wal_end_ = sys.xlog_pos;
      spdlog::info("connected to {} (system {}, timeline {}, database {}, server WAL at {})",
                   RedactConninfo(config_.postgres.conninfo), sys.system_id, sys.timeline, sys.dbname,
                   FormatLsn(sys.xlog_pos));
      return Status::OK();
    }
    repl_.Close();
    if (!s.IsUnavailable() || stop_->load()) return s;
    spdlog::warn("postgres: {}; retrying in {} ms", s.ToString(), backoff_ms);
    SleepUnlessStopped(backoff_ms, stop_);
    backoff_ms = std::min(backoff_ms * 2, config_.postgres.reconnect_max_backoff_ms);
  }
}

// A bootstrap cut short by a lost connection starts over from scratch (a new
// slot and snapshot): nothing of a partial one is kept but the handover.
Status Pipeline::BootstrapWithRetry() {
  int backoff_ms = kInitialBackoffMs;
  Status s = Bootstrap();
  while (s.IsUnavailable() && !stop_->load()) {
    spdlog::warn("bootstrap: {}; starting over in {} ms", s.ToString(), backoff_ms);
    repl_.Close();
    // Entries the cut snapshot's chunks committed (dead letters) are in the
    // outbox, which the wipe keeps: deliver them like any other.
    WG_RETURN_IF_ERROR(outlet_->Publish(std::move(appended_)));
    appended_.clear();
    SleepUnlessStopped(backoff_ms, stop_);
    backoff_ms = std::min(backoff_ms * 2, config_.postgres.reconnect_max_backoff_ms);
    s = Connect();
    if (s.ok()) s = Bootstrap();
  }
  return s;
}

Status Pipeline::Bootstrap() {
  const std::string& slot = config_.postgres.slot;
  spdlog::info("bootstrap: wiping local state, creating slot '{}' and reading a consistent snapshot", slot);
  // The alerts the old state published (--resnapshot) are continued, not
  // fired anew: kept across the wipe, taken over at the end.
  std::vector<FiringAlert> handover;
  WG_RETURN_IF_ERROR(ListFiring(store_->NewBatch().get(), &handover));
  if (!handover.empty()) {
    WG_RETURN_IF_ERROR(store_->WriteHandover(handover));
  } else {
    WG_RETURN_IF_ERROR(store_->ReadHandover(&handover));  // left by a bootstrap that was cut short
  }
  WG_RETURN_IF_ERROR(store_->Wipe());
  bool exists = false;
  WG_RETURN_IF_ERROR(repl_.SlotExists(slot, &exists));
  if (exists) {
    spdlog::warn("bootstrap: dropping existing slot '{}' (left by an interrupted snapshot or --resnapshot)", slot);
    WG_RETURN_IF_ERROR(repl_.DropSlot(slot));
  }
  SlotInfo info;
  WG_RETURN_IF_ERROR(repl_.CreateSlot(slot, &info));
  WG_RETURN_IF_ERROR(engine_.Load(store_->NewBatch().get()));
  engine_.BeginSnapshot(WallClockNow());

  auto batch = store_->NewBatch();
  std::vector<OutMessage> out;
  int64_t rows = 0;
  Status s = ReadSnapshot(config_.postgres.conninfo, info.snapshot_name, MonitoredTables(), [&](Change&& row) {
    WG_RETURN_IF_ERROR(engine_.ApplySnapshotRow(row, batch.get(), &out));
    if (++rows % kSnapshotChunk != 0) return Status::OK();
    batch->AppendOutbox(out, &appended_);
    out.clear();
    return store_->Commit(batch.get(), /*sync=*/false);  // no checkpoint yet: a crash restarts the snapshot
  });
  WG_RETURN_IF_ERROR(s.WithContext("snapshot"));
  WG_RETURN_IF_ERROR(engine_.CarryFiring(handover, info.consistent_point, batch.get(), WallClockNow(), &out));
  WG_RETURN_IF_ERROR(engine_.FinishSnapshot(info.consistent_point, batch.get(), WallClockNow(), &out));
  batch->ClearHandover(handover);
  batch->AppendOutbox(out, &appended_);
  checkpoint_.lsn = info.consistent_point;
  checkpoint_.snapshot_done = true;
  checkpoint_.slot = slot;
  batch->SetCheckpoint(checkpoint_);
  WG_RETURN_IF_ERROR(store_->Commit(batch.get(), /*sync=*/true));
  spdlog::info(
      "bootstrap: {} snapshot rows applied, {} alert(s) of the previous state continued or resolved, {} "
      "message(s) emitted; streaming from {}",
      rows, handover.size(), appended_.size(), FormatLsn(info.consistent_point));
  WG_RETURN_IF_ERROR(outlet_->Publish(std::move(appended_)));
  appended_.clear();
  return Status::OK();
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
  ack_lsn_ = std::max(ack_lsn_, checkpoint_.lsn);
  spdlog::info("streaming from slot '{}' at {}", config_.postgres.slot, FormatLsn(checkpoint_.lsn));
  return Status::OK();
}

Status Pipeline::StreamOnce() {
  WG_RETURN_IF_ERROR(MonitorTick());
  if (OutboxFull()) return WaitForSink();
  int timeout = batch_ ? std::min(kPollMs, config_.max_batch_ms) : kPollMs;
  StreamMessage msg;
  WG_RETURN_IF_ERROR(repl_.Poll(timeout, &msg));
  if (msg.kind == StreamMessage::Kind::kXLogData) WG_RETURN_IF_ERROR(HandleData(msg));
  if (msg.kind == StreamMessage::Kind::kKeepalive) WG_RETURN_IF_ERROR(HandleKeepalive(msg));

  const Micros now = WallClockNow();
  const bool group_full =
      batch_txns_ >= config_.max_batch_transactions || now - batch_started_ >= config_.max_batch_ms * 1000LL;
  // Commit when the group is full or the socket has nothing more right now.
  if (batch_ && (group_full || msg.kind == StreamMessage::Kind::kNone)) WG_RETURN_IF_ERROR(CommitBatch());
  WG_RETURN_IF_ERROR(outlet_->Poll(0));

  const bool idle = !batch_ && !assembler_.in_transaction() && now - last_data_ >= kIdleClockInterval;
  if (idle && now - last_clock_request_ >= kIdleClockInterval) {
    last_clock_request_ = now;
    WG_RETURN_IF_ERROR(SendStatus(true, /*reply_requested=*/true));
  }
  WG_RETURN_IF_ERROR(SendStatus(false));
  LogProgress(false);
  return Status::OK();
}

Status Pipeline::HandleData(const StreamMessage& msg) {
  last_data_ = WallClockNow();
  server_wal_end_ = std::max(server_wal_end_, msg.wal_end);
  Record record;
  Status s = decoder_.Decode(msg.payload, &record);
  if (!s.ok()) {
    spdlog::error("undecodable record at {}: {} (sent to the dead-letter topic)", FormatLsn(msg.wal_start),
                  s.message());
    WG_RETURN_IF_ERROR(EnsureBatch());
    out_.push_back(RecordDeadLetter(s.message(), msg.wal_start, msg.payload));
    ++dead_letters_total_;
    return Status::OK();
  }
  TransactionAssembler::Event event;
  s = assembler_.Add(std::move(record), &event);
  if (!s.ok()) {
    spdlog::error("transaction framing at {}: {}", FormatLsn(msg.wal_start), s.message());
    WG_RETURN_IF_ERROR(EnsureBatch());
    out_.push_back(RecordDeadLetter(s.message(), msg.wal_start, msg.payload));
    ++dead_letters_total_;
    return Status::OK();
  }
  if (event == TransactionAssembler::Event::kTransaction) return ApplyTransaction(assembler_.transaction());
  return Status::OK();
}

Status Pipeline::ApplyTransaction(const Transaction& txn) {
  // A transaction at or below the durable position was applied before a
  // restart; the server may resend it after its own crash (confirmed_flush
  // is only saved at checkpoints).
  if (txn.end_lsn <= std::max(checkpoint_.lsn, batch_lsn_)) {
    ++skipped_total_;
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(EnsureBatch());
  const size_t emitted = out_.size();
  WG_RETURN_IF_ERROR(engine_.ApplyTransaction(txn, batch_.get(), WallClockNow(), &out_));
  LogDeadLetters(emitted);
  batch_lsn_ = txn.end_lsn;
  ++batch_txns_;
  ++txns_total_;
  changes_total_ += txn.changes.size();
  last_commit_time_ = txn.commit_time;
  if (txn.changes.size() == 1 && txn.changes[0].action == Action::kMessage &&
      txn.changes[0].prefix == kHeartbeatPrefix) {
    ++heartbeats_received_;
  }
  return Status::OK();
}

Status Pipeline::HandleKeepalive(const StreamMessage& msg) {
  server_wal_end_ = std::max(server_wal_end_, msg.wal_end);
  keepalive_wal_end_ = std::max(keepalive_wal_end_, msg.wal_end);
  const Micros now = WallClockNow();
  // A keepalive's send time is "now" on the server. It may only move the WAL
  // clock when nothing decoded-but-unsent can still carry an older commit:
  // outside a transaction, and either an unsolicited caught-up keepalive or
  // after a quiet second.
  const bool quiet = !msg.reply_requested || now - last_data_ >= kIdleClockInterval;
  const bool past_backlog = msg.wal_end >= connect_wal_end_;
  if (!assembler_.in_transaction() && quiet && past_backlog && msg.send_time > engine_.clock()) {
    WG_RETURN_IF_ERROR(EnsureBatch());
    WG_RETURN_IF_ERROR(
        engine_.AdvanceClock(msg.send_time, std::max(checkpoint_.lsn, batch_lsn_), batch_.get(), now, &out_));
  }
  if (msg.reply_requested) {
    WG_RETURN_IF_ERROR(CommitBatch());
    return SendStatus(true);
  }
  return Status::OK();
}

Status Pipeline::EnsureBatch() {
  if (batch_) return Status::OK();
  batch_ = store_->NewBatch();
  batch_lsn_ = checkpoint_.lsn;
  batch_txns_ = 0;
  batch_started_ = WallClockNow();
  return Status::OK();
}

Status Pipeline::CommitBatch() {
  if (!batch_) return Status::OK();
  batch_->AppendOutbox(out_, &appended_);
  out_.clear();
  Checkpoint next = checkpoint_;
  next.lsn = std::max(checkpoint_.lsn, batch_lsn_);
  batch_->SetCheckpoint(next);
  WG_RETURN_IF_ERROR(store_->Commit(batch_.get(), /*sync=*/true));
  checkpoint_ = next;
  batch_.reset();
  batch_txns_ = 0;
  ack_lsn_ = std::max(ack_lsn_, checkpoint_.lsn);
  WG_RETURN_IF_ERROR(outlet_->Publish(std::move(appended_)));
  appended_.clear();
  return Status::OK();
}

Status Pipeline::SendStatus(bool force, bool reply_requested) {
  const Micros now = WallClockNow();
  // Nothing staged or half-read: everything below the last keepalive's
  // walEnd that concerns us is applied and durable, so the slot may move past
  // WAL of other tables and databases (otherwise an idle slot hoards WAL).
  if (!batch_ && !assembler_.in_transaction() && keepalive_wal_end_ > ack_lsn_) ack_lsn_ = keepalive_wal_end_;
  if (!force && now - last_status_ < config_.postgres.status_interval_ms * 1000LL) return Status::OK();
  last_status_ = now;
  return repl_.SendStatus(ack_lsn_, reply_requested);
}

Status Pipeline::Reconnect(const Status& cause) {
  spdlog::warn("replication: {}; reconnecting in {} ms", cause.ToString(), reconnect_backoff_ms_);
  // Whole transactions staged so far are safe to keep; a partial one is dropped and re-sent.
  WG_RETURN_IF_ERROR(CommitBatch());
  assembler_.Reset();
  repl_.Close();
  SleepUnlessStopped(reconnect_backoff_ms_, stop_);
  if (stop_->load()) return Status::OK();
  reconnect_backoff_ms_ = std::min(reconnect_backoff_ms_ * 2, config_.postgres.reconnect_max_backoff_ms);
  WG_RETURN_IF_ERROR(Connect());
  WG_RETURN_IF_ERROR(StartStream());
  reconnect_backoff_ms_ = kInitialBackoffMs;
  return Status::OK();
}

Status Pipeline::Shutdown() {
  spdlog::info("stopping: committing staged work and draining the sink");
  Status s = CommitBatch();
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

// Pipeline, continued: what keeps it observable and bounded - the outbox
// bound, the source monitor (slot lag, wal_status, heartbeats,
// replication_lag), dead-letter and progress logging.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/pipeline.h"
#include "processors/replication_lag.h"

namespace walguard {

bool Pipeline::OutboxFull() {
  const uint64_t count = store_->outbox_count() + out_.size();
  const uint64_t bound = static_cast<uint64_t>(config_.outbox_max_messages);
  // Resume at 90 % of the bound (at 0 for a bound below 10), so a sink that
  // confirms one message at a time does not toggle reading per message.
  const uint64_t resume_at = bound - std::max<uint64_t>(1, bound / 10);
  const Micros now = WallClockNow();
  if (!paused_ && count >= bound) {
    paused_ = true;
    paused_since_ = now;
    spdlog::warn(
        "outbox: {} undelivered message(s) reached outbox_max_messages={}; the sink is not confirming "
        "delivery (Kafka down?). Stopped reading the WAL at {} until the outbox drains to {}",
        count, bound, FormatLsn(checkpoint_.lsn), resume_at);
  } else if (paused_ && count <= resume_at) {
    paused_ = false;
    spdlog::info("outbox: drained to {} message(s) after {:.1f} s; reading the WAL again", count,
                 static_cast<double>(now - paused_since_) / kMicrosPerSecond);
  }
  return paused_;
}

// Paused on a full outbox: the socket is left unread (the server buffers,
// then waits), status updates keep the walsender from timing out, and the
// sink is served until it confirms enough.
Status Pipeline::WaitForSink() {
  WG_RETURN_IF_ERROR(CommitBatch());
  WG_RETURN_IF_ERROR(outlet_->Poll(kPollMs));
  WG_RETURN_IF_ERROR(SendStatus(false));
  LogProgress(false);
  return Status::OK();
}

Status Pipeline::MonitorTick() {
  const PostgresConfig& pg = config_.postgres;
  const Micros now = WallClockNow();
  auto report = [&](const Status& s) {
    // Once per distinct error: a down server would otherwise log every interval.
    if (s.ok() || s.message() == last_monitor_error_) return;
    last_monitor_error_ = s.message();
    spdlog::warn("{}; retrying at the next interval", s.ToString());
  };
  if (pg.heartbeat_interval_s > 0 && !paused_ && now - last_heartbeat_ >= pg.heartbeat_interval_s * kMicrosPerSecond) {
    last_heartbeat_ = now;
    Lsn lsn = 0;
    Status s = monitor_.EmitHeartbeat(&lsn);
    report(s);
    if (s.ok()) ++heartbeats_sent_;
  }
  if (pg.monitor_interval_s <= 0 || now - last_monitor_ < pg.monitor_interval_s * kMicrosPerSecond) {
    return Status::OK();
  }
  last_monitor_ = now;
  SlotHealth health;
  Status s = monitor_.ReadSlotHealth(pg.slot, &health);
  report(s);
  if (!s.ok()) return Status::OK();
  last_monitor_error_.clear();
  return CheckSlotHealth(health);
}

Status Pipeline::CheckSlotHealth(const SlotHealth& health) {
  const std::string& slot = config_.postgres.slot;
  if (!health.found) {
    spdlog::error(
        "monitor: slot '{}' no longer exists on the server (dropped?); the stream will fail. "
        "Recover with `walguard run --resnapshot`",
        slot);
    return Status::OK();
  }
  if (health.wal_status != health_.wal_status && (health.wal_status == "unreserved" || health.wal_status == "lost")) {
    spdlog::error(
        "monitor: slot '{}' wal_status={} ({} bytes behind): the server {} the WAL walguard still needs "
        "(max_slot_wal_keep_size)",
        slot, health.wal_status, health.LagBytes(), health.wal_status == "lost" ? "has removed" : "is about to remove");
  }
  health_ = health;
  LagSample sample;
  sample.slot = slot;
  sample.lag_bytes = health.LagBytes();
  sample.server_now = health.server_now;
  sample.wal_clock = engine_.clock();
  sample.current_wal_lsn = health.current_wal_lsn;
  sample.confirmed_flush = health.confirmed_flush;
  sample.wal_status = health.wal_status;
  WG_RETURN_IF_ERROR(EnsureBatch());
  const size_t before = out_.size();
  WG_RETURN_IF_ERROR(ReconcileReplicationLag(sample, config_.thresholds, std::max(checkpoint_.lsn, batch_lsn_),
                                             batch_.get(), WallClockNow(), &out_));
  if (out_.size() != before) {
    const bool firing = LagExceeded(sample, config_.thresholds);
    spdlog::log(firing ? spdlog::level::warn : spdlog::level::info,
                "replication_lag {}: the server is {} bytes past the slot's confirmed position, the WAL clock {} s "
                "behind the server's",
                firing ? "firing" : "resolved", sample.lag_bytes, sample.LagTime() / kMicrosPerSecond);
  }
  return Status::OK();
}

// Rows the engine could not apply are dead-lettered with their reason; the
// log says so too, at most once a second (a broken table can reject every row).
void Pipeline::LogDeadLetters(size_t from) {
  for (size_t i = from; i < out_.size(); ++i) {
    if (out_[i].topic != Topic::kDeadLetter) continue;
    ++dead_letters_total_;
    const Micros now = WallClockNow();
    if (now - last_dead_letter_log_ < kMicrosPerSecond) {
      ++dead_letters_unlogged_;
      continue;
    }
    last_dead_letter_log_ = now;
    constexpr size_t kShown = 400;
    const std::string& payload = out_[i].payload;
    spdlog::error(
        "dead letter (sent to the dead-letter topic{}): {}{}",
        dead_letters_unlogged_ > 0 ? fmt::format("; {} more since the last line", dead_letters_unlogged_) : "",
        std::string_view(payload).substr(0, kShown), payload.size() > kShown ? "..." : "");
    dead_letters_unlogged_ = 0;
  }
}

void Pipeline::LogProgress(bool force) {
  const Micros now = WallClockNow();
  if (last_log_ == 0) last_log_ = now;
  const Micros elapsed = now - last_log_;
  if (!force && elapsed < config_.progress_interval_s * kMicrosPerSecond) return;
  const double seconds = std::max<double>(1.0, static_cast<double>(elapsed)) / kMicrosPerSecond;
  const uint64_t lag_bytes = server_wal_end_ > checkpoint_.lsn ? server_wal_end_ - checkpoint_.lsn : 0;
  // Like Debezium's MilliSecondsBehindSource: how old the last applied commit is, while behind.
  const double lag_s =
      lag_bytes > 0 && last_commit_time_ > 0 ? static_cast<double>(now - last_commit_time_) / kMicrosPerSecond : 0.0;
  spdlog::info(
      "progress: applied={} acked={} server={} lag={}B lag_time={:.1f}s changes/s={:.0f} txns={} "
      "changes={} skipped={} outbox={}/{}{} delivered={} slot_lag={}B wal_status={} heartbeats={}/{} dead_letters={}",
      FormatLsn(checkpoint_.lsn), FormatLsn(ack_lsn_), FormatLsn(server_wal_end_), lag_bytes, lag_s,
      static_cast<double>(changes_total_ - changes_at_last_log_) / seconds, txns_total_, changes_total_, skipped_total_,
      store_->outbox_count(), config_.outbox_max_messages, paused_ ? " (full: not reading)" : "",
      outlet_->delivered_total(), health_.LagBytes(), health_.wal_status.empty() ? "-" : health_.wal_status,
      heartbeats_received_, heartbeats_sent_, dead_letters_total_);
  changes_at_last_log_ = changes_total_;
  last_log_ = now;
}

}  // namespace walguard

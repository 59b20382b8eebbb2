// Config: every setting of walguard, with its default.
//
// Loaded from a TOML file (see config/walguard.example.toml for the full
// reference); command-line flags override it. Plain structs: the rest of the
// program reads fields, never the file.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// Rule thresholds (contract section 3). Durations in microseconds.
struct Thresholds {
  // ticketing (runbook 000)
  Micros stuck_hold_after = 5 * kMicrosPerMinute;          // stuck_holds: active hold this far past expires_at
  int64_t high_reserved_percent = 30;                       // high_reserved: reserved > N % of quantity
  int64_t false_sold_out_issued_percent = 50;               // false_sold_out: issued < N % of quantity
  Micros stale_pending_after = 30 * kMicrosPerMinute;      // stale_pending_orders
  Micros paid_without_tickets_after = 2 * kMicrosPerMinute;  // paid_without_tickets
  int64_t revenue_excess_percent = 10;                      // revenue_mismatch: total > Σ items by N %

  // reserve (runbook 002)
  Micros payment_without_reservation_after = 5 * kMicrosPerMinute;  // after succeeded_at
  Micros stuck_payment_after = 60 * kMicrosPerMinute;               // 'processing' after created_at
  Micros pix_pending_after = 30 * kMicrosPerMinute;                 // pix 'pending' after created_at
  Micros payment_rate_window = 60 * kMicrosPerMinute;               // failed_payment_rate window (created_at)
  int64_t payment_rate_min_settled = 20;                            // settled payments needed in the window
  int64_t payment_success_rate_percent = 80;                        // fires below this success rate
  Micros webhook_window = 15 * kMicrosPerMinute;                    // webhook_failures window (received_at)
  int64_t webhook_failures_threshold = 5;                           // failed webhooks in the window
  Micros webhook_processing_after = 5 * kMicrosPerMinute;           // one 'processing' this long fires

  // walguard itself: replication_lag fires past either bound (0 disables that bound).
  int64_t replication_lag_bytes = int64_t{1} << 30;  // server WAL position - slot's confirmed_flush_lsn
  Micros replication_lag_after = 5 * kMicrosPerMinute;  // server clock - WAL clock
};

struct PostgresConfig {
  std::string conninfo;            // libpq keyword string or URI; passwords belong in PGPASSWORD or a passfile
  std::string slot = "walguard";
  int status_interval_ms = 10'000;  // standby status update cadence (keep < wal_sender_timeout / 2)
  int reconnect_max_backoff_ms = 30'000;
  // A second, ordinary connection watches the slot (lag, wal_status) this
  // often and, when heartbeat_interval_s > 0, writes a heartbeat with
  // pg_logical_emit_message in the slot's database, so confirmed_flush_lsn
  // and the WAL clock move even when nothing else is written there.
  int monitor_interval_s = 10;
  int heartbeat_interval_s = 0;
};

struct KafkaConfig {
  std::string brokers;
  std::string alerts_topic = "walguard.alerts";
  std::string commands_topic = "walguard.commands";
  std::string deadletter_topic = "walguard.deadletter";
  // Passed to librdkafka verbatim (security.protocol, sasl.*, ssl.*, ...).
  std::map<std::string, std::string> properties;
};

struct Config {
  PostgresConfig postgres;
  KafkaConfig kafka;
  // "kafka" or "jsonl"; jsonl writes to jsonl_path ("-" = stdout) instead of Kafka.
  std::string sink = "kafka";
  std::string jsonl_path = "-";
  std::string state_dir = "walguard-state";
  Thresholds thresholds;
  // Group commit: at most this many source transactions, or this long, per atomic write.
  int max_batch_transactions = 500;
  int max_batch_ms = 50;
  // The outbox is durable, so the slot advances while the sink is down; past
  // this many undelivered messages walguard stops reading the WAL (and says
  // so) until delivery brings it back under 90 % of the bound.
  int64_t outbox_max_messages = 100'000;
  int progress_interval_s = 10;
  std::string log_level = "info";
};

// Reads a TOML file over the defaults in *config. Unknown keys are an error
// (a typo must not silently keep a default).
Status LoadConfigFile(const std::string& path, Config* config);

// Checks the settings that `walguard run` needs.
Status ValidateForRun(const Config& config);

}  // namespace walguard

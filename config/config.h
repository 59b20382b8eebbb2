// Config: every setting of walguard, with its default.
//
// Loaded from a TOML file (see config/walguard.example.toml for the full
// reference); command-line flags override it. Plain structs: the rest of the
// program reads fields, never the file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/thresholds.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct PostgresConfig {
  std::string conninfo;  // libpq keyword string or URI; passwords belong in PGPASSWORD or a passfile
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
  // The corrective worker's topics (CONTRACT.md section 7).
  std::string outcomes_topic = "walguard.outcomes";
  std::string approvals_topic = "walguard.approvals";
  // Passed to librdkafka verbatim (security.protocol, sasl.*, ssl.*, ...).
  std::map<std::string, std::string> properties;
};

// The archive of every applied step, for replay and inspect (CONTRACT.md
// section 6; app/archiver.h).
struct ArchiveConfig {
  bool enabled = true;
  std::string dir;  // empty: <state_dir>/archive
  // Retention: segments older than this, or past this total, are deleted
  // (oldest first, never the newest); 0: no limit.
  int64_t max_age_days = 7;
  int64_t max_bytes = int64_t{10} << 30;
  // A segment is sealed once this many record bytes are buffered, or once
  // the oldest buffered record waited seal_interval_s.
  int64_t segment_bytes = int64_t{8} << 20;
  int64_t seal_interval_s = 60;
  // A state checkpoint, the start point retention cuts at, is written at a
  // seal boundary once this long after the last one (and whenever retention
  // needs one); 0: only when retention needs one.
  int64_t checkpoint_interval_s = int64_t{24} * 3600;
};

// The corrective worker (`walguard worker`, CONTRACT.md section 7; worker/).
struct WorkerConfig {
  // Command type -> off | dry_run | apply | approval. A type not named runs
  // in dry_run. Type names are checked by the worker, which knows them.
  std::map<std::string, std::string> modes;
  // Command type -> the SQL it runs, with named arguments ($event_id,
  // $dry_run, ...) bound as parameters. A type not named runs the shipped
  // function of sql/runbook/install.sql.
  std::map<std::string, std::string> functions;
  // Attempts of a command whose failure is transient (lost connection,
  // serialization failure, deadlock) before it is dead-lettered.
  int max_attempts = 5;
  int retry_backoff_ms = 200;  // the first retry's wait; doubles, capped at 10 s
  int64_t approval_ttl_s = 3600;
  // fix_did_not_resolve fires when the alert still fires this long after its fix.
  int64_t escalate_after_s = 300;
  // How long a command waits for its causing alert to reach the worker.
  int alert_wait_ms = 10'000;
  // "Fri 18:00-23:59", "Mon-Fri 09:00-17:00", "* 00:00-06:00": apply acts as approval inside.
  std::vector<std::string> quiet_windows;
  std::string timezone = "UTC";  // of quiet_windows: UTC, +HH:MM, or an IANA name
};

// The state directory's integrity and disk (README, Failures).
struct StateConfig {
  // What `walguard run` reads of the state to check it at open: "changed"
  // (the table files not known whole, state/known_tables.h, and every block
  // once a day), "always" (every block), "daily" (every block once a day) or
  // "never"; `walguard run --verify` reads every block.
  std::string verify_on_open = "changed";
  // state_disk_low fires below this many free bytes on the state's
  // filesystem; 0: the smaller of 1 GiB and 5 % of the filesystem.
  int64_t disk_low_bytes = 0;
  // A source transaction whose changes take more than this many bytes in
  // memory is applied in parts of about this size as it streams in, and
  // judged whole at its commit (state/partial_transaction.h): the bound on
  // memory through a transaction of any size. 0: never in parts.
  int64_t transaction_spill_bytes = int64_t{8} << 20;
};

// Alertmanager push (README, Alertmanager; sinks/alertmanager.h): firing
// and resolved alerts also go to Alertmanager's v2 API, Kafka staying the
// source of truth.
struct AlertmanagerConfig {
  // Base URLs of every Alertmanager ("http://am1:9093"), each sent to
  // directly (not through a balancer); empty: off.
  std::vector<std::string> urls;
  int resend_interval_s = 60;   // firing alerts are re-sent this often, with endsAt 4 intervals ahead
  int timeout_ms = 5000;        // per request
  int64_t max_queued = 10'000;  // updates waiting per Alertmanager; past it the oldest is dropped
  std::string generator_url;    // every alert's generatorURL (e.g. the status page); empty: omitted
};

struct Config {
  PostgresConfig postgres;
  KafkaConfig kafka;
  ArchiveConfig archive;
  WorkerConfig worker;
  StateConfig state;
  AlertmanagerConfig alertmanager;
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
  // HOST:PORT of the HTTP endpoint (/metrics, /healthz, /readyz, the status
  // page; CONTRACT.md section 8); empty: off. `--http` overrides it.
  std::string http_address;
  // /readyz of `walguard run` answers 503 while the replication lag is this
  // many seconds or more.
  int http_ready_max_lag_s = 60;
};

// Reads a TOML file over the defaults in *config. Unknown keys are an error
// (a typo must not silently keep a default).
Status LoadConfigFile(const std::string& path, Config* config);

// "HOST:PORT" or "[V6]:PORT" (http_address, --http), or empty (off).
Status ValidateHttpAddress(const std::string& address);

// Checks the settings that `walguard run` needs.
Status ValidateForRun(const Config& config);

// Checks [alertmanager]'s values (URLs http:// or https:// without
// credentials, bounds); also for URLs given with `run --alertmanager`.
Status ValidateAlertmanager(const AlertmanagerConfig& alertmanager);

// Checks [worker]'s values (modes spelled right, bounds); the worker checks
// the type names against the types it knows.
Status ValidateWorker(const WorkerConfig& worker);

}  // namespace walguard

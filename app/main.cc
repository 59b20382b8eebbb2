// walguard: real-time invariant checking on the Postgres WAL.
#include <malloc.h>
#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "app/check_config_command.h"
#include "app/commands.h"
#include "app/inspect_command.h"
#include "app/replay_command.h"
#include "app/state_command.h"
#include "app/worker_command.h"
#include "config/config.h"
#include "ingest/conninfo.h"
#include "util/lsn.h"
#include "util/time.h"

// WALGUARD_REVISION, the source revision --version prints, is defined by
// app/CMakeLists.txt: `git describe` when CMake configured.

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop.store(true);
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll() returns at once with EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

void SetupLogging(const std::string& level) {
  // Logs go to stderr: stdout carries data (the broker's bootstrap line, the JSONL sink).
  auto logger = spdlog::stderr_color_mt("walguard");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

// Only a real password keyword or URI password counts, not a database or
// user that happens to be named "password".
bool HasPassword(const std::string& conninfo) {
  return walguard::ConninfoHasSecret(conninfo);
}

bool ParseLsnFlag(const char* flag, const std::string& text, walguard::Lsn* out) {
  if (text.empty() || walguard::ParseLsn(text, out)) return true;
  std::fprintf(stderr, "walguard: %s %s is not an LSN like 16/B374D848\n", flag, text.c_str());
  return false;
}

// The flags of `walguard replay`, `inspect` and `state` as CLI11 fills them.
struct ForensicsFlags {
  walguard::ReplayCommandOptions replay;
  std::string from_lsn, until_lsn, until_time, baseline_path;
  walguard::InspectCommandOptions inspect;
  std::string inspect_until_lsn;
  walguard::StateCommandOptions state;
};

CLI::App* AddReplayCommand(CLI::App* app, ForensicsFlags* f, std::string* config_path) {
  CLI::App* replay = app->add_subcommand(
      "replay",
      "Rebuild state from an archive (or a pg_recvlogical file) in a scratch directory and run the rules again, "
      "with no Postgres and no broker. Writes every message the live run would have published as one JSON line "
      "{\"topic\",\"key\",\"value\"}; a summary line (records, changes, messages, changes/s) goes to stderr. "
      "Exit 0 when done, 1 for bad input, 2 when the archive was too damaged to replay or Kafka failed.");
  auto* source = replay->add_option_group("source", "where the records come from");
  source->add_option("--archive", f->replay.archive, "archive directory (<state-dir>/archive)");
  source->add_option("--input", f->replay.input,
                     "wal2json format-version 2 lines written by pg_recvlogical with walguard's options "
                     "(README, Forensics); - for stdin. No snapshot: the state starts empty");
  source->require_option(1);
  replay->add_option("--config", *config_path, "TOML config file: thresholds (what-if) and topic names")
      ->check(CLI::ExistingFile);
  replay->add_option("--from-lsn", f->from_lsn,
                     "write only the messages of steps at or after this LSN (state is still rebuilt from the start)");
  auto* until_lsn = replay->add_option("--until-lsn", f->until_lsn, "stop before the first step past this LSN");
  replay->add_option("--until-time", f->until_time, "stop before the first step later than this RFC 3339 time")
      ->excludes(until_lsn);
  replay->add_option("--out", f->replay.out, "output file, - for stdout (default -)");
  replay->add_option("--brokers", f->replay.brokers, "publish to this Kafka cluster instead of writing lines");
  replay->add_option("--topic-prefix", f->replay.topic_prefix,
                     "with --brokers: prefix of the topic names (e.g. replay.)");
  replay->add_flag("--diff", f->replay.diff,
                   "also run with the baseline thresholds and print, instead of the messages, the alert "
                   "transitions of one run missing from the other: {\"run\",\"fingerprint\",\"state\",\"lsn\"}");
  replay
      ->add_option("--baseline-config", f->baseline_path,
                   "with --diff: the baseline thresholds (default: those the live run recorded in the archive)")
      ->check(CLI::ExistingFile);
  return replay;
}

CLI::App* AddInspectCommand(CLI::App* app, ForensicsFlags* f, std::string* config_path) {
  CLI::App* inspect = app->add_subcommand(
      "inspect",
      "Print an entity's timeline from an archive (or a pg_recvlogical file): after every step that evaluated it, "
      "the lsn, xid, commit_time, the step's changes to rows naming it, the figures its rules read and which rules "
      "held. Exit codes as replay's.");
  auto* source = inspect->add_option_group("source", "where the records come from");
  source->add_option("--archive", f->inspect.archive, "archive directory (<state-dir>/archive)");
  source->add_option("--input", f->inspect.input, "wal2json format-version 2 lines, - for stdin");
  source->require_option(1);
  inspect
      ->add_option("--entity", f->inspect.entity,
                   "KIND:ID, KIND one of tier, event, order, ledger_transaction, unit, unit_date, payment, "
                   "booking_intent, provider")
      ->required();
  inspect->add_option("--until-lsn", f->inspect_until_lsn, "stop before the first step past this LSN");
  inspect->add_option("--config", *config_path, "TOML config file: thresholds")->check(CLI::ExistingFile);
  inspect->add_flag("--json", f->inspect.json, "one JSON object per step instead of the readable table");
  return inspect;
}

CLI::App* AddStateCommand(CLI::App* app, walguard::StateCommandOptions* options, std::string* config_path) {
  CLI::App* state = app->add_subcommand(
      "state",
      "Print what a walguard's state holds now, read without stopping it (a RocksDB secondary instance: no lock "
      "taken, nothing written): the checkpoint LSN, the WAL clock and the alerts firing (type, entity, alert_id; "
      "their age is not stored), or with --entity the entity's figures, its rules' verdicts and its firing alerts. "
      "Exit 0 when printed, 1 for bad flags or no state in the directory, 2 for a damaged state or one of another "
      "format version.");
  state->add_option("--state-dir", options->state_dir, "the state directory of the walguard to read")->required();
  auto* firing = state->add_flag_callback(
      "--firing", [] {}, "the alerts firing now (the default without --entity)");
  state
      ->add_option("--entity", options->entity,
                   "KIND:ID: the entity's current figures and rule verdicts; KIND as inspect's --entity")
      ->excludes(firing);
  state->add_option("--config", *config_path, "TOML config file: the thresholds the verdicts are asked under")
      ->check(CLI::ExistingFile);
  state->add_flag("--json", options->json, "one JSON object instead of the readable table");
  return state;
}

// The flags of `walguard worker`, `approve` and `approvals` as CLI11 fills them.
struct WorkerCli {
  walguard::WorkerOptions worker;
  std::string topic_prefix;
  walguard::ApproveOptions approve;
  bool json = false;
  CLI::App* worker_app = nullptr;
  CLI::App* approve_app = nullptr;
  CLI::App* approvals_app = nullptr;
  bool parsed() const { return worker_app->parsed() || approve_app->parsed() || approvals_app->parsed(); }
};

void AddWorkerCommands(CLI::App* app, WorkerCli* f, std::string* config_path, std::string* pg, std::string* brokers,
                       std::string* http) {
  CLI::App* worker = f->worker_app = app->add_subcommand(
      "worker",
      "Consume walguard.commands in a consumer group and apply the runbooks' SQL functions: per command type off, "
      "dry_run (default), apply or approval ([worker.modes]); outcomes on walguard.outcomes (README, The corrective "
      "worker). Exit 0 after SIGINT/SIGTERM, 1 for a bad configuration, 2 when a function is missing or Postgres or "
      "Kafka is unreachable at start.");
  worker->add_option("--config", *config_path, "TOML config file ([worker], [worker.modes], [worker.functions])")
      ->check(CLI::ExistingFile);
  worker->add_option("--pg", *pg, "Postgres conninfo of the walguard_worker role (no password here)");
  worker->add_option("--brokers", *brokers, "Kafka bootstrap servers, overrides kafka.brokers");
  worker->add_option("--group", f->worker.group, "consumer group (default walguard-worker)");
  worker->add_option("--http", *http,
                     "serve /metrics, /healthz, /readyz and a page of the commands awaiting approval on HOST:PORT, "
                     "overrides http_address (default: off)");
  worker->add_option("--id", f->worker.id, "this worker's name in outcomes (default <host>-<pid>)");
  worker->add_option("--topic-prefix", f->topic_prefix, "prefix of every topic name (e.g. staging.)");
  CLI::App* approve = f->approve_app =
      app->add_subcommand("approve", "Approve a command awaiting approval: publishes to walguard.approvals.");
  approve->add_option("command_id", f->approve.command_id, "the command_id to approve")->required();
  approve->add_option("--by", f->approve.by, "who approves (recorded in the outcome)")->required();
  approve->add_option("--reason", f->approve.reason, "why");
  CLI::App* approvals = f->approvals_app = app->add_subcommand(
      "approvals", "List the commands awaiting approval with their dry-run reports (from walguard.outcomes).");
  for (CLI::App* sub : {approve, approvals}) {
    sub->add_option("--brokers", *brokers, "Kafka bootstrap servers")->required();
    sub->add_option("--config", *config_path, "TOML config file (topic names, kafka.properties)")
        ->check(CLI::ExistingFile);
    sub->add_option("--topic-prefix", f->topic_prefix, "prefix of every topic name");
  }
  approvals->add_flag("--json", f->json, "one JSON object per command");
}

int WorkerCommands(WorkerCli f, walguard::Config config) {
  if (!f.topic_prefix.empty()) {
    walguard::KafkaConfig& k = config.kafka;
    for (std::string* topic :
         {&k.alerts_topic, &k.commands_topic, &k.deadletter_topic, &k.outcomes_topic, &k.approvals_topic}) {
      *topic = f.topic_prefix + *topic;
    }
  }
  if (f.worker_app->parsed()) {
    if (const char* crash = std::getenv("WALGUARD_WORKER_CRASH_AT")) f.worker.crash_at = crash;
    return walguard::WorkerCommand(config, f.worker, &g_stop);
  }
  if (f.approve_app->parsed()) return walguard::ApproveCommand(f.approve, config);
  return walguard::ApprovalsCommand(config, f.json, stdout);
}

constexpr char kPasswordOnCommandLine[] =
    "--pg must not carry a password (the command line is visible to every user); "
    "use PGPASSWORD, a passfile (~/.pgpass) or postgres.conninfo in the config file";

// `walguard check-config --config FILE`: the file checked and printed, nothing run.
CLI::App* AddCheckConfigCommand(CLI::App* app, std::string* path) {
  CLI::App* check_config = app->add_subcommand(
      "check-config",
      "Validate a config file as `walguard run` would and print the effective settings (every key, defaults "
      "filled in, passwords and secret Kafka properties masked). Exit 0 when valid, 1 naming the bad key.");
  check_config->add_option("--config", *path, "TOML config file to check")->required()->check(CLI::ExistingFile);
  return check_config;
}

// `walguard replay`, `inspect` and `state`: flags that need parsing, then the command.
int ForensicsCommand(ForensicsFlags f, bool inspect, bool state, const walguard::Config& config) {
  if (state) return walguard::StateCommand(f.state, config, stdout, stderr);
  if (inspect) {
    if (!ParseLsnFlag("--until-lsn", f.inspect_until_lsn, &f.inspect.until_lsn)) return 1;
    return walguard::InspectCommand(f.inspect, config, &g_stop);
  }
  walguard::ReplayOptions& r = f.replay.replay;
  if (!ParseLsnFlag("--from-lsn", f.from_lsn, &r.from_lsn) || !ParseLsnFlag("--until-lsn", f.until_lsn, &r.until_lsn)) {
    return 1;
  }
  if (!f.until_time.empty() && !walguard::ParseTimestamp(f.until_time, &r.until_time)) {
    std::fprintf(stderr, "walguard: --until-time %s is not an RFC 3339 time\n", f.until_time.c_str());
    return 1;
  }
  r.thresholds = config.thresholds;
  if (!f.baseline_path.empty()) {
    walguard::Config baseline;
    walguard::Status s = walguard::LoadConfigFile(f.baseline_path, &baseline);
    if (!s.ok()) {
      std::fprintf(stderr, "walguard: %s\n", s.message().c_str());
      return 1;
    }
    f.replay.baseline = baseline.thresholds;
  }
  return walguard::ReplayCommand(f.replay, config, &g_stop);
}

// The flags of `walguard run` as CLI11 fills them.
struct RunFlags {
  std::string pg, brokers, slot, state_dir, sink, jsonl_path, log_level, http;
  std::vector<std::string> alertmanager;
  bool resnapshot = false;
  bool verify = false;
};

CLI::App* AddRunCommand(CLI::App* app, RunFlags* f, std::string* config_path) {
  CLI::App* run =
      app->add_subcommand("run", "Stream from Postgres and publish alerts and commands until SIGINT/SIGTERM.");
  run->add_option("--config", *config_path, "TOML config file (see config/walguard.example.toml)")
      ->check(CLI::ExistingFile);
  run->add_option(
      "--pg", f->pg,
      "Postgres conninfo or URI, overrides postgres.conninfo (no password here: use PGPASSWORD or ~/.pgpass)");
  run->add_option("--brokers", f->brokers, "Kafka bootstrap servers, overrides kafka.brokers");
  run->add_option("--slot", f->slot, "replication slot name, overrides postgres.slot (default walguard)");
  run->add_option("--state-dir", f->state_dir,
                  "RocksDB state directory, overrides state_dir (default ./walguard-state)");
  run->add_option("--sink", f->sink, "kafka (default) or jsonl");
  run->add_option("--jsonl-path", f->jsonl_path, "file for the jsonl sink, - for stdout (default -)");
  run->add_option("--log-level", f->log_level, "trace, debug, info (default), warn, error");
  run->add_option("--alertmanager", f->alertmanager,
                  "also push alerts to this Alertmanager (http://HOST:PORT; repeat for each one), overrides "
                  "alertmanager.urls")
      ->expected(1)
      ->take_all();
  run->add_option("--http", f->http,
                  "serve /metrics, /healthz, /readyz and the status page / on HOST:PORT, overrides http_address "
                  "(default: off)");
  auto* resnapshot = run->add_flag(
      "--resnapshot", f->resnapshot,
      "discard local state, recreate the slot and take a fresh snapshot; a damaged state is moved aside into "
      "<state-dir>/damaged-<UTC time>/ first, and the firing alerts continue under their ids");
  run->add_flag("--verify", f->verify,
                "read every checksum of the state and exit without streaming: 0 when whole, 2 when damaged")
      ->excludes(resnapshot);
  return run;
}

int Main(int argc, char** argv) {
  using walguard::Config;
  CLI::App app{
      "walguard: reads the Postgres WAL through logical replication (wal2json), keeps incremental state in "
      "RocksDB, and publishes alerts and corrective commands to Kafka the moment a commit breaks a "
      "ticketing or booking invariant."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "walguard 0.1.0 (revision " WALGUARD_REVISION ")");

  Config config;
  std::string config_path;
  RunFlags f;
  CLI::App* run = AddRunCommand(&app, &f, &config_path);

  walguard::BrokerCommandOptions broker_options;
  CLI::App* broker = app.add_subcommand(
      "broker",
      "Start the embedded Kafka-protocol broker (librdkafka mock cluster, in memory) for local use and tests; "
      "prints bootstrap=HOST:PORT first on stdout. SIGUSR1 takes it down (an outage: connections dropped, "
      "messages kept), SIGUSR2 brings it back.");
  broker->add_option("--partitions", broker_options.partitions, "partitions of each walguard topic (default 3)");
  broker->add_option("--brokers", broker_options.brokers, "number of brokers in the cluster (default 1)");

  ForensicsFlags forensics;
  CLI::App* replay = AddReplayCommand(&app, &forensics, &config_path);
  CLI::App* inspect = AddInspectCommand(&app, &forensics, &config_path);
  CLI::App* state = AddStateCommand(&app, &forensics.state, &config_path);
  WorkerCli worker_cli;
  AddWorkerCommands(&app, &worker_cli, &config_path, &f.pg, &f.brokers, &f.http);
  CLI::App* check_config = AddCheckConfigCommand(&app, &config_path);
  // A bad command line exits 1, like every error (CLI11_PARSE: 105, 106, 109, ...); --help, --version exit 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version: printed, nothing else to do
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints CLI11's message and the usage hint
    return 1;
  }
  if (*check_config) return walguard::CheckConfigCommand(config_path, stdout, stderr);
  if (!config_path.empty()) {
    walguard::Status s = walguard::LoadConfigFile(config_path, &config);
    if (!s.ok()) {
      std::fprintf(stderr, "walguard: %s\n", s.message().c_str());
      return 1;
    }
  }
  if (!f.pg.empty()) config.postgres.conninfo = f.pg;
  if (!f.brokers.empty()) config.kafka.brokers = f.brokers;
  if (!f.slot.empty()) config.postgres.slot = f.slot;
  if (!f.state_dir.empty()) config.state_dir = f.state_dir;
  if (!f.sink.empty()) config.sink = f.sink;
  if (!f.jsonl_path.empty()) config.jsonl_path = f.jsonl_path;
  if (!f.log_level.empty()) config.log_level = f.log_level;
  if (!f.alertmanager.empty()) config.alertmanager.urls = f.alertmanager;
  if (!f.http.empty()) {
    walguard::Status s = walguard::ValidateHttpAddress(f.http);
    if (!s.ok()) {
      std::fprintf(stderr, "walguard: --http: %s\n", s.message().c_str());
      return 1;
    }
    config.http_address = f.http;
  }
  SetupLogging(config.log_level);
  InstallSignalHandlers();
  if (*replay || *inspect || *state) return ForensicsCommand(forensics, inspect->parsed(), state->parsed(), config);
  if ((*run || worker_cli.worker_app->parsed()) && !f.pg.empty() && HasPassword(f.pg)) {
    spdlog::error(kPasswordOnCommandLine);
    return 1;
  }
  if (worker_cli.parsed()) return WorkerCommands(worker_cli, config);
  if (*run && f.verify) return walguard::VerifyStateCommand(config, &g_stop);
  if (*run) return walguard::RunCommand(config, f.resnapshot, &g_stop);
  return walguard::BrokerCommand(broker_options, config, &g_stop);
}

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena for every thread, unless the environment chose: glibc
  // gives each thread that allocates its own arena, and RocksDB's flush and
  // compaction threads kept ~45 MiB apiece in theirs through a bulk load
  // (bench/RESULTS.md, eighth session: 166 -> 139 MiB peak through 1 M rows,
  // no slower). The threads rarely allocate at the same moment.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
  // Every failure is a Status; an exception reaching here is a bug or an
  // allocation failure, and still ends with a message and exit 1, not abort().
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "walguard: unexpected error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "walguard: unexpected error\n");
  }
  return 1;
}

// walguard: real-time invariant checking on the Postgres WAL.
#include <signal.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <exception>

#include "app/commands.h"
#include "config/config.h"
#include "ingest/conninfo.h"

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

int Main(int argc, char** argv) {
  using walguard::Config;
  CLI::App app{
      "walguard: reads the Postgres WAL through logical replication (wal2json), keeps incremental state in "
      "RocksDB, and publishes alerts and corrective commands to Kafka the moment a commit breaks a "
      "ticketing or booking invariant."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "walguard 0.1.0");

  Config config;
  std::string config_path, pg, brokers, slot, state_dir, sink, jsonl_path, log_level;
  bool resnapshot = false;
  CLI::App* run =
      app.add_subcommand("run", "Stream from Postgres and publish alerts and commands until SIGINT/SIGTERM.");
  run->add_option("--config", config_path, "TOML config file (see config/walguard.example.toml)")
      ->check(CLI::ExistingFile);
  run->add_option(
      "--pg", pg,
      "Postgres conninfo or URI, overrides postgres.conninfo (no password here: use PGPASSWORD or ~/.pgpass)");
  run->add_option("--brokers", brokers, "Kafka bootstrap servers, overrides kafka.brokers");
  run->add_option("--slot", slot, "replication slot name, overrides postgres.slot (default walguard)");
  run->add_option("--state-dir", state_dir, "RocksDB state directory, overrides state_dir (default ./walguard-state)");
  run->add_option("--sink", sink, "kafka (default) or jsonl");
  run->add_option("--jsonl-path", jsonl_path, "file for the jsonl sink, - for stdout (default -)");
  run->add_option("--log-level", log_level, "trace, debug, info (default), warn, error");
  run->add_flag("--resnapshot", resnapshot, "discard local state, recreate the slot and take a fresh snapshot");

  walguard::BrokerCommandOptions broker_options;
  CLI::App* broker = app.add_subcommand(
      "broker",
      "Start the embedded Kafka-protocol broker (librdkafka mock cluster, in memory) for local use and tests; "
      "prints bootstrap=HOST:PORT first on stdout. SIGUSR1 takes it down (an outage: connections dropped, "
      "messages kept), SIGUSR2 brings it back.");
  broker->add_option("--partitions", broker_options.partitions, "partitions of each walguard topic (default 3)");
  broker->add_option("--brokers", broker_options.brokers, "number of brokers in the cluster (default 1)");

  // A bad command line exits 1, like every other error (CLI11_PARSE would
  // return CLI11's own codes: 105, 106, 109, ...); --help and --version exit 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version: printed, nothing else to do
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints CLI11's message and the usage hint
    return 1;
  }

  if (!config_path.empty()) {
    walguard::Status s = walguard::LoadConfigFile(config_path, &config);
    if (!s.ok()) {
      std::fprintf(stderr, "walguard: %s\n", s.message().c_str());
      return 1;
    }
  }
  if (!pg.empty()) config.postgres.conninfo = pg;
  if (!brokers.empty()) config.kafka.brokers = brokers;
  if (!slot.empty()) config.postgres.slot = slot;
  if (!state_dir.empty()) config.state_dir = state_dir;
  if (!sink.empty()) config.sink = sink;
  if (!jsonl_path.empty()) config.jsonl_path = jsonl_path;
  if (!log_level.empty()) config.log_level = log_level;
  SetupLogging(config.log_level);
  InstallSignalHandlers();

  if (*run) {
    if (!pg.empty() && HasPassword(pg)) {
      spdlog::error(
          "--pg must not carry a password (the command line is visible to every user); "
          "use PGPASSWORD, a passfile (~/.pgpass) or postgres.conninfo in the config file");
      return 1;
    }
    return walguard::RunCommand(config, resnapshot, &g_stop);
  }
  return walguard::BrokerCommand(broker_options, config, &g_stop);
}

}  // namespace

int main(int argc, char** argv) {
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

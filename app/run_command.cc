#include <spdlog/spdlog.h>

#include <memory>

#include "app/commands.h"
#include "app/pipeline.h"
#include "app/run_board.h"
#include "app/run_http.h"
#include "app/state_open.h"
#include "ingest/replication_client.h"

namespace walguard {

namespace {
// Damage (Fatal, or Corruption met while running) needs an operator.
int ExitCode(const Status& s) {
  return s.IsFatal() || s.IsCorruption() ? 2 : 1;
}
}  // namespace

int RunCommand(const Config& config, bool resnapshot, const std::atomic<bool>* stop) {
  Status s = ValidateForRun(config);
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  spdlog::info("walguard run: postgres {} slot '{}', sink {}{}, state {}", RedactConninfo(config.postgres.conninfo),
               config.postgres.slot, config.sink,
               config.sink == "kafka" ? " " + config.kafka.brokers : " " + config.jsonl_path, config.state_dir);
  RunBoard board;
  board.SetOutboxBound(config.outbox_max_messages);
  std::unique_ptr<RunHttp> http;
  if (!config.http_address.empty()) {
    http = std::make_unique<RunHttp>(config, &board);
    s = http->Start();
    if (!s.ok()) {
      spdlog::critical("{}", s.ToString());
      return 2;  // the address is taken or not ours: an operator's call, not a bad flag
    }
  }
  Pipeline pipeline(config, stop, http ? &board : nullptr);
  s = pipeline.Run(resnapshot);
  if (!s.ok()) {
    spdlog::critical("{}", s.ToString());
    return ExitCode(s);
  }
  spdlog::info("stopped cleanly");
  return 0;
}

int VerifyStateCommand(const Config& config, const std::atomic<bool>* stop) {
  if (config.state_dir.empty()) {
    spdlog::error("state_dir must not be empty");
    return 1;
  }
  std::unique_ptr<StateStore> store;
  Status s = OpenRunState(config, RunStateOptions{.verify = true}, stop, &store);
  if (!s.ok()) {
    spdlog::critical("{}", s.ToString());
    return ExitCode(s);
  }
  spdlog::info("the state in {} is whole: every checksum verified in {} ms", config.state_dir,
               store->verify_micros() / 1000);
  return 0;
}

}  // namespace walguard

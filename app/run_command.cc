#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/pipeline.h"
#include "ingest/replication_client.h"

namespace walguard {

int RunCommand(const Config& config, bool resnapshot, const std::atomic<bool>* stop) {
  Status s = ValidateForRun(config);
  if (!s.ok()) {
    spdlog::error("{}", s.message());
    return 1;
  }
  spdlog::info("walguard run: postgres {} slot '{}', sink {}{}, state {}", RedactConninfo(config.postgres.conninfo),
               config.postgres.slot, config.sink,
               config.sink == "kafka" ? " " + config.kafka.brokers : " " + config.jsonl_path, config.state_dir);
  Pipeline pipeline(config, stop);
  s = pipeline.Run(resnapshot);
  if (!s.ok()) {
    spdlog::critical("{}", s.ToString());
    return s.IsFatal() ? 2 : 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace walguard

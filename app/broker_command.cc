#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "app/commands.h"
#include "sinks/embedded_broker.h"

namespace walguard {

int BrokerCommand(const BrokerCommandOptions& options, const Config& config, const std::atomic<bool>* stop) {
  EmbeddedBroker broker;
  EmbeddedBrokerOptions eo;
  eo.brokers = options.brokers;
  eo.partitions = options.partitions;
  eo.topics = {config.kafka.alerts_topic, config.kafka.commands_topic, config.kafka.deadletter_topic};
  Status s = broker.Start(eo);
  if (!s.ok()) {
    spdlog::error("broker: {}", s.ToString());
    return 1;
  }
  std::printf("bootstrap=%s\n", broker.bootstrap_servers().c_str());
  std::fflush(stdout);
  spdlog::info("embedded broker serving {} (topics {}, {}, {} with {} partitions); SIGINT/SIGTERM stops it",
               broker.bootstrap_servers(), config.kafka.alerts_topic, config.kafka.commands_topic,
               config.kafka.deadletter_topic, options.partitions);
  // The mock cluster runs on its own thread; this one only waits for a stop signal.
  while (!stop->load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("broker stopped");
  return 0;
}

}  // namespace walguard

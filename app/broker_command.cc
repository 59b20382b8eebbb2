#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "app/commands.h"
#include "sinks/embedded_broker.h"

namespace walguard {

namespace {

// SIGUSR1 takes the cluster down, SIGUSR2 brings it back: an outage on
// demand, for trying what walguard and consumers do while Kafka is away.
std::atomic<int> g_outage_request{0};  // 0 none, 1 down, 2 up

void OnOutageSignal(int signo) {
  g_outage_request.store(signo == SIGUSR1 ? 1 : 2);
}

void InstallOutageSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnOutageSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
}

void ServeOutageRequest(EmbeddedBroker* broker) {
  const int request = g_outage_request.exchange(0);
  if (request == 0) return;
  Status s = broker->SetDown(request == 1);
  if (!s.ok()) {
    spdlog::error("broker: {}", s.ToString());
  } else if (request == 1) {
    spdlog::warn("broker: DOWN on SIGUSR1 (connections dropped and refused, messages kept); SIGUSR2 brings it back");
  } else {
    spdlog::info("broker: UP again on SIGUSR2");
  }
}

}  // namespace

int BrokerCommand(const BrokerCommandOptions& options, const Config& config, const std::atomic<bool>* stop) {
  EmbeddedBroker broker;
  EmbeddedBrokerOptions eo;
  eo.brokers = options.brokers;
  eo.partitions = options.partitions;
  eo.topics = {config.kafka.alerts_topic, config.kafka.commands_topic, config.kafka.deadletter_topic,
               config.kafka.outcomes_topic, config.kafka.approvals_topic};
  Status s = broker.Start(eo);
  if (!s.ok()) {
    spdlog::error("broker: {}", s.ToString());
    return 1;
  }
  std::printf("bootstrap=%s\n", broker.bootstrap_servers().c_str());
  std::fflush(stdout);
  spdlog::info(
      "embedded broker serving {} (topics {}, {}, {} with {} partitions); SIGINT/SIGTERM stops it, "
      "SIGUSR1/SIGUSR2 take it down/up",
      broker.bootstrap_servers(), config.kafka.alerts_topic, config.kafka.commands_topic, config.kafka.deadletter_topic,
      options.partitions);
  InstallOutageSignals();
  // The mock cluster runs on its own thread; this one only waits for signals.
  while (!stop->load()) {
    ServeOutageRequest(&broker);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  spdlog::info("broker stopped");
  return 0;
}

}  // namespace walguard

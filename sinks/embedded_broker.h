// EmbeddedBroker: librdkafka's mock cluster, a real Kafka-protocol broker in
// process, for local runs, the demo and the tests. Not for production: it
// keeps everything in memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace walguard {

struct EmbeddedBrokerOptions {
  int brokers = 1;
  int partitions = 3;               // partitions of each pre-created topic
  std::vector<std::string> topics;  // created up front; others are auto-created on produce
};

class EmbeddedBroker {
 public:
  EmbeddedBroker();
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  Status Start(const EmbeddedBrokerOptions& options);
  // "127.0.0.1:PORT[,...]"
  std::string bootstrap_servers() const;

  // Simulates an outage: down=true drops every client connection and refuses
  // new ones until SetDown(false). Topics and messages are kept; clients
  // reconnect on their own (after their reconnect backoff).
  Status SetDown(bool down);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace walguard

// KafkaSink: an idempotent librdkafka producer (acks=all,
// enable.idempotence=true) that reports which outbox messages the brokers
// have acknowledged.
//
// Messages are never dropped by the sink: message.timeout.ms=0 makes
// librdkafka retry for as long as it takes (a broker outage just delays
// delivery; the durable outbox still holds every message). Per-key order is
// kept by the idempotent producer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinks/message.h"
#include "util/status.h"

namespace walguard {

struct KafkaSinkOptions {
  std::string brokers;  // bootstrap.servers
  // Extra librdkafka properties passed through verbatim (security.protocol,
  // sasl.*, ssl.*, linger.ms, ...). Applied after the defaults above.
  std::map<std::string, std::string> properties;
  // Topics the sink will produce to. Their metadata is requested at Open,
  // in the background, so the first message to each does not wait for the
  // leader lookup (and, on a broker that auto-creates topics, the creation):
  // that took ~0.9 s on the embedded broker, all of it added to the first
  // alerts' latency.
  std::vector<std::string> topics;
};

class KafkaSink {
 public:
  KafkaSink();
  ~KafkaSink();
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  Status Open(const KafkaSinkOptions& options);

  // Enqueues one message. Fails only when the local queue is full
  // (kUnavailable: poll and retry) or the producer hit a fatal error.
  Status Send(const SinkMessage& message);

  // Serves delivery reports for up to timeout_ms and appends the seq of each
  // message acknowledged by the brokers to *delivered (not necessarily in order).
  // A fatal producer error is returned as kFatal.
  Status Poll(int timeout_ms, std::vector<uint64_t>* delivered);

  // Messages handed to Send that are not acknowledged yet.
  int64_t in_flight() const;

  // Waits up to timeout_ms for everything in flight; appends delivered seqs.
  Status Flush(int timeout_ms, std::vector<uint64_t>* delivered);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace walguard

// The worker's Kafka ends, on librdkafka:
//   CommandConsumer  a consumer-group member on the commands topic; offsets
//                    are stored only when the worker says the outcome is
//                    durable (enable.auto.offset.store=false), committed in
//                    the background and synchronously on a revoke.
//   TopicFollower    reads whole topics from the beginning, every partition,
//                    outside any group (alerts, outcomes, approvals), and
//                    picks up topics and partitions that appear later.
//   Publisher        an idempotent producer that can wait for one message.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sinks/kafka_sink.h"
#include "util/status.h"

namespace walguard {

struct KafkaRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
};

struct KafkaEndpoint {
  std::string brokers;
  std::map<std::string, std::string> properties;  // security.*, sasl.*, ssl.*, fetch.wait.max.ms, ...
};

class CommandConsumer {
 public:
  CommandConsumer();
  ~CommandConsumer();
  CommandConsumer(const CommandConsumer&) = delete;
  CommandConsumer& operator=(const CommandConsumer&) = delete;

  Status Open(const KafkaEndpoint& endpoint, const std::string& group, const std::string& topic);
  // One record, or false after `timeout_ms` (or a consumer error, logged).
  bool Poll(int timeout_ms, KafkaRecord* out);
  // Marks `record` done: the group resumes after it.
  Status Store(const KafkaRecord& record);
  // Commits what is stored and leaves the group.
  void Close();
  // Partitions of the commands topic this member holds now.
  int AssignedPartitions();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class TopicFollower {
 public:
  TopicFollower();
  ~TopicFollower();
  TopicFollower(const TopicFollower&) = delete;
  TopicFollower& operator=(const TopicFollower&) = delete;

  Status Open(const KafkaEndpoint& endpoint, const std::vector<std::string>& topics);
  // Appends what arrives within `timeout_ms` (at most `max` records).
  void Poll(int timeout_ms, size_t max, std::vector<KafkaRecord>* out);
  // True once every partition has been read up to the high watermark it
  // had when this was first asked since the last true (a fresh target each
  // time it returns true).
  // With `topic`, only that topic's partitions count. `fresh` asks the
  // brokers for the high watermarks (a round trip per partition, queued
  // behind the fetch in flight); otherwise the ones the last fetch
  // responses carried are used, at most one fetch cycle old.
  bool CaughtUp(const std::string& topic = "", bool fresh = true);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Publisher {
 public:
  Status Open(const KafkaEndpoint& endpoint);
  // Enqueues; the returned seq identifies it for WaitDelivered.
  Status Send(const std::string& topic, const std::string& key, const std::string& payload, uint64_t* seq);
  // Serves delivery reports until `seq` is acknowledged, `stop` is set or
  // `timeout_ms` passes (Unavailable then).
  Status WaitDelivered(uint64_t seq, int timeout_ms, const std::atomic<bool>* stop);
  // Serves delivery reports without waiting.
  void Serve();

 private:
  KafkaSink sink_;
  uint64_t next_seq_ = 1;
  std::vector<uint64_t> delivered_;
};

}  // namespace walguard

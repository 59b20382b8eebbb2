// TopicReader: a real Kafka consumer (librdkafka) that reads topics from the
// beginning and keeps every message it has seen, for the integration tests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace walguard::testing {

struct ConsumedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
};

// The partition count of `topic` on `brokers`, or 0 while they do not know
// it, from a metadata request for all topics: one naming the topic could
// make the broker create it.
Status TopicPartitionCount(const std::string& brokers, const std::string& topic, int* count);

class TopicReader {
 public:
  TopicReader();
  ~TopicReader();
  TopicReader(const TopicReader&) = delete;
  TopicReader& operator=(const TopicReader&) = delete;

  // Assigns every partition of each topic from offset 0 (no consumer group).
  // Topics that do not exist yet are waited for (up to 10 s each).
  Status Open(const std::string& brokers, const std::vector<std::string>& topics);

  // Consumes for up to `timeout`, appending to messages().
  void PollFor(std::chrono::milliseconds timeout);

  // Polls until `done(messages())` is true or `timeout` passes; returns done's last value.
  bool WaitUntil(const std::function<bool(const std::vector<ConsumedMessage>&)>& done,
                 std::chrono::milliseconds timeout);

  const std::vector<ConsumedMessage>& messages() const { return messages_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<ConsumedMessage> messages_;
};

}  // namespace walguard::testing

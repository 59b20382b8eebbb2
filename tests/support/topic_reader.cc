#include "tests/support/topic_reader.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <thread>

namespace walguard::testing {

namespace {

using Clock = std::chrono::steady_clock;

// Returns the partition count of `topic`, or 0 while the brokers do not
// know it yet (it is auto-created by the first produce).
Status PartitionCount(rd_kafka_t* rk, const std::string& topic, int* count) {
  const rd_kafka_metadata_t* md = nullptr;
  // All topics: asking for one topic by name could auto-create it with the
  // default partition count, racing the producer that should create it.
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, 2000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *count = 0;
    return Status::Unavailable(std::string("metadata: ") + rd_kafka_err2str(err));
  }
  *count = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (topic == t.topic && t.err == RD_KAFKA_RESP_ERR_NO_ERROR) *count = t.partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  return Status::OK();
}

Status WaitForPartitions(rd_kafka_t* rk, const std::string& topic, int* count) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  Status last;
  while (true) {
    last = PartitionCount(rk, topic, count);
    if (*count > 0) return Status::OK();
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string msg = "topic " + topic + " did not appear within 10 s";
  if (!last.ok()) msg += " (" + last.message() + ")";
  return Status::NotFound(msg);
}

Status Set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument(std::string("topic reader: ") + errstr);
  }
  return Status::OK();
}

}  // namespace

Status TopicPartitionCount(const std::string& brokers, const std::string& topic, int* count) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status s = Set(conf, "bootstrap.servers", brokers);
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("topic metadata: ") + errstr);
  }
  s = PartitionCount(rk, topic, count);
  rd_kafka_destroy(rk);
  return s;
}

struct TopicReader::Impl {
  rd_kafka_t* rk = nullptr;

  ~Impl() {
    if (rk == nullptr) return;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};

TopicReader::TopicReader() : impl_(std::make_unique<Impl>()) {}
TopicReader::~TopicReader() = default;

Status TopicReader::Open(const std::string& brokers, const std::vector<std::string>& topics) {
  if (impl_->rk != nullptr) return Status::InvalidArgument("topic reader: already open");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Partitions are assigned explicitly, so the group never joins or commits;
  // librdkafka still wants a group.id for a consumer handle.
  Status s = Set(conf, "bootstrap.servers", brokers);
  if (s.ok()) s = Set(conf, "group.id", "walguard-topic-reader");
  if (s.ok()) s = Set(conf, "enable.auto.commit", "false");
  if (s.ok()) s = Set(conf, "enable.auto.offset.store", "false");
  if (s.ok()) s = Set(conf, "enable.partition.eof", "false");
  // Tests wait on the reader; don't let an empty fetch idle for the default 500 ms.
  if (s.ok()) s = Set(conf, "fetch.wait.max.ms", "50");
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  char errstr[512];
  impl_->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (impl_->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("topic reader: ") + errstr);
  }
  // Serve consumer events through rd_kafka_consumer_poll.
  rd_kafka_poll_set_consumer(impl_->rk);

  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
  for (const std::string& topic : topics) {
    int count = 0;
    s = WaitForPartitions(impl_->rk, topic, &count);
    if (!s.ok()) break;
    for (int p = 0; p < count; ++p) {
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  if (s.ok()) {
    rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk, parts);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      s = Status::IOError(std::string("topic reader: assign: ") + rd_kafka_err2str(err));
    }
  }
  rd_kafka_topic_partition_list_destroy(parts);
  return s;
}

void TopicReader::PollFor(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || impl_->rk == nullptr) return;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, static_cast<int>(left.count()));
    if (m == nullptr) continue;
    // Errors here are transient (broker down, EOF); the reader just retries.
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedMessage c;
      c.topic = rd_kafka_topic_name(m->rkt);
      c.partition = m->partition;
      c.offset = m->offset;
      if (m->key != nullptr) c.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) c.payload.assign(static_cast<const char*>(m->payload), m->len);
      messages_.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
}

bool TopicReader::WaitUntil(const std::function<bool(const std::vector<ConsumedMessage>&)>& done,
                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done(messages_)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return done(messages_);
    PollFor(std::min(left, std::chrono::milliseconds(100)));
  }
  return true;
}

}  // namespace walguard::testing

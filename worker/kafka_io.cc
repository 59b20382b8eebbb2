#include "worker/kafka_io.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>

namespace walguard {

namespace {

using Clock = std::chrono::steady_clock;

Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument("kafka property \"" + name + "\": " + errstr);
  }
  return Status::OK();
}

// A consumer handle with the endpoint's properties over `defaults`.
Status NewConsumer(const KafkaEndpoint& endpoint, const std::map<std::string, std::string>& defaults,
                   void (*rebalance)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*, void*),
                   rd_kafka_t** out) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status s = Set(conf, "bootstrap.servers", endpoint.brokers);
  for (const auto& [k, v] : defaults) {
    if (s.ok()) s = Set(conf, k, v);
  }
  for (const auto& [k, v] : endpoint.properties) {
    if (s.ok()) s = Set(conf, k, v);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  if (rebalance != nullptr) rd_kafka_conf_set_rebalance_cb(conf, rebalance);
  char errstr[512];
  *out = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (*out == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("kafka consumer: ") + errstr);
  }
  rd_kafka_poll_set_consumer(*out);
  return Status::OK();
}

KafkaRecord ToRecord(const rd_kafka_message_t* m) {
  KafkaRecord r;
  r.topic = rd_kafka_topic_name(m->rkt);
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload != nullptr) r.payload.assign(static_cast<const char*>(m->payload), m->len);
  return r;
}

// On a revoke, what is stored is committed before the partitions go, so
// the next owner resumes right after the last durable outcome.
void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void*) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    spdlog::info("worker: assigned {} partition(s) of the commands topic", parts->cnt);
    rd_kafka_assign(rk, parts);
    return;
  }
  rd_kafka_resp_err_t c = rd_kafka_commit(rk, nullptr, /*async=*/0);
  if (c != RD_KAFKA_RESP_ERR_NO_ERROR && c != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    spdlog::warn("worker: commit on revoke: {}", rd_kafka_err2str(c));
  }
  spdlog::info("worker: revoked {} partition(s) of the commands topic", parts->cnt);
  rd_kafka_assign(rk, nullptr);
}

}  // namespace

struct CommandConsumer::Impl {
  rd_kafka_t* rk = nullptr;
  ~Impl() {
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

int CommandConsumer::AssignedPartitions() {
  if (impl_->rk == nullptr) return 0;
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(impl_->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || parts == nullptr) return 0;
  const int n = parts->cnt;
  rd_kafka_topic_partition_list_destroy(parts);
  return n;
}

CommandConsumer::CommandConsumer() : impl_(std::make_unique<Impl>()) {}
CommandConsumer::~CommandConsumer() {
  Close();
}

Status CommandConsumer::Open(const KafkaEndpoint& endpoint, const std::string& group, const std::string& topic) {
  WG_RETURN_IF_ERROR(NewConsumer(endpoint,
                                 {{"group.id", group},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.auto.commit", "true"},
                                  {"auto.commit.interval.ms", "1000"},
                                  {"auto.offset.reset", "earliest"},
                                  {"enable.partition.eof", "false"},
                                  {"fetch.wait.max.ms", "100"}},
                                 OnRebalance, &impl_->rk));
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::IOError(std::string("subscribe ") + topic + ": " + rd_kafka_err2str(err));
  }
  return Status::OK();
}

bool CommandConsumer::Poll(int timeout_ms, KafkaRecord* out) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, timeout_ms);
  if (m == nullptr) return false;
  const bool ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (ok) {
    *out = ToRecord(m);
  } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    spdlog::warn("worker: commands consumer: {}", rd_kafka_message_errstr(m));
  }
  rd_kafka_message_destroy(m);
  return ok;
}

Status CommandConsumer::Store(const KafkaRecord& record) {
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, record.topic.c_str(), record.partition)->offset = record.offset + 1;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(impl_->rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  // Not assigned any more (revoked meanwhile): the next owner redelivers,
  // and the applied table makes the redelivery harmless.
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(std::string("store offset: ") + rd_kafka_err2str(err));
  }
  return Status::OK();
}

void CommandConsumer::Close() {
  if (impl_->rk == nullptr) return;
  rd_kafka_commit(impl_->rk, nullptr, /*async=*/0);
  rd_kafka_consumer_close(impl_->rk);
  rd_kafka_destroy(impl_->rk);
  impl_->rk = nullptr;
}

struct TopicFollower::Impl {
  rd_kafka_t* rk = nullptr;
  std::vector<std::string> topics;
  std::map<std::pair<std::string, int32_t>, int64_t> next;    // partition -> next offset to read
  std::map<std::pair<std::string, int32_t>, int64_t> target;  // CaughtUp's high watermarks
  bool target_fresh = true;                                   // ... asked of the brokers
  std::string target_topic;                                   // ... of this topic ("" all)
  Clock::time_point last_refresh{};

  ~Impl() {
    if (rk == nullptr) return;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }

  // Assigns every partition the brokers know of, keeping positions.
  void Refresh() {
    last_refresh = Clock::now();
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    bool grew = false;
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      if (std::find(topics.begin(), topics.end(), t.topic) == topics.end()) continue;
      for (int p = 0; p < t.partition_cnt; ++p) {
        grew |= next.emplace(std::make_pair(std::string(t.topic), p), RD_KAFKA_OFFSET_BEGINNING).second;
      }
    }
    rd_kafka_metadata_destroy(md);
    if (!grew) return;
    rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const auto& [tp, offset] : next) {
      rd_kafka_topic_partition_list_add(parts, tp.first.c_str(), tp.second)->offset = offset;
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
  }
};

TopicFollower::TopicFollower() : impl_(std::make_unique<Impl>()) {}
TopicFollower::~TopicFollower() = default;

Status TopicFollower::Open(const KafkaEndpoint& endpoint, const std::vector<std::string>& topics) {
  // Partitions are assigned explicitly: the group.id is never joined or committed.
  WG_RETURN_IF_ERROR(NewConsumer(endpoint,
                                 {{"group.id", "walguard-worker-follower"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.partition.eof", "false"},
                                  {"fetch.wait.max.ms", "100"}},
                                 nullptr, &impl_->rk));
  impl_->topics = topics;
  impl_->Refresh();
  return Status::OK();
}

void TopicFollower::Poll(int timeout_ms, size_t max, std::vector<KafkaRecord>* out) {
  if (Clock::now() - impl_->last_refresh > std::chrono::seconds(2)) impl_->Refresh();
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (size_t n = 0; n < max; ++n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, static_cast<int>(std::max<int64_t>(left, 0)));
    if (m == nullptr) return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaRecord r = ToRecord(m);
      impl_->next[{r.topic, r.partition}] = r.offset + 1;
      out->push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
}

bool TopicFollower::CaughtUp(const std::string& topic, bool fresh) {
  if (impl_->target_fresh != fresh || impl_->target_topic != topic) impl_->target.clear();
  impl_->target_fresh = fresh;
  impl_->target_topic = topic;
  if (impl_->target.empty()) {
    if (impl_->next.empty()) impl_->Refresh();
    for (const auto& [tp, offset] : impl_->next) {
      if (!topic.empty() && tp.first != topic) continue;
      int64_t low = 0, high = 0;
      const rd_kafka_resp_err_t err =
          fresh ? rd_kafka_query_watermark_offsets(impl_->rk, tp.first.c_str(), tp.second, &low, &high, 2000)
                : rd_kafka_get_watermark_offsets(impl_->rk, tp.first.c_str(), tp.second, &low, &high);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) return false;
      impl_->target[tp] = high;
    }
  }
  for (const auto& [tp, high] : impl_->target) {
    const int64_t at = impl_->next[tp];
    if (high > 0 && at < high) return false;
  }
  impl_->target.clear();
  return true;
}

Status Publisher::Open(const KafkaEndpoint& endpoint) {
  return sink_.Open({endpoint.brokers, endpoint.properties});
}

Status Publisher::Send(const std::string& topic, const std::string& key, const std::string& payload, uint64_t* seq) {
  *seq = next_seq_++;
  SinkMessage m{*seq, topic, key, payload};
  for (int i = 0; i < 1000; ++i) {  // a full local queue drains as deliveries are served
    Status s = sink_.Send(m);
    if (!s.IsUnavailable()) return s;
    Serve();
  }
  return Status::Unavailable("kafka producer queue stays full");
}

void Publisher::Serve() {
  Status s = sink_.Poll(10, &delivered_);
  if (!s.ok()) spdlog::warn("worker: producer: {}", s.ToString());
  if (delivered_.size() > 100'000) delivered_.erase(delivered_.begin(), delivered_.begin() + 50'000);
}

Status Publisher::WaitDelivered(uint64_t seq, int timeout_ms, const std::atomic<bool>* stop) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::find(delivered_.begin(), delivered_.end(), seq) == delivered_.end()) {
    if (Clock::now() >= deadline || (stop != nullptr && stop->load())) {
      return Status::Unavailable("message not acknowledged by the brokers");
    }
    WG_RETURN_IF_ERROR(sink_.Poll(50, &delivered_));
  }
  return Status::OK();
}

}  // namespace walguard

#include "sinks/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

namespace walguard {

namespace {

// Values of these properties must never reach a Status message or a log:
// librdkafka's error strings quote the rejected value verbatim.
bool IsSensitiveProperty(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view marker : {"password", "secret", "sasl.oauthbearer.config", "ssl.key.pem"}) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return false;
}

Status SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) == RD_KAFKA_CONF_OK) {
    return Status::OK();
  }
  if (IsSensitiveProperty(name)) {
    return Status::InvalidArgument("kafka property \"" + name + "\": rejected by librdkafka (value not shown)");
  }
  return Status::InvalidArgument("kafka property \"" + name + "\": " + errstr);
}

}  // namespace

struct KafkaSink::Impl {
  rd_kafka_t* rk = nullptr;
  // Handles of KafkaSinkOptions::topics, held for the producer's life: a
  // new handle makes librdkafka look the topic's leader up at once.
  std::vector<rd_kafka_topic_t*> warm_topics;

  // Filled by the callbacks below. librdkafka only invokes them from
  // rd_kafka_poll/rd_kafka_flush on the caller's thread, so no lock is needed.
  std::vector<uint64_t> acked;
  std::string delivery_failure;  // first non-fatal failure since the last Poll
  std::string last_error;        // from the error callback, for context

  ~Impl() {
    if (rk == nullptr) return;
    // The outbox still holds whatever is unacknowledged and will re-send it,
    // so drop it here instead of letting rd_kafka_destroy wait on a broker
    // that may never come back (message.timeout.ms=0 means forever).
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk, 0);  // serve the purge reports so nothing is left queued
    for (rd_kafka_topic_t* rkt : warm_topics) rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
  }

  static void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      impl->acked.push_back(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(msg->_private)));
      return;
    }
    // Purged messages (shutdown) are the outbox's to re-send; not a failure.
    if (msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      return;
    }
    // Fatal errors are picked up through rd_kafka_fatal_error() in Poll.
    if (impl->delivery_failure.empty()) {
      impl->delivery_failure = std::string(rd_kafka_topic_name(msg->rkt)) + ": " + rd_kafka_err2str(msg->err);
    }
  }

  static void OnError(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* impl = static_cast<Impl*>(opaque);
    impl->last_error = std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))) + ": " + reason;
  }

  Status FatalStatus() const {
    char errstr[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk, errstr, sizeof(errstr));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
    return Status::Fatal(std::string("kafka producer: ") + rd_kafka_err2name(err) + ": " + errstr);
  }

  // Hands over what the callbacks collected and reports, in order of
  // severity, a fatal producer error or a (one-shot) delivery failure.
  Status Collect(std::vector<uint64_t>* delivered) {
    delivered->insert(delivered->end(), acked.begin(), acked.end());
    acked.clear();
    WG_RETURN_IF_ERROR(FatalStatus());
    if (!delivery_failure.empty()) {
      std::string failure = std::move(delivery_failure);
      delivery_failure.clear();
      return Status::Unavailable("delivery failed: " + failure);
    }
    return Status::OK();
  }
};

KafkaSink::KafkaSink() : impl_(std::make_unique<Impl>()) {}
KafkaSink::~KafkaSink() = default;

Status KafkaSink::Open(const KafkaSinkOptions& options) {
  if (impl_->rk != nullptr) return Status::InvalidArgument("kafka sink: already open");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Delivery guarantees: the brokers dedupe retries and keep per-partition
  // order; acks=all so an acknowledged message survives a leader loss.
  const std::pair<const char*, std::string> defaults[] = {
      {"bootstrap.servers", options.brokers},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", "0"},  // never give up: the outbox owns delivery
      {"linger.ms", "5"},
  };
  Status s;
  for (const auto& [name, value] : defaults) {
    s = SetProperty(conf, name, value);
    if (!s.ok()) break;
  }
  for (auto it = options.properties.begin(); s.ok() && it != options.properties.end(); ++it) {
    s = SetProperty(conf, it->first, it->second);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Impl::OnDelivery);
  rd_kafka_conf_set_error_cb(conf, &Impl::OnError);

  char errstr[512];
  // On success rd_kafka_new takes ownership of conf; on failure we keep it.
  impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (impl_->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("kafka producer: ") + errstr);
  }
  for (const std::string& topic : options.topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
    // Only a warm-up: a topic that cannot be looked up now is looked up
    // again by its first message, as without it.
    if (rkt != nullptr) impl_->warm_topics.push_back(rkt);
  }
  return Status::OK();
}

Status KafkaSink::Send(const SinkMessage& message) {
  if (impl_->rk == nullptr) return Status::InvalidArgument("kafka sink: not open");
  rd_kafka_resp_err_t err = rd_kafka_producev(
      impl_->rk, RD_KAFKA_V_TOPIC(message.topic.c_str()), RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(message.payload.data()), message.payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      // librdkafka carries one void* per message to its delivery report; the
      // outbox seq travels in it by value, never dereferenced.
      RD_KAFKA_V_OPAQUE(
          reinterpret_cast<void*>(static_cast<uintptr_t>(message.seq))),  // NOLINT(performance-no-int-to-ptr)
      RD_KAFKA_V_END);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::OK();
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Status::Unavailable("kafka producer queue full");
    case RD_KAFKA_RESP_ERR__FATAL:
      return impl_->FatalStatus();
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
      // Retrying cannot help: the message has to change or the limit has to
      // be raised (message.max.bytes).
      return Status::InvalidArgument("kafka message seq " + std::to_string(message.seq) + " to " + message.topic +
                                     ": " + rd_kafka_err2str(err));
    default:
      return Status::Unavailable("kafka produce to " + message.topic + ": " + rd_kafka_err2str(err));
  }
}

Status KafkaSink::Poll(int timeout_ms, std::vector<uint64_t>* delivered) {
  if (impl_->rk == nullptr) return Status::InvalidArgument("kafka sink: not open");
  rd_kafka_poll(impl_->rk, timeout_ms);
  return impl_->Collect(delivered);
}

int64_t KafkaSink::in_flight() const {
  return impl_->rk == nullptr ? 0 : rd_kafka_outq_len(impl_->rk);
}

Status KafkaSink::Flush(int timeout_ms, std::vector<uint64_t>* delivered) {
  if (impl_->rk == nullptr) return Status::InvalidArgument("kafka sink: not open");
  rd_kafka_resp_err_t err = rd_kafka_flush(impl_->rk, timeout_ms);
  WG_RETURN_IF_ERROR(impl_->Collect(delivered));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    std::string msg = "kafka flush timed out with " + std::to_string(in_flight()) + " in flight";
    if (!impl_->last_error.empty()) msg += " (last error: " + impl_->last_error + ")";
    return Status::Unavailable(msg);
  }
  return Status::OK();
}

}  // namespace walguard

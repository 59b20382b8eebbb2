#include "sinks/embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace walguard {

struct EmbeddedBroker::Impl {
  // The mock cluster needs a client handle for its bookkeeping (config,
  // logging); the handle itself never produces anything. The cluster runs
  // its own thread, so nobody has to poll `rk` for it to serve requests.
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* mcluster = nullptr;
  int brokers = 0;

  ~Impl() {
    // The cluster references rk, so it has to go first.
    if (mcluster != nullptr) rd_kafka_mock_cluster_destroy(mcluster);
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

EmbeddedBroker::EmbeddedBroker() : impl_(std::make_unique<Impl>()) {}
EmbeddedBroker::~EmbeddedBroker() = default;

Status EmbeddedBroker::Start(const EmbeddedBrokerOptions& options) {
  if (impl_->rk != nullptr) return Status::InvalidArgument("embedded broker: already started");
  if (options.brokers < 1 || options.partitions < 1) {
    return Status::InvalidArgument("embedded broker: brokers and partitions must be >= 1");
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  // The hosting handle has no bootstrap.servers of its own; keep it from
  // logging about that and about connections it never makes.
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("embedded broker: ") + errstr);
  }
  impl_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (impl_->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::IOError(std::string("embedded broker: ") + errstr);
  }
  impl_->mcluster = rd_kafka_mock_cluster_new(impl_->rk, options.brokers);
  if (impl_->mcluster == nullptr) {
    return Status::IOError("embedded broker: could not create the mock cluster (listen failed?)");
  }
  impl_->brokers = options.brokers;
  // Replication factor 1 so every partition lives on one broker only; the
  // mock has no real replication anyway.
  for (const std::string& topic : options.topics) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(impl_->mcluster, topic.c_str(), options.partitions, 1);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument("embedded broker: create topic " + topic + ": " + rd_kafka_err2str(err));
    }
  }
  return Status::OK();
}

std::string EmbeddedBroker::bootstrap_servers() const {
  if (impl_->mcluster == nullptr) return "";
  return rd_kafka_mock_cluster_bootstraps(impl_->mcluster);
}

Status EmbeddedBroker::SetDown(bool down) {
  if (impl_->mcluster == nullptr) return Status::InvalidArgument("embedded broker: not started");
  // Broker ids run from 1 to `brokers`; toggled one by one so an error
  // names the broker.
  for (int32_t id = 1; id <= impl_->brokers; ++id) {
    rd_kafka_resp_err_t err =
        down ? rd_kafka_mock_broker_set_down(impl_->mcluster, id) : rd_kafka_mock_broker_set_up(impl_->mcluster, id);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::IOError("embedded broker: set broker " + std::to_string(id) + (down ? " down: " : " up: ") +
                             rd_kafka_err2str(err));
    }
  }
  return Status::OK();
}

}  // namespace walguard

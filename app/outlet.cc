#include "app/outlet.h"

#include <spdlog/spdlog.h>

namespace walguard {

namespace {
// Outbox entries loaded per read on start.
constexpr size_t kReplayChunk = 4096;
}  // namespace

Status Outlet::Open() {
  if (config_.sink == "jsonl") {
    jsonl_ = std::make_unique<JsonlSink>();
    WG_RETURN_IF_ERROR(jsonl_->Open(config_.jsonl_path));
  } else {
    kafka_ = std::make_unique<KafkaSink>();
    KafkaSinkOptions options;
    options.brokers = config_.kafka.brokers;
    options.properties = config_.kafka.properties;
    options.topics = {config_.kafka.alerts_topic, config_.kafka.commands_topic};
    WG_RETURN_IF_ERROR(kafka_->Open(options));
  }
  WG_RETURN_IF_ERROR(alert_push_.Open(config_, store_));
  uint64_t after = 0;
  size_t replayed = 0;
  for (;;) {
    std::vector<OutboxEntry> chunk;
    WG_RETURN_IF_ERROR(store_->ReadOutbox(after, kReplayChunk, &chunk));
    if (chunk.empty()) break;
    after = chunk.back().seq;
    replayed += chunk.size();
    for (OutboxEntry& e : chunk) {
      alert_push_.Observe(e);
      queue_.push_back(std::move(e));
    }
  }
  if (replayed > 0) spdlog::info("outbox: re-sending {} undelivered message(s) from before the last stop", replayed);
  return SendQueued();
}

Status Outlet::Publish(std::vector<OutboxEntry>&& entries) {
  for (OutboxEntry& e : entries) {
    alert_push_.Observe(e);
    queue_.push_back(std::move(e));
  }
  return SendQueued();
}

std::string Outlet::TopicName(Topic topic) const {
  switch (topic) {
    case Topic::kAlerts:
      return config_.kafka.alerts_topic;
    case Topic::kCommands:
      return config_.kafka.commands_topic;
    case Topic::kDeadLetter:
      return config_.kafka.deadletter_topic;
  }
  return config_.kafka.deadletter_topic;
}

Status Outlet::SendQueued() {
  std::vector<uint64_t> delivered;
  while (!queue_.empty()) {
    const OutboxEntry& e = queue_.front();
    SinkMessage m{e.seq, TopicName(e.topic), e.key, e.payload};
    if (jsonl_) {
      WG_RETURN_IF_ERROR(jsonl_->Send(m, &delivered));
    } else {
      Status s = kafka_->Send(m);
      if (s.IsUnavailable()) break;  // local queue full: retry after the next poll
      WG_RETURN_IF_ERROR(s);
    }
    stats_.OnSent(e);
    queue_.pop_front();
  }
  return Acknowledge(&delivered);
}

Status Outlet::Acknowledge(std::vector<uint64_t>* delivered) {
  if (delivered->empty()) return Status::OK();
  delivered_total_ += delivered->size();
  stats_.OnDelivered(*delivered, WallClockNow());
  return store_->DeleteOutbox(*delivered);
}

Status Outlet::Poll(int timeout_ms) {
  if (kafka_) {
    std::vector<uint64_t> delivered;
    Status s = kafka_->Poll(timeout_ms, &delivered);
    if (s.IsFatal()) return s;
    if (!s.ok()) spdlog::warn("kafka: {}", s.ToString());
    WG_RETURN_IF_ERROR(Acknowledge(&delivered));
  }
  return SendQueued();
}

Status Outlet::Drain(int timeout_ms) {
  WG_RETURN_IF_ERROR(SendQueued());
  if (!kafka_) return Status::OK();
  std::vector<uint64_t> delivered;
  Status s = kafka_->Flush(timeout_ms, &delivered);
  WG_RETURN_IF_ERROR(Acknowledge(&delivered));
  if (!queue_.empty() || kafka_->in_flight() > 0) {
    spdlog::warn(
        "kafka: {} message(s) not yet delivered at stop; they stay in the outbox and are sent on the next start",
        queue_.size() + static_cast<size_t>(kafka_->in_flight()));
  }
  return s;
}

}  // namespace walguard

// Outlet: moves outbox entries to the configured sink (Kafka or JSONL) and
// deletes them from the outbox once the sink confirms delivery.
//
// On start it re-sends everything still in the outbox (a crash may have cut
// delivery short; consumers see the same alert_id again, never a new one).
//
// With Alertmanager configured, every alert it queues is also copied there
// (app/alert_push.h), off the delivery path: Kafka stays the source of truth.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "app/alert_push.h"
#include "app/delivery_stats.h"
#include "config/config.h"
#include "sinks/jsonl_sink.h"
#include "sinks/kafka_sink.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

class Outlet {
 public:
  Outlet(const Config& config, StateStore* store) : config_(config), store_(store) {}

  Status Open();
  // Queues freshly committed entries for delivery.
  Status Publish(std::vector<OutboxEntry>&& entries);
  // Sends what is queued, serves delivery reports, deletes delivered entries.
  Status Poll(int timeout_ms);
  // Waits up to timeout_ms for everything queued and in flight.
  Status Drain(int timeout_ms);

  uint64_t delivered_total() const { return delivered_total_; }
  size_t queued() const { return queue_.size(); }
  // What the sink confirmed, by topic and alert type (/metrics).
  const DeliveryStats& delivery_stats() const { return stats_; }

 private:
  Status SendQueued();
  Status Acknowledge(std::vector<uint64_t>* delivered);
  std::string TopicName(Topic topic) const;

  const Config& config_;
  StateStore* store_;
  std::unique_ptr<KafkaSink> kafka_;
  std::unique_ptr<JsonlSink> jsonl_;
  std::deque<OutboxEntry> queue_;  // committed, not yet handed to the sink
  AlertPush alert_push_;
  uint64_t delivered_total_ = 0;
  DeliveryStats stats_;
};

}  // namespace walguard

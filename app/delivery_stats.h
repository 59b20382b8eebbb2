// DeliveryStats: what the sink confirmed, for /metrics and the status page:
// alerts fired and resolved by type, the commit-to-publish latency (the
// source commit_time of an alert to the sink's delivery report), and since
// when each alert this process delivered has been firing.
//
// The Outlet feeds it: OnSent when an outbox entry is handed to the sink,
// OnDelivered with the seqs the delivery report confirms. Alerts carry
// their `commit_time` and `state` as top-level fields written by
// processors/alerts.cc (JsonWriter, no spaces, commit_time before details),
// so the first occurrence of each is the alert's own; commands and dead
// letters are counted by topic only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ops/metrics_registry.h"
#include "state/state_store.h"
#include "util/time.h"

namespace walguard {

// Latency buckets in seconds: from a group commit's tens of milliseconds to
// a sink outage's minutes.
std::vector<double> CommitToPublishBuckets();

struct DeliveryFigures {
  std::map<std::string, uint64_t> fired_by_type;
  std::map<std::string, uint64_t> resolved_by_type;
  std::map<std::string, uint64_t> delivered_by_topic;  // "alerts", "commands", "deadletter"
  Histogram commit_to_publish{CommitToPublishBuckets()};
  // Fingerprint -> commit_time of the firing, for the alerts delivered as
  // firing by this process and not yet resolved.
  std::map<std::string, Micros> firing_since;
};

class DeliveryStats {
 public:
  void OnSent(const OutboxEntry& entry);
  void OnDelivered(const std::vector<uint64_t>& seqs, Micros now);
  const DeliveryFigures& figures() const { return figures_; }

 private:
  struct InFlight {
    Topic topic = Topic::kAlerts;
    std::string fingerprint;  // alerts only
    bool firing = false;
    Micros commit_time = 0;  // 0: not an alert, or none
  };
  std::unordered_map<uint64_t, InFlight> in_flight_;  // by outbox seq; bounded by the outbox
  DeliveryFigures figures_;
};

}  // namespace walguard

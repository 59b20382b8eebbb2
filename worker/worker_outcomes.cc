// What the Worker (worker/worker_internal.h) tells others: outcomes and
// dead letters, delivered before a command's offset is stored; escalation
// alerts for fixes that did not help or were refused; its figures for
// `walguard worker --http`.
#include <spdlog/spdlog.h>

#include "worker/worker_internal.h"

namespace walguard::worker_internal {

namespace {

constexpr int kDeliveryTimeoutMs = 60'000;

}  // namespace

bool Worker::Publish(const std::string& topic, const std::string& key, const std::string& payload) {
  uint64_t seq = 0;
  Status s = publisher_.Send(topic, key, payload, &seq);
  while (s.ok() || s.IsUnavailable()) {
    if (s.ok()) s = publisher_.WaitDelivered(seq, kDeliveryTimeoutMs, stop_);
    if (s.ok()) return true;
    if (stop_->load()) return false;
    spdlog::warn("worker {}: {} not delivered yet: {}", id_, topic, s.message());
    s = Status::OK();
  }
  // The producer cannot go on (a fatal error): stop before a later
  // command's offset covers this one's.
  fatal_ = Status::Fatal("publishing to " + topic + ": " + s.message());
  return false;
}

bool Worker::PublishOutcome(const std::string& key, const Outcome& o) {
  if (!Publish(config_.kafka.outcomes_topic, key, OutcomeJson(o))) return false;
  ++figures_.outcomes[{o.type, OutcomeStatusName(o.status)}];
  return true;
}

void Worker::PublishFigures() {
  if (options_.board == nullptr) return;
  figures_.started = true;
  figures_.assigned_partitions = consumer_.AssignedPartitions();
  figures_.approvals.clear();
  for (const auto& [id, p] : pending_) {
    figures_.approvals.push_back(WaitingApproval{id, p.command.type, p.report_json, p.since});
  }
  options_.board->Publish(figures_);
}

void Worker::CheckEscalations() {
  const Micros now = WallClockNow();
  for (auto it = watched_.begin(); it != watched_.end();) {
    Watched& w = it->second;
    const AlertMessage* a = book_.Find(w.original.alert_id);
    const bool firing = a != nullptr && a->firing();
    if (!firing) {
      if (w.published) {
        const std::string msg = EscalationAlertJson(w.command, w.original, false, "the original alert resolved", now);
        uint64_t seq = 0;
        if (!publisher_.Send(config_.kafka.alerts_topic, EscalationIds(w.command, w.original).fingerprint, msg, &seq)
                 .ok()) {
          ++it;
          continue;
        }
      }
      it = watched_.erase(it);
      continue;
    }
    if (!w.published && (w.refused || now - w.since >= config_.worker.escalate_after_s * kMicrosPerSecond)) {
      const char* why = w.refused ? "the dry run exceeded the alert's figures; the fix was refused"
                                  : "the alert still fires after the fix was applied";
      uint64_t seq = 0;
      w.published = publisher_
                        .Send(config_.kafka.alerts_topic, EscalationIds(w.command, w.original).fingerprint,
                              EscalationAlertJson(w.command, w.original, true, why, now), &seq)
                        .ok();
    }
    ++it;
  }
  publisher_.Serve();
}

}  // namespace walguard::worker_internal

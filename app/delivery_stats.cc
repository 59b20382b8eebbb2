#include "app/delivery_stats.h"

#include <string_view>

namespace walguard {

namespace {

// The text of the first top-level string field `name` in our own JSON.
std::string_view FieldText(std::string_view json, std::string_view name) {
  const std::string needle = "\"" + std::string(name) + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string_view::npos) return {};
  const size_t begin = at + needle.size();
  const size_t end = json.find('"', begin);
  return end == std::string_view::npos ? std::string_view() : json.substr(begin, end - begin);
}

std::string_view TopicLabel(Topic topic) {
  switch (topic) {
    case Topic::kAlerts:
      return "alerts";
    case Topic::kCommands:
      return "commands";
    case Topic::kDeadLetter:
      return "deadletter";
  }
  return "deadletter";
}

// "<type>:<entity kind>:<entity id>" -> type.
std::string TypeOf(std::string_view fingerprint) {
  return std::string(fingerprint.substr(0, fingerprint.find(':')));
}

}  // namespace

std::vector<double> CommitToPublishBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}

void DeliveryStats::OnSent(const OutboxEntry& entry) {
  InFlight f;
  f.topic = entry.topic;
  if (entry.topic == Topic::kAlerts) {
    f.fingerprint = entry.key;
    f.firing = FieldText(entry.payload, "state") == "firing";
    Micros commit_time = 0;
    if (ParseTimestamp(FieldText(entry.payload, "commit_time"), &commit_time)) f.commit_time = commit_time;
  }
  in_flight_[entry.seq] = std::move(f);
}

void DeliveryStats::OnDelivered(const std::vector<uint64_t>& seqs, Micros now) {
  for (uint64_t seq : seqs) {
    auto it = in_flight_.find(seq);
    if (it == in_flight_.end()) continue;
    const InFlight& f = it->second;
    ++figures_.delivered_by_topic[std::string(TopicLabel(f.topic))];
    if (f.topic == Topic::kAlerts) {
      if (f.firing) {
        ++figures_.fired_by_type[TypeOf(f.fingerprint)];
        figures_.firing_since.emplace(f.fingerprint, f.commit_time != 0 ? f.commit_time : now);
      } else {
        ++figures_.resolved_by_type[TypeOf(f.fingerprint)];
        figures_.firing_since.erase(f.fingerprint);
      }
      if (f.commit_time != 0) {
        figures_.commit_to_publish.Observe(static_cast<double>(now - f.commit_time) / kMicrosPerSecond);
      }
    }
    in_flight_.erase(it);
  }
}

}  // namespace walguard

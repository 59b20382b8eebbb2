// AlertBook: the latest message of every alert the worker has read from
// walguard.alerts, by alert_id. Kafka keeps one alert's messages in order
// (same key, same partition), so the last one read is its current state.
// Grows with the alerts topic; a restart rebuilds it from the beginning.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "worker/messages.h"

namespace walguard {

class AlertBook {
 public:
  void Apply(const AlertMessage& alert) { by_id_[alert.alert_id] = alert; }
  // nullptr when the alert has not been read (yet).
  const AlertMessage* Find(std::string_view alert_id) const {
    auto it = by_id_.find(std::string(alert_id));
    return it == by_id_.end() ? nullptr : &it->second;
  }
  // Every alert whose last message says firing.
  std::vector<const AlertMessage*> Firing() const {
    std::vector<const AlertMessage*> out;
    for (const auto& [id, alert] : by_id_) {
      if (alert.firing()) out.push_back(&alert);
    }
    return out;
  }
  size_t size() const { return by_id_.size(); }

 private:
  std::unordered_map<std::string, AlertMessage> by_id_;
};

}  // namespace walguard

#include "workload/shared.h"

#include <algorithm>

namespace walguard::workload {

namespace {
constexpr size_t kRecentEvents = 6;
constexpr size_t kRecentUnits = 12;

template <typename T>
const T& PickRecent(Rng* rng, const std::vector<T>& items, size_t recent) {
  const size_t n = std::min(items.size(), recent);
  return items[items.size() - n + rng->Uniform(n)];
}
}  // namespace

void Catalog::AddEvent(EventInfo event) {
  std::lock_guard<std::mutex> l(mu_);
  events_.push_back(std::move(event));
}

void Catalog::AddUnit(std::string unit_id) {
  std::lock_guard<std::mutex> l(mu_);
  units_.push_back(std::move(unit_id));
}

bool Catalog::PickEvent(Rng* rng, EventInfo* out) const {
  std::lock_guard<std::mutex> l(mu_);
  if (events_.empty()) return false;
  *out = PickRecent(rng, events_, kRecentEvents);
  return !out->tiers.empty();
}

bool Catalog::PickTier(Rng* rng, TierInfo* out) const {
  EventInfo event;
  if (!PickEvent(rng, &event)) return false;
  *out = event.tiers[rng->Uniform(event.tiers.size())];
  return true;
}

bool Catalog::PickUnit(Rng* rng, std::string* out) const {
  std::lock_guard<std::mutex> l(mu_);
  if (units_.empty()) return false;
  *out = PickRecent(rng, units_, kRecentUnits);
  return true;
}

bool PauseGate::Enter() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return !paused_ || stopping_; });
  if (stopping_) return false;
  ++inside_;
  return true;
}

void PauseGate::Leave() {
  std::lock_guard<std::mutex> l(mu_);
  --inside_;
  cv_.notify_all();
}

void PauseGate::Pause() {
  std::unique_lock<std::mutex> l(mu_);
  paused_ = true;
  cv_.wait(l, [this] { return inside_ == 0; });
}

void PauseGate::Resume() {
  std::lock_guard<std::mutex> l(mu_);
  paused_ = false;
  cv_.notify_all();
}

void PauseGate::Stop() {
  std::lock_guard<std::mutex> l(mu_);
  stopping_ = true;
  cv_.notify_all();
}

}  // namespace walguard::workload

#include "app/backoff.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace walguard {

void Backoff::Sleep() {
  // Sliced, so a stop request is seen within one slice.
  constexpr auto kSlice = std::chrono::milliseconds(50);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(next_ms_);
  while (!stop_->load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(kSlice);
  next_ms_ = std::min(next_ms_ * 2, max_ms_);
}

}  // namespace walguard

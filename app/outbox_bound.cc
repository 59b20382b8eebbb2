#include "app/outbox_bound.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace walguard {

uint64_t ResumeAt(uint64_t bound) {
  return bound - std::max<uint64_t>(1, bound / 10);
}

bool OutboxBound::Update(uint64_t count, Lsn durable, Micros now) {
  const uint64_t resume_at = ResumeAt(bound_);
  if (!paused_ && count >= bound_) {
    paused_ = true;
    paused_since_ = now;
    spdlog::warn(
        "outbox: {} undelivered message(s) reached outbox_max_messages={}; the sink is not confirming "
        "delivery (Kafka down?). Stopped reading the WAL at {} until the outbox drains to {}",
        count, bound_, FormatLsn(durable), resume_at);
  } else if (paused_ && count <= resume_at) {
    paused_ = false;
    spdlog::info("outbox: drained to {} message(s) after {:.1f} s; reading the WAL again", count,
                 static_cast<double>(now - paused_since_) / kMicrosPerSecond);
  }
  return paused_;
}

}  // namespace walguard

// OutboxBound: backpressure from the sink. When undelivered messages reach
// outbox_max_messages the pipeline stops reading the WAL (the server buffers,
// then waits) and resumes once the sink has drained the outbox to 90 % of the
// bound (to 0 for a bound below 10), so a sink that confirms one message at
// a time does not toggle reading per message.
#pragma once

#include <cstdint>

#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

// The outbox count at which reading resumes.
uint64_t ResumeAt(uint64_t bound);

class OutboxBound {
 public:
  explicit OutboxBound(uint64_t bound) : bound_(bound) {}

  // count: undelivered messages, committed and staged. durable: the durable position
  // (for the log line). True while reading is paused.
  bool Update(uint64_t count, Lsn durable, Micros now);
  bool paused() const { return paused_; }
  uint64_t bound() const { return bound_; }

 private:
  const uint64_t bound_;
  bool paused_ = false;
  Micros paused_since_ = 0;
};

}  // namespace walguard

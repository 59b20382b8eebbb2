// DeadLetterLog: rows the engine could not apply are dead-lettered with their
// reason; the log says so too, at most once a second (a broken table can
// reject every row), with a count of the lines it held back.
#pragma once

#include <cstdint>
#include <vector>

#include "core/output.h"
#include "util/time.h"

namespace walguard {

class DeadLetterLog {
 public:
  // Logs the dead letters among out[from..]; returns how many there were.
  uint64_t Log(const std::vector<OutMessage>& out, size_t from, Micros now);

 private:
  Micros last_log_ = 0;
  uint64_t unlogged_ = 0;
};

}  // namespace walguard

#include "app/dead_letter_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string_view>

namespace walguard {

uint64_t DeadLetterLog::Log(const std::vector<OutMessage>& out, size_t from, Micros now) {
  uint64_t count = 0;
  for (size_t i = from; i < out.size(); ++i) {
    if (out[i].topic != Topic::kDeadLetter) continue;
    ++count;
    if (now - last_log_ < kMicrosPerSecond) {
      ++unlogged_;
      continue;
    }
    last_log_ = now;
    constexpr size_t kShown = 400;
    const std::string& payload = out[i].payload;
    spdlog::error("dead letter (sent to the dead-letter topic{}): {}{}",
                  unlogged_ > 0 ? fmt::format("; {} more since the last line", unlogged_) : "",
                  std::string_view(payload).substr(0, kShown), payload.size() > kShown ? "..." : "");
    unlogged_ = 0;
  }
  return count;
}

}  // namespace walguard

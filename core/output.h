// What the processors emit: serialized messages bound for a topic.
#pragma once

#include <cstdint>
#include <string>

namespace walguard {

// FROZEN (core/key_layout.h): stored in outbox entries.
enum class Topic : uint8_t { kAlerts = 0, kCommands = 1, kDeadLetter = 2 };

struct OutMessage {
  Topic topic = Topic::kAlerts;
  std::string key;      // fingerprint for alerts and commands
  std::string payload;  // one JSON object (docs/reference.md section 4)
};

}  // namespace walguard

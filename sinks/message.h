// An outgoing message as the sinks see it: already serialized, with the
// outbox sequence number that identifies it until delivery is confirmed.
#pragma once

#include <cstdint>
#include <string>

namespace walguard {

struct SinkMessage {
  uint64_t seq = 0;     // outbox sequence number, strictly increasing
  std::string topic;    // resolved topic name
  std::string key;      // the alert fingerprint; same key -> same partition, in order
  std::string payload;  // one JSON object
};

}  // namespace walguard

// Reading emitted messages back: a JSON value tree small enough to compare
// against (every scalar kept as text, numbers exactly as written), and the
// messages of a step with their parsed payloads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/output.h"

namespace walguard::rule_test {

struct Json {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  // kString: the unescaped value; kNumber: the raw token; kBool: "true"/"false".
  std::string text;
  std::vector<std::string> keys;  // kObject, in document order
  std::vector<Json> values;       // kObject values (parallel to keys) or kArray items

  bool is_object() const { return kind == Kind::kObject; }
  // nullptr when absent or not an object.
  const Json* Find(std::string_view key) const;
  // The text of a string/number/bool member; "" when absent or structured.
  std::string Str(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
};

// False (with *error set, *out null) on anything that is not one valid JSON
// document: malformed input, trailing garbage, invalid UTF-8, an object
// repeating a key, nesting deeper than 64.
bool ParseJson(std::string_view text, Json* out, std::string* error);

struct Message {
  Topic topic = Topic::kAlerts;
  std::string key;
  std::string payload;
  Json json;  // the parsed payload (kNull if it did not parse)

  // "firing stuck_holds:tier:<id>", "command cleanup_expired_ticket_holds
  // {event_id=<id>} <- stuck_holds:tier:<id>", "deadletter ticketing.x".
  std::string Summary() const;
};

std::string TopicName(Topic topic);

}  // namespace walguard::rule_test

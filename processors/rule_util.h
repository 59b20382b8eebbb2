// What a rule's predicate returns, and small builders for the JSON objects
// rules put in details and command args.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "util/json_writer.h"

namespace walguard {

// One rule's verdict on one entity: whether its condition holds, with the
// figures that decide it. The registry row supplies the rest (alerts.h).
struct Verdict {
  bool firing = false;
  std::string details;       // a JSON object
  std::string command_args;  // a JSON object, used when the rule has a command
};

// {"name":int,...}
inline std::string Figures(std::initializer_list<std::pair<const char*, int64_t>> figures) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [name, value] : figures) w.Field(name, value);
  w.EndObject();
  return out;
}

// {"name":"text",...}
inline std::string Texts(std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [name, value] : fields) w.Field(name, value);
  w.EndObject();
  return out;
}

inline std::string Args(const char* name, std::string_view value) {
  return Texts({{name, value}});
}

}  // namespace walguard

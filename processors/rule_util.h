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
  // A JSON object of fields this rule adds to its entity's context
  // (ContextOf in the facts headers); empty: none.
  std::string context;
  // The triggering row is older than the rule's lookback (CONTRACT 3.1):
  // the alert goes out as P4 with "historical": true and no command.
  bool historical = false;
};

// {"a":1} + {"b":2} -> {"a":1,"b":2}; either may be empty or "{}".
inline std::string MergeObjects(std::string_view base, std::string_view extra) {
  auto inner = [](std::string_view o) {
    if (o.size() < 2) return std::string_view();
    return o.substr(1, o.size() - 2);
  };
  std::string_view a = inner(base), b = inner(extra);
  std::string out = "{";
  out.append(a);
  if (!a.empty() && !b.empty()) out.push_back(',');
  out.append(b);
  out.push_back('}');
  return out;
}

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

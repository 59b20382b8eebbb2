#include "worker/json_fields.h"

#include <simdjson.h>

namespace walguard {

Status JsonFields::Parse(std::string_view json, JsonFields* out) {
  *out = JsonFields();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj) != simdjson::SUCCESS) {
    return Status::Corruption("not a JSON object: " + std::string(json.substr(0, 200)));
  }
  for (auto [key, value] : obj) {
    std::string k(key);
    out->raw_[k] = simdjson::minify(value);
    std::string_view s;
    int64_t i = 0;
    bool b = false;
    if (value.get_string().get(s) == simdjson::SUCCESS) out->strings_[k] = std::string(s);
    if (value.get_int64().get(i) == simdjson::SUCCESS) out->ints_[k] = i;
    if (value.get_bool().get(b) == simdjson::SUCCESS) out->bools_[k] = b;
  }
  return Status::OK();
}

std::string JsonFields::Str(std::string_view key) const {
  auto it = strings_.find(key);
  return it == strings_.end() ? "" : it->second;
}

std::optional<int64_t> JsonFields::Int(std::string_view key) const {
  auto it = ints_.find(key);
  if (it == ints_.end()) return std::nullopt;
  return it->second;
}

bool JsonFields::Bool(std::string_view key) const {
  auto it = bools_.find(key);
  return it != bools_.end() && it->second;
}

std::string JsonFields::Raw(std::string_view key, std::string_view fallback) const {
  auto it = raw_.find(key);
  return it == raw_.end() ? std::string(fallback) : it->second;
}

}  // namespace walguard

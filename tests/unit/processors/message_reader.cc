#include "tests/unit/processors/message_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <utility>

namespace walguard::rule_test {

namespace {

namespace od = simdjson::ondemand;

// Far deeper than any message; it bounds the recursion below.
constexpr int kMaxDepth = 64;

// raw_json_token() runs up to the next token, so it carries trailing whitespace.
std::string_view TrimToken(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r')) {
    t.remove_suffix(1);
  }
  return t;
}

// Copies an already validated document into a Json tree. On-Demand rather
// than DOM because it hands out each number as written ("12.50", not 12.5).
class TreeBuilder {
 public:
  // V is od::document (the root) or od::value: they answer the same calls.
  template <typename V>
  bool Read(V& v, int depth, Json* out) {
    if (depth > kMaxDepth) return Fail("nested too deep");
    od::json_type type{};
    if (auto err = v.type().get(type)) return Fail(err);
    switch (type) {
      case od::json_type::object: {
        od::object object;
        if (auto err = v.get_object().get(object)) return Fail(err);
        return ReadObject(object, depth, out);
      }
      case od::json_type::array: {
        od::array array;
        if (auto err = v.get_array().get(array)) return Fail(err);
        return ReadArray(array, depth, out);
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto err = v.get_string().get(s)) return Fail(err);
        out->kind = Json::Kind::kString;
        out->text.assign(s);
        return true;
      }
      case od::json_type::number: {
        std::string_view token;
        if (auto err = simdjson::simdjson_result<std::string_view>(v.raw_json_token()).get(token)) return Fail(err);
        out->kind = Json::Kind::kNumber;
        out->text.assign(TrimToken(token));
        return true;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto err = v.get_bool().get(b)) return Fail(err);
        out->kind = Json::Kind::kBool;
        out->text = b ? "true" : "false";
        return true;
      }
      case od::json_type::null:
        out->kind = Json::Kind::kNull;
        return true;
    }
    return Fail("unknown JSON type");
  }

  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }
  bool Fail(simdjson::error_code err) { return Fail(simdjson::error_message(err)); }

  bool ReadObject(od::object& object, int depth, Json* out) {
    out->kind = Json::Kind::kObject;
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      if (auto err = std::move(field_result).get(field)) return Fail(err);
      if (auto err = field.unescaped_key().get(key)) return Fail(err);
      // Valid JSON to simdjson, but a message repeating a key says two things at once.
      if (std::find(out->keys.begin(), out->keys.end(), key) != out->keys.end()) {
        return Fail("duplicate key " + std::string(key));
      }
      out->keys.emplace_back(key);
      if (!Read(field.value(), depth + 1, &out->values.emplace_back())) return false;
    }
    return true;
  }

  bool ReadArray(od::array& array, int depth, Json* out) {
    out->kind = Json::Kind::kArray;
    for (auto item_result : array) {
      od::value item;
      if (auto err = item_result.get(item)) return Fail(err);
      if (!Read(item, depth + 1, &out->values.emplace_back())) return false;
    }
    return true;
  }

  std::string error_;
};

}  // namespace

const Json* Json::Find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

std::string Json::Str(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr || v->kind == Kind::kObject || v->kind == Kind::kArray || v->kind == Kind::kNull) return "";
  return v->text;
}

bool ParseJson(std::string_view text, Json* out, std::string* error) {
  *out = Json();
  const simdjson::padded_string padded(text);
  // The DOM parser validates the whole document (grammar, escapes, numbers,
  // UTF-8, trailing content); On-Demand only checks what it is asked for.
  thread_local simdjson::dom::parser validator;
  if (auto err = validator.parse(padded).error()) {
    *error = simdjson::error_message(err);
    return false;
  }
  thread_local od::parser reader;
  od::document doc;
  if (auto err = reader.iterate(padded).get(doc)) {
    *error = simdjson::error_message(err);
    return false;
  }
  TreeBuilder builder;
  if (!builder.Read(doc, 0, out)) {
    *out = Json();
    *error = builder.error();
    return false;
  }
  return true;
}

std::string TopicName(Topic topic) {
  switch (topic) {
    case Topic::kAlerts:
      return "alerts";
    case Topic::kCommands:
      return "commands";
    case Topic::kDeadLetter:
      return "deadletter";
  }
  return "topic#" + std::to_string(static_cast<int>(topic));
}

std::string Message::Summary() const {
  switch (topic) {
    case Topic::kAlerts:
      return json.Str("state") + " " + json.Str("fingerprint");
    case Topic::kCommands: {
      std::string s = "command " + json.Str("type") + " {";
      if (const Json* args = json.Find("args"); args != nullptr && args->is_object()) {
        std::map<std::string, std::string> sorted;
        for (size_t i = 0; i < args->keys.size(); ++i) sorted[args->keys[i]] = args->values[i].text;
        bool first = true;
        for (const auto& [k, v] : sorted) {
          if (!first) s += ",";
          first = false;
          s += k + "=" + v;
        }
      }
      return s + "} <- " + key;
    }
    case Topic::kDeadLetter:
      return "deadletter " + key;
  }
  return TopicName(topic) + " " + key;
}

}  // namespace walguard::rule_test

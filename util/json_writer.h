// JsonWriter: builds one compact JSON object into a string, for the alert,
// command and dead-letter messages. Appends only; the caller keeps keys
// unique. No allocation beyond the output string's growth.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walguard {

// Appends `s` as a JSON string literal, quotes included.
void AppendJsonString(std::string* out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() {
    Separate();
    out_->push_back('{');
    first_ = true;
  }
  void EndObject() {
    out_->push_back('}');
    first_ = false;
  }

  JsonWriter& Key(std::string_view key) {
    Separate();
    AppendJsonString(out_, key);
    out_->push_back(':');
    first_ = true;  // the value that follows needs no comma
    return *this;
  }
  void String(std::string_view v) {
    Separate();
    AppendJsonString(out_, v);
  }
  void Int(int64_t v) {
    Separate();
    out_->append(std::to_string(v));
  }
  void Bool(bool v) {
    Separate();
    out_->append(v ? "true" : "false");
  }
  void Null() {
    Separate();
    out_->append("null");
  }
  // A value that is already valid JSON (a nested object, an exact decimal number).
  void Raw(std::string_view json) {
    Separate();
    out_->append(json);
  }

  void Field(std::string_view key, std::string_view v) { Key(key).String(v); }
  void Field(std::string_view key, const char* v) { Key(key).String(v); }
  void Field(std::string_view key, int64_t v) { Key(key).Int(v); }
  void Field(std::string_view key, bool v) { Key(key).Bool(v); }

 private:
  void Separate() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace walguard

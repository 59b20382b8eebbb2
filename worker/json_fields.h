// JsonFields: the top-level fields of one JSON object, for reading the
// messages the worker consumes (commands, alerts, outcomes, approvals) and
// the reports the SQL functions return. Small objects only: it copies.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace walguard {

class JsonFields {
 public:
  // Corruption when `json` is not one JSON object.
  static Status Parse(std::string_view json, JsonFields* out);

  bool Has(std::string_view key) const { return raw_.find(key) != raw_.end(); }
  // The value of a string field; "" when absent or not a string.
  std::string Str(std::string_view key) const;
  // An integer field (JSON number without fraction); nullopt otherwise.
  std::optional<int64_t> Int(std::string_view key) const;
  bool Bool(std::string_view key) const;
  // Any field as compact JSON text; `fallback` when absent.
  std::string Raw(std::string_view key, std::string_view fallback = "") const;
  // Every string-valued field (a command's args).
  const std::map<std::string, std::string, std::less<>>& strings() const { return strings_; }

 private:
  std::map<std::string, std::string, std::less<>> raw_;
  std::map<std::string, std::string, std::less<>> strings_;
  std::map<std::string, int64_t, std::less<>> ints_;
  std::map<std::string, bool, std::less<>> bools_;
};

}  // namespace walguard

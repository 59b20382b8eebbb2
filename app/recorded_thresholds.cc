#include "app/recorded_thresholds.h"

#include <charconv>

namespace walguard {

namespace {

const ThresholdDef* FindByName(std::string_view name) {
  for (const ThresholdDef& def : ThresholdDefs()) {
    if (ThresholdName(def) == name) return &def;
  }
  return nullptr;
}

Status ParseLine(std::string_view line, Thresholds* t) {
  const size_t eq = line.find(" = ");
  if (eq == std::string_view::npos) return Status::Corruption("recorded threshold line '" + std::string(line) + "'");
  const std::string_view name = line.substr(0, eq), value = line.substr(eq + 3);
  int64_t written = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), written);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Status::Corruption("recorded threshold " + std::string(name) + " = '" + std::string(value) + "'");
  }
  const ThresholdDef* def = FindByName(name);
  if (def == nullptr) return Status::OK();  // a later walguard's
  Status s = CheckThreshold(*def, written);
  if (!s.ok()) return Status::Corruption("recorded " + s.message());
  SetWrittenValue(*def, written, t);
  return Status::OK();
}

}  // namespace

std::string RecordThresholds(const Thresholds& thresholds) {
  std::string text;
  for (const ThresholdDef& def : ThresholdDefs()) {
    text += ThresholdName(def) + " = " + std::to_string(WrittenValue(def, thresholds)) + "\n";
  }
  return text;
}

Status ParseRecordedThresholds(std::string_view text, Thresholds* thresholds) {
  Thresholds t;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (!line.empty()) WG_RETURN_IF_ERROR(ParseLine(line, &t));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  *thresholds = t;
  return Status::OK();
}

}  // namespace walguard

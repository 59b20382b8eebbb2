#include "app/recorded_thresholds.h"

#include <cassert>
#include <charconv>
#include <string>
#include <vector>

#include "util/time_zone.h"

namespace walguard {

namespace {

// The settings that are not numbers (config/thresholds.h), named as the config file places them.
constexpr std::string_view kTimeZoneName = "business_timezone";
constexpr std::string_view kBenignCodesName = "benign_error_codes";
constexpr std::string_view kHistoricalName = "rules.alerts.historical_alerts";

const ThresholdDef* FindByName(std::string_view name) {
  for (const ThresholdDef& def : ThresholdDefs()) {
    if (ThresholdName(def) == name) return &def;
  }
  return nullptr;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Reads one Quote()d string off the front of *text; false when there is none.
bool TakeQuoted(std::string_view* text, std::string* out) {
  if (text->empty() || text->front() != '"') return false;
  out->clear();
  for (size_t i = 1; i < text->size(); ++i) {
    const char c = (*text)[i];
    if (c == '"') {
      text->remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') {
      if (++i == text->size()) return false;
      out->push_back((*text)[i]);
    } else {
      out->push_back(c);
    }
  }
  return false;
}

// `["a", "b"]`, `[]`.
bool ParseQuotedList(std::string_view text, std::vector<std::string>* out) {
  if (!text.starts_with('[') || !text.ends_with(']')) return false;
  text = text.substr(1, text.size() - 2);
  out->clear();
  while (!text.empty()) {
    if (!out->empty()) {
      if (!text.starts_with(", ")) return false;
      text.remove_prefix(2);
    }
    std::string item;
    if (!TakeQuoted(&text, &item)) return false;
    out->push_back(std::move(item));
  }
  return true;
}

Status Malformed(std::string_view name, std::string_view value) {
  return Status::Corruption("recorded threshold " + std::string(name) + " = '" + std::string(value) + "'");
}

Status ParseNumber(const ThresholdDef& def, std::string_view name, std::string_view value, Thresholds* t) {
  int64_t written = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), written);
  if (ec != std::errc() || ptr != value.data() + value.size()) return Malformed(name, value);
  Status s = CheckThreshold(def, written);
  if (!s.ok()) return Status::Corruption("recorded " + s.message());
  SetWrittenValue(def, written, t);
  return Status::OK();
}

Status ParseSetting(std::string_view name, std::string_view value, Thresholds* t) {
  std::string_view rest = value;
  std::string text;
  if (name == kBenignCodesName) {
    if (!ParseQuotedList(value, &t->benign_error_codes)) return Malformed(name, value);
    return Status::OK();
  }
  if (!TakeQuoted(&rest, &text) || !rest.empty()) return Malformed(name, value);
  if (name == kHistoricalName) {
    if (!ParseHistoricalAlerts(text, &t->historical_alerts)) return Malformed(name, value);
    return Status::OK();
  }
  assert(name == kTimeZoneName);
  TimeZone zone;
  Status s = LoadTimeZone(text, &zone);
  if (!s.ok()) return Status::InvalidArgument("recorded business_timezone: " + s.message());
  t->business_timezone = text;
  return Status::OK();
}

Status ParseLine(std::string_view line, Thresholds* t) {
  const size_t eq = line.find(" = ");
  if (eq == std::string_view::npos) return Status::Corruption("recorded threshold line '" + std::string(line) + "'");
  const std::string_view name = line.substr(0, eq), value = line.substr(eq + 3);
  if (const ThresholdDef* def = FindByName(name)) return ParseNumber(*def, name, value, t);
  if (name == kTimeZoneName || name == kBenignCodesName || name == kHistoricalName) {
    return ParseSetting(name, value, t);
  }
  return Status::OK();  // a later walguard's
}

}  // namespace

std::string RecordThresholds(const Thresholds& thresholds) {
  std::string text;
  for (const ThresholdDef& def : ThresholdDefs()) {
    text += ThresholdName(def) + " = " + std::to_string(WrittenValue(def, thresholds)) + "\n";
  }
  text += std::string(kTimeZoneName) + " = " + Quote(thresholds.business_timezone) + "\n";
  std::string codes;
  for (const std::string& code : thresholds.benign_error_codes) codes += (codes.empty() ? "" : ", ") + Quote(code);
  text += std::string(kBenignCodesName) + " = [" + codes + "]\n";
  text += std::string(kHistoricalName) + " = " + Quote(HistoricalAlertsName(thresholds.historical_alerts)) + "\n";
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

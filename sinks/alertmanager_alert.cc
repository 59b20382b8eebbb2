#include "sinks/alertmanager_alert.h"

#include <simdjson.h>

#include <algorithm>
#include <cassert>

#include "util/json_writer.h"

namespace walguard {

namespace {

std::string_view Find(const AmAlert::Pairs& pairs, std::string_view name) {
  for (const auto& [k, v] : pairs) {
    if (k == name) return v;
  }
  return {};
}

void SortByName(AmAlert::Pairs* pairs) {
  std::sort(pairs->begin(), pairs->end(), [](const auto& a, const auto& b) { return a.first < b.first; });
}

// A string member of `obj`; "" when absent or not a string.
std::string_view Str(const simdjson::dom::object& obj, std::string_view key) {
  std::string_view s;
  if (obj[key].get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

Status NotAlert(std::string_view payload, std::string_view why) {
  return Status::Corruption("not an alert message (" + std::string(why) + "): " + std::string(payload.substr(0, 200)));
}

void WritePairs(JsonWriter* w, std::string_view key, const AmAlert::Pairs& pairs) {
  w->Key(key).BeginObject();
  for (const auto& [k, v] : pairs) w->Field(k, v);
  w->EndObject();
}

// Every member of `obj` must be a string.
Status ReadPairs(simdjson::dom::object obj, AmAlert::Pairs* out) {
  for (auto [key, value] : obj) {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) return Status::Corruption("a label or annotation not a string");
    out->emplace_back(std::string(key), std::string(s));
  }
  SortByName(out);
  return Status::OK();
}

Status ReadTime(const simdjson::dom::object& obj, std::string_view key, Micros* out) {
  std::string_view s = Str(obj, key);
  if (s.empty()) return Status::OK();
  if (!ParseTimestamp(s, out)) return Status::Corruption(std::string(key) + " is not an RFC 3339 time");
  return Status::OK();
}

Status ReadOne(simdjson::dom::element element, AmAlert* a) {
  simdjson::dom::object obj;
  simdjson::dom::object labels;
  simdjson::dom::object annotations;
  if (element.get_object().get(obj) != simdjson::SUCCESS ||
      obj["labels"].get_object().get(labels) != simdjson::SUCCESS ||
      obj["annotations"].get_object().get(annotations) != simdjson::SUCCESS) {
    return Status::Corruption("an alert without labels and annotations objects");
  }
  WG_RETURN_IF_ERROR(ReadPairs(labels, &a->labels));
  WG_RETURN_IF_ERROR(ReadPairs(annotations, &a->annotations));
  WG_RETURN_IF_ERROR(ReadTime(obj, "startsAt", &a->starts_at));
  WG_RETURN_IF_ERROR(ReadTime(obj, "endsAt", &a->ends_at));
  a->generator_url = std::string(Str(obj, "generatorURL"));
  if (a->fingerprint().empty() || a->alert_id().empty()) return Status::Corruption("an alert without fingerprint");
  return Status::OK();
}

}  // namespace

std::string_view AmAlert::Label(std::string_view name) const {
  return Find(labels, name);
}

std::string_view AmAlert::Annotation(std::string_view name) const {
  return Find(annotations, name);
}

Status AmAlertFromMessage(std::string_view payload, std::string_view generator_url, AmAlert* out) {
  *out = AmAlert();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(payload);
  simdjson::dom::object msg;
  simdjson::dom::object entity;
  if (parser.parse(padded).get_object().get(msg) != simdjson::SUCCESS) return NotAlert(payload, "not an object");
  if (msg["entity"].get_object().get(entity) != simdjson::SUCCESS) return NotAlert(payload, "no entity");
  const std::string_view type = Str(msg, "type");
  const std::string_view state = Str(msg, "state");
  const std::string_view fingerprint = Str(msg, "fingerprint");
  const std::string_view alert_id = Str(msg, "alert_id");
  Micros detected_at = 0;
  if (type.empty() || fingerprint.empty() || alert_id.empty() || (state != "firing" && state != "resolved")) {
    return NotAlert(payload, "type, state, fingerprint or alert_id missing");
  }
  if (!ParseTimestamp(Str(msg, "detected_at"), &detected_at)) return NotAlert(payload, "no detected_at");
  const std::string_view severity = Str(msg, "severity");
  const std::string_view kind = Str(entity, "kind");
  const std::string_view id = Str(entity, "id");
  const std::string_view runbook = Str(msg, "runbook");
  out->labels = {{"alertname", std::string(type)},   {"entity_id", std::string(id)},
                 {"entity_kind", std::string(kind)}, {"fingerprint", std::string(fingerprint)},
                 {"runbook", std::string(runbook)},  {"severity", std::string(severity)}};
  if (std::string_view event_id = Str(msg, "event_id"); !event_id.empty()) {
    out->labels.emplace_back("event_id", std::string(event_id));
  }
  SortByName(&out->labels);
  simdjson::dom::element details;
  std::string details_json = "{}";
  if (msg["details"].get(details) == simdjson::SUCCESS) details_json = simdjson::minify(details);
  std::string summary = std::string(type) + " on " + std::string(kind) + " " + std::string(id);
  if (!severity.empty()) summary += " (" + std::string(severity) + ")";
  if (!runbook.empty()) summary += ", runbook " + std::string(runbook);
  out->annotations = {{"alert_id", std::string(alert_id)}, {"details", details_json}, {"summary", summary}};
  out->starts_at = detected_at;
  out->ends_at = state == "resolved" ? detected_at : 0;
  out->generator_url = std::string(generator_url);
  return Status::OK();
}

std::string AmAlertsJson(const std::vector<const AmAlert*>& alerts, Micros firing_ends_at) {
  std::string out = "[";
  for (const AmAlert* a : alerts) {
    assert(a != nullptr);
    if (out.size() > 1) out.push_back(',');
    JsonWriter w(&out);
    w.BeginObject();
    WritePairs(&w, "labels", a->labels);
    WritePairs(&w, "annotations", a->annotations);
    w.Field("startsAt", FormatTimestamp(a->starts_at));
    const Micros ends_at = a->resolved() ? std::max(a->ends_at, a->starts_at) : firing_ends_at;
    if (ends_at != 0) w.Field("endsAt", FormatTimestamp(ends_at));
    if (!a->generator_url.empty()) w.Field("generatorURL", a->generator_url);
    w.EndObject();
  }
  out.push_back(']');
  return out;
}

Status ParseAmAlerts(std::string_view json, std::vector<AmAlert>* out) {
  out->clear();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::array array;
  if (parser.parse(padded).get_array().get(array) != simdjson::SUCCESS) {
    return Status::Corruption("not a JSON array of alerts");
  }
  for (simdjson::dom::element element : array) {
    AmAlert a;
    WG_RETURN_IF_ERROR(ReadOne(element, &a));
    out->push_back(std::move(a));
  }
  return Status::OK();
}

}  // namespace walguard

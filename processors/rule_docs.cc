#include "processors/rule_docs.h"

#include <string_view>
#include <variant>

#include "processors/rule_registry.h"

namespace walguard {

namespace {

std::string Code(std::string_view text) {
  return "`" + std::string(text) + "`";
}

std::string Entity(const Rule& rule) {
  std::string out = Code(rule.alert.entity_kind);
  if (const auto* own = std::get_if<OwnCheck>(&rule.predicate)) out += "<br>walguard's own: " + std::string(own->by);
  return out;
}

std::string Reads(const Rule& rule) {
  std::string out;
  for (const TableRead& read : rule.reads) {
    if (read.table == TableId::kCount) continue;
    if (!out.empty()) out += "<br>";
    out += Code(Spec(read.table).QualifiedName()) + " (" + read.columns + ")";
  }
  return out.empty() ? "—" : out;
}

std::string Default(const ThresholdDef& def) {
  std::string value = std::to_string(WrittenValue(def, Thresholds()));
  switch (def.unit) {
    case ThresholdUnit::kSeconds:
      return value + " s";
    case ThresholdUnit::kPercent:
      return value + " %";
    case ThresholdUnit::kBytes:
      return value + " bytes";
    case ThresholdUnit::kCount:
      break;
  }
  return value;
}

std::string ThresholdsOf(const Rule& rule) {
  std::string out;
  for (ThresholdField field : rule.thresholds) {
    if (field == nullptr) continue;
    const ThresholdDef* def = FindThreshold(field);
    if (def == nullptr) continue;  // rule_registry_test: every field has a definition
    if (!out.empty()) out += "<br>";
    out += Code(ThresholdName(*def)) + " = " + Default(*def);
  }
  return out.empty() ? "—" : out;
}

std::string Command(const Rule& rule) {
  if (rule.alert.command == nullptr) return "—";
  return Code(rule.alert.command) + (rule.alert.requires_approval ? " (requires approval)" : "") +
         (rule.alert.repeats ? " (repeats every `repeat_seconds`)" : "");
}

}  // namespace

std::string RenderRulesMarkdown() {
  std::string out =
      "| type | severity | entity | fires when | reads | thresholds (config key = default) | command on firing |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const Rule& rule : Rules()) {
    out += "| " + Code(rule.alert.type) + " | " + rule.alert.severity + " | " + Entity(rule) + " | " + rule.fires_when +
           " | " + Reads(rule) + " | " + ThresholdsOf(rule) + " | " + Command(rule) + " |\n";
  }
  return out;
}

}  // namespace walguard

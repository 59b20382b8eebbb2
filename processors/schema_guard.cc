#include "processors/schema_guard.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <string_view>

#include "core/key_layout.h"
#include "processors/rule_registry.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

constexpr char kDisabledTag = keys::kDisabledRule;
constexpr std::string_view kMissing = "missing (dropped or renamed?)";
constexpr std::string_view kAction = "fix the schema, then restart with walguard run --resnapshot";

// Postgres moves a value out of line only when it is larger than a TOAST
// pointer (MAXALIGN(18) = 24 bytes, header included). The text of a value
// this short, even of a numeric, never needs more on disk.
constexpr size_t kNeverToastedTextBytes = 20;

std::string DisabledKey(std::string_view rule) {
  std::string key(1, kDisabledTag);
  key.append(rule);
  return key;
}

int ColumnOf(const TableSpec& spec, std::string_view name) {
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    if (spec.columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

bool Typed(const Change& change) {
  for (const std::vector<Datum>* list : {&change.columns, &change.identity}) {
    for (const Datum& d : *list) {
      if (d.type != TypeFamily::kUnknown) return true;
    }
  }
  return false;
}

bool Problem(TableId table, int col, std::string problem, SchemaProblem* out) {
  out->table = table;
  out->column = col;
  out->problem = std::move(problem);
  return true;
}

// Checks the types of `data`; sets bit i of *seen for each spec column i present.
bool CheckTypes(TableId table, const std::vector<Datum>& data, uint32_t* seen, SchemaProblem* out) {
  const TableSpec& spec = Spec(table);
  for (const Datum& d : data) {
    const int col = ColumnOf(spec, d.name);
    if (col < 0) continue;
    *seen |= 1u << col;
    if (TypeAccepted(table, col, d.type)) continue;
    return Problem(
        table, col,
        "has type " + std::string(TypeFamilyName(d.type)) + ", expected " + DescribeTypes(ExpectedTypes(table)[col]),
        out);
  }
  return false;
}

std::string DisabledDetails(const SchemaProblem& p, Lsn lsn) {
  const TableSpec& spec = Spec(p.table);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("table", spec.QualifiedName());
  w.Field("column", spec.columns[p.column]);
  w.Field("problem", p.problem);
  w.Field("lsn", FormatLsn(lsn));
  w.Field("action", kAction);
  w.EndObject();
  return out;
}

}  // namespace

const std::vector<const AlertType*>& RulesReading(TableId table) {
  static const auto kByTable = [] {
    std::array<std::vector<const AlertType*>, static_cast<size_t>(TableId::kCount)> by_table;
    for (const Rule& rule : Rules()) {
      for (const TableRead& read : rule.reads) {
        if (read.table != TableId::kCount) by_table[static_cast<size_t>(read.table)].push_back(&rule.alert);
      }
    }
    return by_table;
  }();
  assert(table < TableId::kCount);
  return kByTable[static_cast<size_t>(table)];
}

std::string SchemaProblem::Reason() const {
  const TableSpec& spec = Spec(table);
  return "column " + spec.QualifiedName() + "." + spec.columns[column] + " " + problem;
}

bool CheckColumns(TableId table, const Change& change, SchemaProblem* out) {
  if (!Typed(change)) return false;
  uint32_t seen = 0, key_seen = 0;
  if (CheckTypes(table, change.columns, &seen, out)) return true;
  if (CheckTypes(table, change.identity, &key_seen, out)) return true;
  if (change.action != Action::kInsert) return false;
  const TableSpec& spec = Spec(table);
  for (size_t col = 0; col < spec.columns.size(); ++col) {
    if ((seen & (1u << col)) == 0 && spec.Required(col)) {
      return Problem(table, static_cast<int>(col), std::string(kMissing), out);
    }
  }
  return false;
}

bool CheckUpdate(TableId table, const Change& change, const RowImage& stored, SchemaProblem* out) {
  if (change.action != Action::kUpdate || !Typed(change)) return false;
  const TableSpec& spec = Spec(table);
  uint32_t seen = 0;
  for (const Datum& d : change.columns) {
    const int col = ColumnOf(spec, d.name);
    if (col >= 0) seen |= 1u << col;
  }
  for (size_t col = 0; col < spec.columns.size(); ++col) {
    if ((seen & (1u << col)) != 0 || col >= stored.cells.size() || !spec.Required(col)) continue;
    const Cell& cell = stored.cells[col];
    const bool short_value = !cell.present || cell.is_null || cell.text.size() <= kNeverToastedTextBytes;
    if (NeverToasted(ExpectedTypes(table)[col]) || short_value) {
      return Problem(table, static_cast<int>(col), std::string(kMissing), out);
    }
  }
  return false;
}

Status SchemaGuard::Load(KvTxn* kv) {
  disabled_.clear();
  const std::string prefix(1, kDisabledTag);
  return ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view details) {
    const std::string_view rule = key.substr(prefix.size());
    disabled_.emplace(rule);
    spdlog::warn("rule {} is disabled since a schema change ({}): it neither fires nor resolves", rule, details);
    return true;
  });
}

Status SchemaGuard::Disable(ApplyContext* ctx, const SchemaProblem& problem, Lsn lsn) {
  const std::string details = DisabledDetails(problem, lsn);
  std::string rules;
  for (const AlertType* rule : RulesReading(problem.table)) {
    rules += rules.empty() ? "" : ", ";
    rules += rule->type;
    if (!disabled_.emplace(rule->type).second) continue;
    ctx->kv->Put(DisabledKey(rule->type), details);
    // Fires once and never resolves: the firing stays in the state.
    WG_RETURN_IF_ERROR(ReconcileAlert(ctx, EntityRef{rule->type, ""}, {&kRuleDisabled, true, details, ""}));
  }
  std::string reason = problem.Reason();
  if (logged_.insert(reason).second) {
    const std::string table = Spec(problem.table).QualifiedName();
    spdlog::error(
        "schema change at {}: {}. Disabled rules (no firing, no resolving): {}. Rows of {} go to the "
        "dead-letter topic; {}",
        FormatLsn(lsn), reason, rules, table, kAction);
  }
  return Status::OK();
}

}  // namespace walguard

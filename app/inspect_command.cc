#include "app/inspect_command.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "app/replay_command.h"
#include "app/replayer.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

// Whether `change` is to a row that names the entity: its key or a foreign
// key equals the id (for a unit_date, the unit's id).
bool NamesEntity(const Change& change, EntityKind kind, std::string_view id) {
  if (kind == EntityKind::kUnitDate) id = id.substr(0, id.find('/'));
  for (const std::vector<Datum>* data : {&change.columns, &change.identity}) {
    for (const Datum& d : *data) {
      if (!d.is_null && d.text == id) return true;
    }
  }
  return false;
}

bool IsJsonNumber(std::string_view text) {
  return !text.empty() && (text[0] == '-' || (text[0] >= '0' && text[0] <= '9')) &&
         text.find_first_not_of("0123456789+-.eE") == std::string_view::npos;
}

void WriteDatum(const Datum& d, JsonWriter* w) {
  if (d.is_null) {
    w->Null();
    return;
  }
  const bool number = d.type == TypeFamily::kInteger || d.type == TypeFamily::kNumeric || d.type == TypeFamily::kFloat;
  const bool boolean = d.type == TypeFamily::kBoolean && (d.text == "true" || d.text == "false");
  if ((number && IsJsonNumber(d.text)) || boolean) {
    w->Raw(d.text);
  } else {
    w->String(d.text);
  }
}

// A delete shows the old key it carries; the others their new values.
const std::vector<Datum>& RowOf(const Change& change) {
  return change.action == Action::kDelete ? change.identity : change.columns;
}

}  // namespace

Status Inspect(const RecordSource& source, const Thresholds& thresholds, EntityKind kind, const std::string& id,
               Lsn until_lsn, const InspectVisitor& visit, SourceReport* report) {
  std::unique_ptr<Replayer> replayer;
  WG_RETURN_IF_ERROR(Replayer::Open(thresholds, &replayer));
  const std::pair<EntityKind, std::string> entity(kind, id);
  std::vector<OutMessage> out;
  std::vector<Change> snapshot_rows;  // of the snapshot in progress, naming the entity
  Micros snapshot_clock = 0;
  return source(
      [&](const ArchiveRecord& record, bool* stop) -> Status {
        if (BeyondLimits(record, until_lsn, 0)) {
          *stop = true;
          return Status::OK();
        }
        TouchedEntities touched;
        out.clear();
        WG_RETURN_IF_ERROR(replayer->Apply(record, &out, &touched));
        if (record.kind == ArchiveRecordKind::kSnapshotBegin) {
          snapshot_rows.clear();
          snapshot_clock = record.clock;
        } else if (record.kind == ArchiveRecordKind::kSnapshotRow && NamesEntity(record.row, kind, id)) {
          snapshot_rows.push_back(record.row);
        }
        if (touched.count(entity) == 0) return Status::OK();
        InspectStep step;
        step.lsn = record.Position();
        step.commit_time = record.Time();
        if (record.kind == ArchiveRecordKind::kTransaction) {
          step.has_xid = true;
          step.xid = record.txn.xid;
          for (const Change& c : record.txn.changes) {
            if (NamesEntity(c, kind, id)) step.changes.push_back(c);
          }
        } else if (record.kind == ArchiveRecordKind::kSnapshotEnd) {
          step.commit_time = snapshot_clock;
          step.changes = std::move(snapshot_rows);
          snapshot_rows.clear();
        }
        WG_RETURN_IF_ERROR(replayer->Explain(kind, id, &step.verdicts));
        return visit(step);
      },
      report);
}

bool ParseEntity(std::string_view text, EntityKind* kind, std::string* id) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return false;
  std::optional<EntityKind> k = EntityKindFromName(text.substr(0, colon));
  if (!k) return false;
  *kind = *k;
  *id = std::string(text.substr(colon + 1));
  return true;
}

std::string InspectJson(const InspectStep& step) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.Field("lsn", FormatLsn(step.lsn));
  w.Key("xid");
  if (step.has_xid) {
    w.Int(step.xid);
  } else {
    w.Null();
  }
  w.Field("commit_time", FormatTimestamp(step.commit_time));
  std::string changes = "[";
  for (const Change& c : step.changes) {
    if (changes.size() > 1) changes.push_back(',');
    JsonWriter cw(&changes);
    cw.BeginObject();
    cw.Field("table", c.schema + "." + c.table);
    cw.Field("action", std::string(1, static_cast<char>(c.action)));
    cw.Key("row").BeginObject();
    for (const Datum& d : RowOf(c)) {
      cw.Key(d.name);
      WriteDatum(d, &cw);
    }
    cw.EndObject();
    cw.EndObject();
  }
  changes.push_back(']');
  w.Key("changes").Raw(changes);
  w.Key("figures").Raw(step.verdicts.figures);
  w.Key("context").Raw(step.verdicts.context);
  w.Key("rules").BeginObject();
  for (const auto& [rule, holds] : step.verdicts.rules) w.Field(rule->type, holds);
  w.EndObject();
  w.EndObject();
  return line;
}

std::string InspectText(const InspectStep& step) {
  std::string text = FormatLsn(step.lsn) + "  " + (step.has_xid ? "xid " + std::to_string(step.xid) : "snapshot/tick") +
                     "  " + FormatTimestamp(step.commit_time);
  for (const Change& c : step.changes) {
    text += "\n  " + std::string(1, static_cast<char>(c.action)) + " " + c.schema + "." + c.table;
    for (const Datum& d : RowOf(c)) text += " " + d.name + "=" + (d.is_null ? "null" : d.text);
  }
  text += "\n  figures " + step.verdicts.figures + "\n  context " + step.verdicts.context + "\n  rules  ";
  for (const auto& [rule, holds] : step.verdicts.rules) {
    text += std::string(" ") + rule->type + (holds ? "=TRUE" : "=false");
  }
  return text;
}

int InspectCommand(const InspectCommandOptions& options, const Config& config, const std::atomic<bool>* stop) {
  EntityKind kind;
  std::string id;
  if (!ParseEntity(options.entity, &kind, &id)) {
    std::fprintf(stderr, "walguard inspect: --entity %s is not KIND:ID with a contract entity kind\n",
                 options.entity.c_str());
    return 1;
  }
  const RecordSource source = SourceOf(options.archive, options.input, stop, stderr);
  SourceReport report;
  uint64_t steps = 0;
  Status s = Inspect(
      source, config.thresholds, kind, id, options.until_lsn,
      [&](const InspectStep& step) {
        ++steps;
        const std::string text = options.json ? InspectJson(step) : InspectText(step) + "\n";
        std::fprintf(stdout, "%s\n", text.c_str());
        return Status::OK();
      },
      &report);
  std::fflush(stdout);
  std::fprintf(stderr, "inspect: %llu records, %llu steps evaluated %s\n",
               static_cast<unsigned long long>(report.records), static_cast<unsigned long long>(steps),
               options.entity.c_str());
  if (!s.ok()) std::fprintf(stderr, "walguard inspect: %s\n", s.ToString().c_str());
  return ExitCodeOf(s);
}

}  // namespace walguard

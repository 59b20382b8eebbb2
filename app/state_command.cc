#include "app/state_command.h"

#include <stdlib.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "app/inspect_command.h"
#include "app/replay_command.h"
#include "core/key_layout.h"
#include "core/kv.h"
#include "processors/apply_context.h"
#include "util/coding.h"
#include "util/json_writer.h"
#include "util/lsn.h"

namespace walguard {

namespace {

// "<type>:<entity kind>:<entity id>"; the id may itself hold ':'.
FiringEntry ParseFiring(std::string_view fingerprint, std::string_view alert_id) {
  FiringEntry e;
  e.alert = {std::string(fingerprint), std::string(alert_id)};
  const size_t first = fingerprint.find(':');
  const size_t second = first == std::string_view::npos ? first : fingerprint.find(':', first + 1);
  if (second == std::string_view::npos) {
    e.type = std::string(fingerprint);  // not of this layout: shown whole
    return e;
  }
  e.type = std::string(fingerprint.substr(0, first));
  e.entity_kind = std::string(fingerprint.substr(first + 1, second - first - 1));
  e.entity_id = std::string(fingerprint.substr(second + 1));
  return e;
}

// A directory for the secondary instance's own files, removed on exit.
class ScratchDirectory {
 public:
  Status Create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walguard-state-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return Status::IOError("cannot create a scratch directory " + pattern);
    path_ = pattern;
    return Status::OK();
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void WriteHeaderJson(const StateView& view, JsonWriter* w) {
  w->Field("state_dir", view.state_dir);
  w->Key("checkpoint_lsn");
  if (view.checkpoint) {
    w->String(FormatLsn(view.checkpoint->lsn));
  } else {
    w->Null();
  }
  w->Field("snapshot_done", view.checkpoint.has_value() && view.checkpoint->snapshot_done);
  w->Key("wal_clock");
  if (view.wal_clock != 0) {
    w->String(FormatTimestamp(view.wal_clock));
  } else {
    w->Null();
  }
}

std::string FiringArrayJson(const std::vector<FiringEntry>& firing) {
  std::string array = "[";
  for (const FiringEntry& e : firing) {
    if (array.size() > 1) array.push_back(',');
    JsonWriter w(&array);
    w.BeginObject();
    w.Field("alert_id", e.alert.alert_id);
    w.Field("type", e.type);
    w.Field("entity_kind", e.entity_kind);
    w.Field("entity_id", e.entity_id);
    w.Field("fingerprint", e.alert.fingerprint);
    w.EndObject();
  }
  array.push_back(']');
  return array;
}

std::string HeaderText(const StateView& view) {
  std::string position = "none (no step committed yet)";
  if (view.checkpoint) {
    position = FormatLsn(view.checkpoint->lsn) +
               (view.checkpoint->snapshot_done ? " (snapshot done)" : " (snapshot in progress)");
  }
  return "state      " + view.state_dir + "\nposition   " + position + "\nwal clock  " +
         (view.wal_clock != 0 ? FormatTimestamp(view.wal_clock) : std::string("none")) + "\n";
}

std::string Padded(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// One line per alert, columns aligned.
std::string FiringTable(const std::vector<FiringEntry>& firing) {
  size_t type_width = 4, entity_width = 6;
  for (const FiringEntry& e : firing) {
    type_width = std::max(type_width, e.type.size());
    entity_width = std::max(entity_width, e.entity_kind.size() + 1 + e.entity_id.size());
  }
  std::string text = "  " + Padded("TYPE", type_width) + "  " + Padded("ENTITY", entity_width) + "  ALERT_ID";
  for (const FiringEntry& e : firing) {
    text += "\n  " + Padded(e.type, type_width) + "  " + Padded(e.entity_kind + ":" + e.entity_id, entity_width) +
            "  " + e.alert.alert_id;
  }
  return text;
}

}  // namespace

Status ReadStateView(StateStore* store, StateView* out) {
  Checkpoint cp;
  Status s = store->ReadCheckpoint(&cp);
  if (s.ok()) out->checkpoint = cp;
  if (!s.ok() && !s.IsNotFound()) return s;
  std::unique_ptr<StateBatch> view = store->NewBatch();  // read, never committed
  std::string clock;
  s = view->Get(keys::kClockKey, &clock);
  if (s.ok()) {
    std::string_view in(clock);
    int64_t micros = 0;
    if (!GetVarsint64(&in, &micros)) return Status::Corruption("the state's WAL clock is malformed");
    out->wal_clock = micros;
  } else if (!s.IsNotFound()) {
    return s;
  }
  const std::string prefix(1, keys::kFiring);
  return ScanPrefix(view.get(), prefix, [&](std::string_view key, std::string_view value) {
    out->firing.push_back(ParseFiring(key.substr(prefix.size()), value));
    return true;
  });
}

Status ExplainStateEntity(StateStore* store, const StateView& view, const Thresholds& thresholds, EntityKind kind,
                          const std::string& id, EntityVerdicts* out) {
  std::unique_ptr<StateBatch> batch = store->NewBatch();  // read, never committed
  std::vector<OutMessage> none;
  ApplyContext ctx;
  ctx.kv = batch.get();
  ctx.thresholds = &thresholds;
  ctx.now = view.wal_clock;
  ctx.commit_time = view.wal_clock;
  ctx.lsn = view.checkpoint ? view.checkpoint->lsn : 0;
  ctx.out = &none;
  WG_RETURN_IF_ERROR(ExplainEntity(&ctx, kind, id, out));
  // ExplainEntity reconciles nothing; a message here would be a bug.
  assert(none.empty());
  return Status::OK();
}

std::string StateJson(const StateView& view, const std::string& entity, const EntityVerdicts* verdicts) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  WriteHeaderJson(view, &w);
  if (verdicts != nullptr) {
    w.Field("entity", entity);
    w.Key("figures").Raw(verdicts->figures);
    w.Key("context").Raw(verdicts->context);
    w.Key("rules").BeginObject();
    for (const auto& [rule, holds] : verdicts->rules) w.Field(rule->type, holds);
    w.EndObject();
  }
  w.Key("firing").Raw(FiringArrayJson(view.firing));
  w.EndObject();
  return line;
}

std::string StateText(const StateView& view, const std::string& entity, const EntityVerdicts* verdicts) {
  std::string text = HeaderText(view);
  if (verdicts != nullptr) {
    text += "entity     " + entity + "\nfigures    " + verdicts->figures + "\ncontext    " + verdicts->context +
            "\nrules     ";
    for (const auto& [rule, holds] : verdicts->rules) {
      text += std::string(" ") + rule->type + (holds ? "=TRUE" : "=false");
    }
    text += "\n";
  }
  text += "firing     " + std::to_string(view.firing.size()) + " (age unknown: the state keeps no firing time)";
  if (!view.firing.empty()) text += "\n" + FiringTable(view.firing);
  return text;
}

namespace {

Status RunState(const StateCommandOptions& options, const Config& config, std::string* printed) {
  EntityKind kind = EntityKind::kTier;
  std::string id;
  if (!options.entity.empty() && !ParseEntity(options.entity, &kind, &id)) {
    return Status::InvalidArgument("--entity " + options.entity + " is not KIND:ID with a contract entity kind");
  }
  ScratchDirectory scratch;
  WG_RETURN_IF_ERROR(scratch.Create());
  std::unique_ptr<StateStore> store;
  WG_RETURN_IF_ERROR(StateStore::OpenReadOnly(options.state_dir, scratch.path(), &store));
  WG_RETURN_IF_ERROR(store->CatchUp());
  StateView view;
  view.state_dir = options.state_dir;
  WG_RETURN_IF_ERROR(ReadStateView(store.get(), &view));
  if (options.entity.empty()) {
    *printed = options.json ? StateJson(view, "", nullptr) : StateText(view, "", nullptr);
    return Status::OK();
  }
  EntityVerdicts verdicts;
  WG_RETURN_IF_ERROR(ExplainStateEntity(store.get(), view, config.thresholds, kind, id, &verdicts));
  const std::string kind_name(EntityKindName(kind));
  std::erase_if(view.firing, [&](const FiringEntry& e) { return e.entity_kind != kind_name || e.entity_id != id; });
  *printed = options.json ? StateJson(view, options.entity, &verdicts) : StateText(view, options.entity, &verdicts);
  return Status::OK();
}

}  // namespace

int StateCommand(const StateCommandOptions& options, const Config& config, std::FILE* out, std::FILE* err) {
  std::string printed;
  Status s = RunState(options, config, &printed);
  if (!s.ok()) {
    std::fprintf(err, "walguard state: %s\n", s.ToString().c_str());
    return ExitCodeOf(s);
  }
  std::fprintf(out, "%s\n", printed.c_str());
  std::fflush(out);
  return 0;
}

}  // namespace walguard

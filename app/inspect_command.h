// `walguard inspect` (docs/reference.md section 5): the timeline of one
// entity. Replays a record source (app/replayer.h) and, after every step that
// evaluated the entity, shows the step's position, the changes of the step to
// rows that name the entity, the figures its rules read and which of them
// held, and the context an alert of the entity would carry at that step.
// One readable block per step, or with --json one object per line:
//   {"lsn":...,"xid":...,"commit_time":...,"changes":[{"table":...,
//    "action":"I|U|D","row":{...}}],"figures":{...},"context":{...},
//    "rules":{"<type>":bool}}
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/record_source.h"
#include "config/config.h"
#include "core/change.h"
#include "core/entity_kind.h"
#include "processors/rule_registry.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// One step that evaluated the entity.
struct InspectStep {
  Lsn lsn = 0;
  bool has_xid = false;  // snapshots and clock ticks have none
  uint32_t xid = 0;
  Micros commit_time = 0;       // the step's WAL clock time
  std::vector<Change> changes;  // the step's changes to rows naming the entity
  EntityVerdicts verdicts;
};

using InspectVisitor = std::function<Status(const InspectStep& step)>;

// Replays `source` up to until_lsn (0: the end) under `thresholds` and hands
// every step that evaluated entity (kind, id) to `visit`, in order.
Status Inspect(const RecordSource& source, const Thresholds& thresholds, EntityKind kind, const std::string& id,
               Lsn until_lsn, const InspectVisitor& visit, SourceReport* report);

// "tier:<uuid>" -> (kTier, "<uuid>"); false for an unknown kind or no id.
bool ParseEntity(std::string_view text, EntityKind* kind, std::string* id);

// The --json line and the readable block (both without the final newline).
std::string InspectJson(const InspectStep& step);
std::string InspectText(const InspectStep& step);

struct InspectCommandOptions {
  std::string archive;  // one of archive and input
  std::string input;
  std::string entity;  // KIND:ID
  Lsn until_lsn = 0;
  bool json = false;
};

// `walguard inspect`: exit codes as ReplayCommand's (1 also for a bad --entity).
int InspectCommand(const InspectCommandOptions& options, const Config& config, const std::atomic<bool>* stop);

}  // namespace walguard

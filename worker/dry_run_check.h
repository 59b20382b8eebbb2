// The dry-run check: before applying, what the function would change is
// compared with what the alerts account for. A report that touches more
// than the firing alerts explain (holds that are not stuck, orders that are
// not stale, a second refund) means the function and the alert disagree
// about the world, and a person must look: the command is refused and
// escalated instead of applied.
//
// One table row per (command type, report figure): the figure must not
// exceed its bound, which is a constant, the sum of a detail figure over
// the firing alerts in scope, or the number of entities with such an alert.
// A report without the figure (a user's own function) is not checked on it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "worker/messages.h"

namespace walguard {

enum class BoundKind {
  kConstant,       // figure <= constant
  kSumOfFigure,    // figure <= Σ details[detail] over the alerts in scope
  kCountEntities,  // figure <= number of distinct entities with an alert in scope
};
enum class BoundScope {
  kEntity,  // alerts of the causing alert's entity
  kEvent,   // alerts of every entity of the causing alert's event
};

struct DryRunBound {
  const char* command_type;
  const char* report_figure;
  BoundKind kind;
  int64_t constant = 0;
  BoundScope scope = BoundScope::kEntity;
  const char* alert_types = "";  // comma-separated; the alerts in scope
  const char* detail = "";       // kSumOfFigure: the details figure summed
};

const std::vector<DryRunBound>& DryRunBounds();

struct DryRunVerdict {
  bool ok = true;
  std::string reason;  // when refused: "holds_affected 12 > 10 (Σ active_holds of stuck_holds on the event)"
};

// `cause`: the alert that issued the command; `firing`: every alert firing now.
DryRunVerdict CheckDryRun(std::string_view command_type, std::string_view report_json, const AlertMessage& cause,
                          const std::vector<const AlertMessage*>& firing);

}  // namespace walguard

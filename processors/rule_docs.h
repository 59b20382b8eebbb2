// docs/rules.md from the rule registry: the table of every rule, pinned by
// processors_tests (WALGUARD_UPDATE_GOLDEN=1 rewrites the file).
#pragma once

#include <string>

namespace walguard {

// A markdown table: type, severity, entity, fires when, reads, thresholds
// (config key, default), command. One row per Rules() entry, in order.
std::string RenderRulesMarkdown();

}  // namespace walguard

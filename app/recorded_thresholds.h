// Recorded thresholds: the thresholds a live run applied, as the archive
// keeps them (kThresholds records, state checkpoints), so that `replay
// --diff` can compare a what-if run with what really ran.
//
// Text, one `rules.<section>.<key> = <value as written in the config>` line
// per threshold (config/thresholds.h), in ThresholdDefs() order: readable
// in a hex dump, and stable across versions. A reader starts from the
// defaults, skips names it does not know (a later walguard's), and keeps the
// default for names missing (an earlier walguard's).
#pragma once

#include <string>
#include <string_view>

#include "config/thresholds.h"
#include "util/status.h"

namespace walguard {

std::string RecordThresholds(const Thresholds& thresholds);

// Corruption for a line that is not `name = integer` or a value out of its bounds.
Status ParseRecordedThresholds(std::string_view text, Thresholds* thresholds);

}  // namespace walguard

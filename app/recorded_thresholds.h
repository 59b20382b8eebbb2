// Recorded thresholds: the rule settings a live run applied, as the archive
// keeps them (kThresholds records, state checkpoints), so that `replay
// --diff` can compare a what-if run with what really ran.
//
// Text, one `<name> = <value>` line per setting: first every threshold
// (config/thresholds.h) in ThresholdDefs() order as `rules.<section>.<key> =
// <integer as written in the config>`, then the settings that are not
// numbers, named as the config file places them and quoted as TOML quotes
// strings: `business_timezone = "UTC"`, `benign_error_codes = ["a", "b"]`,
// `rules.alerts.historical_alerts = "report"`. Readable in a hex dump, and
// stable across versions: a reader starts from the defaults, skips names it
// does not know (a later walguard's) whatever their value, and keeps the
// default for names missing (an earlier walguard's).
#pragma once

#include <string>
#include <string_view>

#include "config/thresholds.h"
#include "util/status.h"

namespace walguard {

std::string RecordThresholds(const Thresholds& thresholds);

// Corruption for a line that is not `name = value`, or a known setting's
// value that is not of its form or out of its bounds; InvalidArgument for a
// business_timezone this machine's zoneinfo lacks (the replay could not
// reproduce the live run's business days).
Status ParseRecordedThresholds(std::string_view text, Thresholds* thresholds);

}  // namespace walguard

// Rule thresholds: the settings of the rules (docs/reference.md section 3), and one
// definition per setting that everything else derives from: the [rules.*]
// sections LoadConfigFile reads, their bounds, the thresholds part of
// config/walguard.example.toml and the thresholds column of docs/rules.md.
//
// Adding a threshold = a field here and its row in ThresholdDefs(); a rule
// names the fields it uses in its registry row (processors/rule_registry.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// Durations in microseconds. The defaults are the contract's.
struct Thresholds {
  // ticketing (runbook 000)
  Micros stuck_hold_after = 5 * kMicrosPerMinute;
  int64_t high_reserved_percent = 30;
  int64_t false_sold_out_issued_percent = 50;
  Micros stale_pending_after = 30 * kMicrosPerMinute;
  Micros paid_without_tickets_after = 2 * kMicrosPerMinute;
  int64_t revenue_excess_percent = 10;

  // reserve (runbook 002)
  Micros payment_without_reservation_after = 5 * kMicrosPerMinute;
  Micros stuck_payment_after = 60 * kMicrosPerMinute;
  Micros pix_pending_after = 30 * kMicrosPerMinute;
  Micros payment_rate_window = 60 * kMicrosPerMinute;
  int64_t payment_rate_min_settled = 20;
  int64_t payment_success_rate_percent = 80;
  Micros webhook_window = 15 * kMicrosPerMinute;
  int64_t webhook_failures_threshold = 5;
  Micros webhook_processing_after = 5 * kMicrosPerMinute;

  // pg_cron (CONTRACT 3.1, runbook 000 section 5)
  Micros cron_slow_after = 5 * kMicrosPerSecond;

  // walguard itself: replication_lag fires past either bound (0 disables that bound).
  int64_t replication_lag_bytes = int64_t{1} << 30;
  Micros replication_lag_after = 5 * kMicrosPerMinute;
};

// How a setting is written in the file. kSeconds settings are stored in
// microseconds; the others as written.
enum class ThresholdUnit { kSeconds, kCount, kPercent, kBytes };

// "seconds", "count", "percent", "bytes".
std::string_view ThresholdUnitName(ThresholdUnit unit);

using ThresholdField = int64_t Thresholds::*;

struct ThresholdDef {
  const char* section;  // the TOML table [rules.<section>]
  const char* key;      // the key inside it
  ThresholdUnit unit;
  int64_t min;  // bounds of the value as written (seconds for kSeconds)
  int64_t max;
  const char* doc;  // one line: the comment in the example file
  ThresholdField field;
};

// Every threshold, in file order: sections in first-use order, keys in order.
std::span<const ThresholdDef> ThresholdDefs();

// The sections of ThresholdDefs(), in order: "ticketing", "reserve", "cron", "walguard".
std::span<const char* const> ThresholdSections();

// nullptr when no definition reads `field`.
const ThresholdDef* FindThreshold(ThresholdField field);

// "rules.ticketing.high_reserved_percent"
std::string ThresholdName(const ThresholdDef& def);

// The value as written in the file: seconds for kSeconds, else the value.
int64_t WrittenValue(const ThresholdDef& def, const Thresholds& t);
void SetWrittenValue(const ThresholdDef& def, int64_t written, Thresholds* t);

// InvalidArgument naming the setting when `written` is outside its bounds.
Status CheckThreshold(const ThresholdDef& def, int64_t written);

// Every setting of `t` within its bounds.
Status ValidateThresholds(const Thresholds& t);

// The [rules.*] sections of config/walguard.example.toml: every setting with
// its default and its doc as a comment.
std::string RenderThresholdsToml();

}  // namespace walguard

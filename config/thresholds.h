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
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// What an alert older than its rule's lookback does (CONTRACT 3.1):
//  - kReport: goes out as P4 with "historical": true and no command;
//  - kSuppress: no message at all (alerts.h says how it is tracked);
//  - kPage: as if it were recent (normal severity and command).
enum class HistoricalAlerts : int64_t { kReport, kSuppress, kPage };

// "report", "suppress", "page".
std::string_view HistoricalAlertsName(HistoricalAlerts mode);
// False for any other text.
bool ParseHistoricalAlerts(std::string_view text, HistoricalAlerts* mode);

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
  Micros webhook_silence_pending_after = 10 * kMicrosPerMinute;
  int64_t webhook_silence_min_payments = 3;
  Micros webhook_silence_window = 15 * kMicrosPerMinute;
  // Lookbacks (CONTRACT 3.1): a rule's triggering row older than this when
  // the rule is evaluated makes its alert historical; 0: never historical.
  Micros payment_without_reservation_lookback = int64_t{24} * 60 * kMicrosPerMinute;
  Micros double_charge_lookback = int64_t{7} * 24 * 60 * kMicrosPerMinute;
  Micros ledger_imbalance_lookback = int64_t{7} * 24 * 60 * kMicrosPerMinute;
  Micros webhook_failures_lookback = int64_t{24} * 60 * kMicrosPerMinute;

  // pg_cron (CONTRACT 3.1, runbook 000 section 5)
  Micros cron_slow_after = 5 * kMicrosPerSecond;

  // walguard itself: replication_lag fires past either bound (0 disables that bound).
  int64_t replication_lag_bytes = int64_t{1} << 30;
  Micros replication_lag_after = 5 * kMicrosPerMinute;

  // Not thresholds but rule settings all the same, read from the top level
  // of the config file (config.h) rather than from [rules.*]:
  // the IANA zone whose date is "today" for the calendar rules (only today
  // and later can be overbooked), and the error codes of 'failed' payments
  // that failed_payment_rate counts as settled but not failed.
  std::string business_timezone = "UTC";
  std::vector<std::string> benign_error_codes = {"card_declined", "expired_card", "insufficient_funds"};
  // Every alert: a firing alert whose rule `repeats` (rule_registry.cc)
  // re-issues its command this often on the WAL clock (0: off).
  Micros repeat_interval = 5 * kMicrosPerMinute;
  // What a historical alert does ([rules.alerts] historical_alerts, a string).
  HistoricalAlerts historical_alerts = HistoricalAlerts::kReport;
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

// The sections of ThresholdDefs(), in order: "ticketing", "reserve", "cron",
// "walguard", "alerts". [rules.alerts] also holds historical_alerts, the one setting that
// is not a number (read and written beside the table).
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

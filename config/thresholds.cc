#include "config/thresholds.h"

#include <algorithm>
#include <limits>

namespace walguard {

namespace {

constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
// A deadline or window longer than a year is a typo, not a policy; the bound
// also keeps every deadline (seconds * 10^6 + a timestamp) far from overflow.
constexpr int64_t kMaxSeconds = int64_t{365} * 24 * 3600;

using U = ThresholdUnit;
using T = Thresholds;

// File order. The docs are the example file's comments.
constexpr ThresholdDef kDefs[] = {
    {"ticketing", "stuck_hold_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "stuck_holds: active hold this long past expires_at", &T::stuck_hold_after},
    {"ticketing", "high_reserved_percent", U::kPercent, 0, 100, "high_reserved: reserved_quantity > N % of quantity",
     &T::high_reserved_percent},
    {"ticketing", "false_sold_out_issued_percent", U::kPercent, 0, 100,
     "false_sold_out: issued_quantity < N % of quantity", &T::false_sold_out_issued_percent},
    {"ticketing", "stale_pending_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "stale_pending_orders: pending this long after created_at", &T::stale_pending_after},
    {"ticketing", "paid_without_tickets_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "paid_without_tickets: no counting ticket this long after paid_at", &T::paid_without_tickets_after},
    {"ticketing", "revenue_excess_percent", U::kPercent, 0, 100,
     "revenue_mismatch: total_cents exceeds Σ items by more than N %", &T::revenue_excess_percent},
    {"reserve", "payment_without_reservation_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "'succeeded' and no reservation this long after succeeded_at", &T::payment_without_reservation_after},
    {"reserve", "stuck_payment_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "stuck_payment: 'processing' this long after created_at", &T::stuck_payment_after},
    {"reserve", "pix_pending_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "pix_pending: pix 'pending' this long after created_at", &T::pix_pending_after},
    {"reserve", "payment_rate_window_seconds", U::kSeconds, 0, kMaxSeconds, "failed_payment_rate: window on created_at",
     &T::payment_rate_window},
    // A rate over no settled payment says nothing.
    {"reserve", "payment_rate_min_settled", U::kCount, 1, kUnbounded, "... with at least this many settled payments",
     &T::payment_rate_min_settled},
    {"reserve", "payment_success_rate_percent", U::kPercent, 0, 100, "... fires when the success rate is below this",
     &T::payment_success_rate_percent},
    {"reserve", "webhook_window_seconds", U::kSeconds, 0, kMaxSeconds, "webhook_failures: window on received_at",
     &T::webhook_window},
    // 0 would fire for every provider that ever received a webhook.
    {"reserve", "webhook_failures_threshold", U::kCount, 1, kUnbounded,
     "... fires at this many 'failed' webhooks in the window", &T::webhook_failures_threshold},
    {"reserve", "webhook_processing_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "... or one 'processing' this long after received_at", &T::webhook_processing_after},
    {"reserve", "webhook_silence_pending_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "webhook_silence: card payment 'pending'/'processing' this long after created_at",
     &T::webhook_silence_pending_after},
    {"reserve", "webhook_silence_min_payments", U::kCount, 1, kUnbounded, "... fires at this many such payments",
     &T::webhook_silence_min_payments},
    {"reserve", "webhook_silence_window_seconds", U::kSeconds, 0, kMaxSeconds,
     "... while no webhook of the provider was received this long", &T::webhook_silence_window},
    {"reserve", "payment_without_reservation_lookback_seconds", U::kSeconds, 0, kMaxSeconds,
     "payment_without_reservation: historical when succeeded_at is older (0: never)",
     &T::payment_without_reservation_lookback},
    {"reserve", "double_charge_lookback_seconds", U::kSeconds, 0, kMaxSeconds,
     "double_charge: historical when the later success is older (0: never)", &T::double_charge_lookback},
    {"reserve", "ledger_imbalance_lookback_seconds", U::kSeconds, 0, kMaxSeconds,
     "ledger_imbalance: historical when the newest entry's created_at is older (0: never)",
     &T::ledger_imbalance_lookback},
    {"reserve", "webhook_failures_lookback_seconds", U::kSeconds, 0, kMaxSeconds,
     "webhook_failures: historical when the triggering webhook's received_at is older (0: never)",
     &T::webhook_failures_lookback},
    {"cron", "cron_slow_after_seconds", U::kSeconds, 0, kMaxSeconds,
     "cron_job_slow: the job's latest run took longer than this", &T::cron_slow_after},
    {"walguard", "replication_lag_bytes", U::kBytes, 0, kUnbounded,
     "replication_lag: server WAL this far past the slot's confirmed_flush_lsn (0: off)", &T::replication_lag_bytes},
    {"walguard", "replication_lag_seconds", U::kSeconds, 0, kMaxSeconds,
     "replication_lag: WAL clock this far behind the server's clock (0: off)", &T::replication_lag_after},
    // A command re-issued every second would flood the worker.
    {"alerts", "repeat_seconds", U::kSeconds, 0, kMaxSeconds,
     "re-issue a repeating command (poll_payment_status) this often while its alert fires (0: off)",
     &T::repeat_interval},
};

constexpr const char* kSections[] = {"ticketing", "reserve", "cron", "walguard", "alerts"};

constexpr const char* kHistoricalAlertsDoc =
    "older than the rule's lookback: report (P4, no command) | suppress | page";

std::string Line(const ThresholdDef& def, int64_t value) {
  return std::string(def.key) + " = " + std::to_string(value);
}

}  // namespace

std::string_view ThresholdUnitName(ThresholdUnit unit) {
  switch (unit) {
    case U::kSeconds:
      return "seconds";
    case U::kCount:
      return "count";
    case U::kPercent:
      return "percent";
    case U::kBytes:
      return "bytes";
  }
  return "";
}

std::string_view HistoricalAlertsName(HistoricalAlerts mode) {
  switch (mode) {
    case HistoricalAlerts::kReport:
      return "report";
    case HistoricalAlerts::kSuppress:
      return "suppress";
    case HistoricalAlerts::kPage:
      return "page";
  }
  return "";
}

bool ParseHistoricalAlerts(std::string_view text, HistoricalAlerts* mode) {
  for (HistoricalAlerts m : {HistoricalAlerts::kReport, HistoricalAlerts::kSuppress, HistoricalAlerts::kPage}) {
    if (text == HistoricalAlertsName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

std::span<const ThresholdDef> ThresholdDefs() {
  return kDefs;
}

std::span<const char* const> ThresholdSections() {
  return kSections;
}

const ThresholdDef* FindThreshold(ThresholdField field) {
  for (const ThresholdDef& def : kDefs) {
    if (def.field == field) return &def;
  }
  return nullptr;
}

std::string ThresholdName(const ThresholdDef& def) {
  return std::string("rules.") + def.section + "." + def.key;
}

int64_t WrittenValue(const ThresholdDef& def, const Thresholds& t) {
  const int64_t v = t.*def.field;
  return def.unit == U::kSeconds ? v / kMicrosPerSecond : v;
}

void SetWrittenValue(const ThresholdDef& def, int64_t written, Thresholds* t) {
  t->*def.field = def.unit == U::kSeconds ? written * kMicrosPerSecond : written;
}

Status CheckThreshold(const ThresholdDef& def, int64_t written) {
  if (written < def.min) {
    return Status::InvalidArgument(ThresholdName(def) + " must be >= " + std::to_string(def.min));
  }
  if (written > def.max) {
    return Status::InvalidArgument(ThresholdName(def) + " must be <= " + std::to_string(def.max));
  }
  return Status::OK();
}

Status ValidateThresholds(const Thresholds& t) {
  for (const ThresholdDef& def : kDefs) WG_RETURN_IF_ERROR(CheckThreshold(def, WrittenValue(def, t)));
  return Status::OK();
}

std::string RenderThresholdsToml() {
  const Thresholds defaults;
  const std::string historical =
      "historical_alerts = \"" + std::string(HistoricalAlertsName(defaults.historical_alerts)) + "\"";
  std::string out;
  for (const char* section : kSections) {
    const bool alerts = std::string_view(section) == "alerts";
    // Comments line up one column past the section's longest "key = value".
    size_t width = alerts ? historical.size() : 0;
    for (const ThresholdDef& def : kDefs) {
      if (std::string_view(def.section) == section)
        width = std::max(width, Line(def, WrittenValue(def, defaults)).size());
    }
    auto emit = [&](std::string line, const char* doc) {
      line.resize(width + 2, ' ');
      out += line + "# " + doc + "\n";
    };
    if (!out.empty()) out += "\n";
    out += std::string("[rules.") + section + "]\n";
    for (const ThresholdDef& def : kDefs) {
      if (std::string_view(def.section) == section) emit(Line(def, WrittenValue(def, defaults)), def.doc);
    }
    if (alerts) emit(historical, kHistoricalAlertsDoc);
  }
  return out;
}

}  // namespace walguard

#include "processors/reserve_rules.h"

#include <vector>

#include "util/json_writer.h"
#include "util/time.h"

namespace walguard {

namespace {

// details.reason of an alert whose offending dates are all before today.
constexpr char kDatePassed[] = "date_passed";

// The entry whose removal would balance the transaction and that has an
// identical twin (same account, direction, amount): the latest such one.
const LedgerEntry* FindDuplicate(const std::vector<LedgerEntry>& entries, const Decimal& debit_minus_credit) {
  const LedgerEntry* best = nullptr;
  for (const LedgerEntry& x : entries) {
    const bool balances = (x.e.direction == "debit" && x.amount == debit_minus_credit) ||
                          (x.e.direction == "credit" && x.amount == -debit_minus_credit);
    if (!balances) continue;
    bool has_twin = false;
    for (const LedgerEntry& y : entries) {
      has_twin = has_twin ||
                 (&y != &x && y.e.account == x.e.account && y.e.direction == x.e.direction && y.amount == x.amount);
    }
    if (!has_twin) continue;
    if (best == nullptr || x.e.created_at > best->e.created_at ||
        (x.e.created_at == best->e.created_at && x.id > best->id)) {
      best = &x;
    }
  }
  return best;
}

// The lookback (CONTRACT 3.1): a triggering row at `since` is historical once
// the WAL clock is more than `lookback` past it; a lookback of 0 never is.
bool Historical(Micros now, Micros since, Micros lookback) {
  return lookback > 0 && now - since > lookback;
}

}  // namespace

Verdict LedgerImbalance(const LedgerTransactionFacts& f, const Thresholds& t) {
  const Decimal difference = f.debit - f.credit;
  const LedgerEntry* duplicate = difference.IsZero() ? nullptr : FindDuplicate(f.entries, difference);
  Verdict v{!difference.IsZero(), "", ""};
  v.historical = f.newest_created != 0 && Historical(f.now, f.newest_created, t.ledger_imbalance_lookback);
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("debit", f.debit.ToString());
  w.Field("credit", f.credit.ToString());
  w.Field("difference", difference.ToString());
  w.Field("entries", static_cast<int64_t>(f.entries.size()));
  if (!difference.IsZero()) {
    w.Field("diagnosis", duplicate != nullptr ? "duplicate_entry" : "missing_entry");
    if (duplicate != nullptr) w.Field("entry_id", duplicate->id);
  }
  w.EndObject();
  return v;
}

Verdict PaymentWithoutReservation(const PaymentFacts& f, const Thresholds& t) {
  const Micros since = f.has_succeeded ? f.succeeded : f.created;
  const bool due = (!f.has_succeeded && !f.has_created) || f.now >= since + t.payment_without_reservation_after;
  Verdict v{f.exists && f.status == "succeeded" && due && f.intent_reservations == 0, f.details, f.args};
  v.historical = (f.has_succeeded || f.has_created) && Historical(f.now, since, t.payment_without_reservation_lookback);
  return v;
}

Verdict StuckPayment(const PaymentFacts& f, const Thresholds& t) {
  return {f.exists && f.status == "processing" && f.has_created && f.now - f.created > t.stuck_payment_after, f.details,
          f.args};
}

Verdict PixPending(const PaymentFacts& f, const Thresholds& t) {
  return {f.exists && f.status == "pending" && f.method == "pix" && f.has_created &&
              f.now - f.created > t.pix_pending_after,
          f.details, f.args};
}

Verdict DoubleCharge(const BookingIntentFacts& f, const Thresholds& t) {
  Verdict v{f.succeeded > 1, "", Texts({{"booking_intent_id", f.id}, {"payment_id", f.latest_id}})};
  v.historical = f.has_latest_at && Historical(f.now, f.latest_at, t.double_charge_lookback);
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("succeeded_payments", f.succeeded);
  w.Field("total_charged", f.total.ToString());
  w.Field("duplicate_payment_id", f.latest_id);
  w.EndObject();
  return v;
}

Verdict Overbooking(const UnitFacts& f, const Thresholds&) {
  const std::string from = f.overbooked ? FormatDate(f.first_date) : "";
  Verdict v{f.overbooked, "", Texts({{"unit_id", f.id}, {"from_date", from}})};
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("first_overbooked_date", from);
  w.Field("active_reservations", f.active);
  w.Field("allotment", f.allotment);
  if (f.passed) w.Field("reason", kDatePassed);
  w.EndObject();
  return v;
}

Verdict CalendarDrift(const UnitDateFacts& f, const Thresholds&) {
  const bool drift = f.has_calendar && f.bookings_count != f.active;
  Verdict v{drift && f.date >= f.today, "", Texts({{"unit_id", f.unit}, {"date", f.day}})};
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("bookings_count", f.bookings_count);
  w.Field("active_reservations", f.active);
  if (drift && f.date < f.today) w.Field("reason", kDatePassed);
  w.EndObject();
  return v;
}

Verdict CalendarOvercommitted(const UnitDateFacts& f, const Thresholds&) {
  const bool over = f.has_calendar && f.bookings_count + f.temp_holds.value_or(0) > f.allotment;
  Verdict v{over && f.date >= f.today, "", Texts({{"unit_id", f.unit}, {"from_date", f.day}})};
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("allotment", f.allotment);
  w.Field("bookings_count", f.bookings_count);
  w.Field("temp_holds", f.temp_holds.value_or(0));
  if (over && f.date < f.today) w.Field("reason", kDatePassed);
  w.EndObject();
  return v;
}

Verdict FailedPaymentRate(const ProviderFacts& f, const Thresholds& t) {
  const int64_t ok = f.payments.v[PaymentWindowAgg::kSucceeded];
  const int64_t failed = f.payments.v[PaymentWindowAgg::kFailed];
  const int64_t benign = f.payments.v[PaymentWindowAgg::kBenign];
  // A benign decline is settled, and not a failure: it counts for the rate.
  const int64_t settled = ok + failed + benign;
  const int64_t not_failed = settled - failed;
  Verdict v{settled >= t.payment_rate_min_settled && not_failed * 100 < t.payment_success_rate_percent * settled, "",
            ""};
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("succeeded", ok);
  w.Field("failed", failed);
  w.Field("settled", settled);
  w.Field("success_rate_percent", settled > 0 ? not_failed * 100 / settled : int64_t{100});
  w.Field("window_minutes", t.payment_rate_window / kMicrosPerMinute);
  w.Field("benign_declines", benign);
  w.Key("by_error_code").BeginObject();
  for (const auto& [code, n] : f.by_error_code) w.Field(code, n);
  w.EndObject();
  w.EndObject();
  return v;
}

Verdict WebhookFailures(const ProviderFacts& f, const Thresholds& t) {
  const int64_t failed = f.webhooks.v[WebhookAgg::kFailedRecent];
  const int64_t stuck = f.webhooks.v[WebhookAgg::kStuckProcessing];
  const bool failing = failed >= t.webhook_failures_threshold;
  Verdict v{failing || stuck >= 1,
            Figures({{"failed_recent", failed},
                     {"processing_stuck", stuck},
                     {"window_minutes", t.webhook_window / kMicrosPerMinute}}),
            ""};
  // Failures inside the window are recent; only stuck webhooks that are all
  // older than the lookback make the alert historical.
  v.historical = !failing && stuck >= 1 && f.webhooks.v[WebhookAgg::kStuckHistorical] == stuck;
  return v;
}

}  // namespace walguard

namespace walguard {

Verdict WebhookSilence(const ProviderFacts& f, const Thresholds& t) {
  const int64_t waiting = f.payments.v[PaymentWindowAgg::kAwaitingWebhook];
  const int64_t received = f.webhooks.v[WebhookAgg::kReceivedRecent];
  return {waiting >= t.webhook_silence_min_payments && received == 0,
          Figures({{"card_payments_waiting", waiting},
                   {"webhooks_received_recent", received},
                   {"pending_after_minutes", t.webhook_silence_pending_after / kMicrosPerMinute},
                   {"window_minutes", t.webhook_silence_window / kMicrosPerMinute}}),
          ""};
}

}  // namespace walguard

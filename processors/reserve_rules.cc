#include "processors/reserve_rules.h"

#include <vector>

#include "processors/aggregates.h"
#include "processors/monitored_tables.h"
#include "processors/occupancy.h"
#include "processors/reserve_apply.h"
#include "processors/row_image.h"
#include "processors/rule_util.h"
#include "util/decimal.h"

namespace walguard {

const AlertType kLedgerImbalance = {"ledger_imbalance", "P1", "ledger_transaction", "002 P1: Ledger Imbalance Detected", nullptr, false};
const AlertType kOverbooking = {"overbooking", "P1", "unit", "002 P1: Overbooking Detected", "block_unit_availability", false};
const AlertType kCalendarDrift = {"calendar_drift", "P2", "unit_date", "002 P1: Overbooking Detected, step 4", "recalculate_availability", false};
const AlertType kPaymentWithoutReservation = {"payment_without_reservation", "P1", "payment", "002 P1: Payment Succeeded but No Reservation", "finalize_reservation", false};
const AlertType kStuckPayment = {"stuck_payment", "P2", "payment", "002 P2: Payment Stuck in Processing", "poll_payment_status", false};
const AlertType kPixPending = {"pix_pending", "P2", "payment", "002 P2: PIX Paid but Not Confirmed", "poll_payment_status", false};
const AlertType kDoubleCharge = {"double_charge", "P2", "booking_intent", "002 P2: Double Charge", "refund_duplicate_charge", true};
const AlertType kFailedPaymentRate = {"failed_payment_rate", "P2", "provider", "002 P2: High Rate of Failed Payments", nullptr, false};
const AlertType kWebhookFailures = {"webhook_failures", "P1", "provider", "002 P1: Webhook Down", nullptr, false};

namespace {

Status Reconcile(ApplyContext* ctx, std::string_view id, const Evaluation& ev) {
  return ReconcileAlert(ctx, EntityRef{id, ""}, ev);
}

struct LedgerEntry {
  std::string id;
  IndexedLedgerEntry e;
  Decimal amount;
};

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
      has_twin = has_twin || (&y != &x && y.e.account == x.e.account && y.e.direction == x.e.direction &&
                              y.amount == x.amount);
    }
    if (!has_twin) continue;
    if (best == nullptr || x.e.created_at > best->e.created_at ||
        (x.e.created_at == best->e.created_at && x.id > best->id)) {
      best = &x;
    }
  }
  return best;
}

}  // namespace

Status EvaluateLedgerTransaction(ApplyContext* ctx, const std::string& txn_id) {
  const std::string prefix = LedgerIndexPrefix(txn_id);
  std::vector<LedgerEntry> entries;
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view key, std::string_view value) {
    LedgerEntry x;
    x.id.assign(key.substr(prefix.size()));
    if (!DecodeIndexedLedgerEntry(value, &x.e)) parse = Status::Corruption("ledger index entry " + x.id);
    if (parse.ok()) parse = Decimal::Parse(x.e.amount, &x.amount);
    entries.push_back(std::move(x));
    return parse.ok();
  }));
  WG_RETURN_IF_ERROR(parse);
  Decimal debit, credit;
  for (const LedgerEntry& x : entries) {
    if (x.e.direction == "debit") debit += x.amount;
    if (x.e.direction == "credit") credit += x.amount;
  }
  const Decimal difference = debit - credit;
  const LedgerEntry* duplicate = difference.IsZero() ? nullptr : FindDuplicate(entries, difference);
  std::string details;
  JsonWriter w(&details);
  w.BeginObject();
  w.Field("debit", debit.ToString());
  w.Field("credit", credit.ToString());
  w.Field("difference", difference.ToString());
  w.Field("entries", static_cast<int64_t>(entries.size()));
  if (!difference.IsZero()) {
    w.Field("diagnosis", duplicate != nullptr ? "duplicate_entry" : "missing_entry");
    if (duplicate != nullptr) w.Field("entry_id", duplicate->id);
  }
  w.EndObject();
  return Reconcile(ctx, txn_id, {&kLedgerImbalance, !difference.IsZero(), details, ""});
}

Status EvaluatePayment(ApplyContext* ctx, const std::string& id) {
  const Thresholds& t = *ctx->thresholds;
  RowImage img;
  Status s = LoadImage(ctx->kv, TableId::kPayments, id, &img);
  if (!s.ok() && !s.IsNotFound()) return s;
  bool without_reservation = false, stuck = false, pix = false;
  std::string details = "{}";
  if (s.ok()) {
    const TableSpec& spec = Spec(TableId::kPayments);
    const std::string_view status = CellText(img, payment_col::kStatus);
    Micros created = 0, succeeded = 0;
    bool no_created = true, no_succeeded = true;
    WG_RETURN_IF_ERROR(CellTime(spec, img, payment_col::kCreatedAt, &created, &no_created));
    WG_RETURN_IF_ERROR(CellTime(spec, img, payment_col::kSucceededAt, &succeeded, &no_succeeded));
    IntentAgg intent;
    WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kBookingIntent, CellText(img, payment_col::kIntentId), &intent));
    const Micros since = !no_succeeded ? succeeded : created;
    const bool due = (no_succeeded && no_created) || ctx->now >= since + t.payment_without_reservation_after;
    without_reservation = status == "succeeded" && due && intent.v[IntentAgg::kReservations] == 0;
    stuck = status == "processing" && !no_created && ctx->now - created > t.stuck_payment_after;
    pix = status == "pending" && CellText(img, payment_col::kMethod) == "pix" && !no_created &&
          ctx->now - created > t.pix_pending_after;
    details = Texts({{"status", status},
                     {"method", CellText(img, payment_col::kMethod)},
                     {"provider", CellText(img, payment_col::kProvider)},
                     {"booking_intent_id", CellText(img, payment_col::kIntentId)},
                     {"amount", CellText(img, payment_col::kAmount)},
                     {"created_at", no_created ? "" : FormatTimestamp(created)},
                     {"succeeded_at", no_succeeded ? "" : FormatTimestamp(succeeded)}});
  }
  const std::string args = Args("payment_id", id);
  WG_RETURN_IF_ERROR(Reconcile(ctx, id, {&kPaymentWithoutReservation, without_reservation, details, args}));
  WG_RETURN_IF_ERROR(Reconcile(ctx, id, {&kStuckPayment, stuck, details, args}));
  return Reconcile(ctx, id, {&kPixPending, pix, details, args});
}

Status EvaluateBookingIntent(ApplyContext* ctx, const std::string& id) {
  const std::string prefix = PaymentIndexPrefix(id);
  int64_t succeeded = 0;
  Decimal total;
  std::string latest_id;
  Micros latest_at = 0;
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view key, std::string_view value) {
    IndexedPayment p;
    if (!DecodeIndexedPayment(value, &p)) parse = Status::Corruption("payment index entry");
    if (!parse.ok() || p.status != "succeeded") return parse.ok();
    Decimal amount;
    parse = Decimal::Parse(p.amount, &amount);
    total += amount;
    ++succeeded;
    // The duplicate to refund: the latest success (by succeeded_at, then id).
    std::string pid(key.substr(prefix.size()));
    if (latest_id.empty() || p.succeeded_at > latest_at || (p.succeeded_at == latest_at && pid > latest_id)) {
      latest_id = pid;
      latest_at = p.succeeded_at;
    }
    return parse.ok();
  }));
  WG_RETURN_IF_ERROR(parse);
  std::string details;
  JsonWriter w(&details);
  w.BeginObject();
  w.Field("succeeded_payments", succeeded);
  w.Field("total_charged", total.ToString());
  w.Field("duplicate_payment_id", latest_id);
  w.EndObject();
  return Reconcile(ctx, id, {&kDoubleCharge, succeeded > 1, details,
                             Texts({{"booking_intent_id", id}, {"payment_id", latest_id}})});
}

Status EvaluateUnit(ApplyContext* ctx, const std::string& unit) {
  bool found = false;
  int32_t date = 0;
  WG_RETURN_IF_ERROR(FirstOverbookedDate(ctx->kv, unit, &found, &date));
  int64_t count = 0, allotment = 1;
  if (found) {
    WG_RETURN_IF_ERROR(LoadDateCount(ctx->kv, unit, date, &count));
    RowImage cal;
    if (LoadImage(ctx->kv, TableId::kAvailabilityCalendar, UnitDateId(unit, date), &cal).ok()) {
      WG_RETURN_IF_ERROR(CellInt(Spec(TableId::kAvailabilityCalendar), cal, calendar_col::kAllotment, &allotment));
    }
  }
  const std::string from = found ? FormatDate(date) : "";
  std::string details;
  JsonWriter w(&details);
  w.BeginObject();
  w.Field("first_overbooked_date", from);
  w.Field("active_reservations", count);
  w.Field("allotment", allotment);
  w.EndObject();
  return Reconcile(ctx, unit, {&kOverbooking, found, details, Texts({{"unit_id", unit}, {"from_date", from}})});
}

Status EvaluateUnitDate(ApplyContext* ctx, const std::string& id) {
  const size_t slash = id.rfind('/');
  int32_t date = 0;
  if (slash == std::string::npos || !ParseDate(std::string_view(id).substr(slash + 1), &date)) {
    return Status::Corruption("unit_date id " + id);
  }
  const std::string unit = id.substr(0, slash);
  RowImage cal;
  Status s = LoadImage(ctx->kv, TableId::kAvailabilityCalendar, id, &cal);
  if (!s.ok() && !s.IsNotFound()) return s;
  int64_t bookings = 0, active = 0;
  if (s.ok()) {
    WG_RETURN_IF_ERROR(CellInt(Spec(TableId::kAvailabilityCalendar), cal, calendar_col::kBookingsCount, &bookings));
  }
  WG_RETURN_IF_ERROR(LoadDateCount(ctx->kv, unit, date, &active));
  return Reconcile(ctx, id, {&kCalendarDrift, s.ok() && bookings != active,
                             Figures({{"bookings_count", bookings}, {"active_reservations", active}}),
                             Texts({{"unit_id", unit}, {"date", FormatDate(date)}})});
}

Status EvaluateProvider(ApplyContext* ctx, const std::string& provider) {
  const Thresholds& t = *ctx->thresholds;
  PaymentWindowAgg pay;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kProvider, provider, &pay));
  WebhookAgg hooks;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kProviderWebhooks, provider, &hooks));
  const int64_t ok = pay.v[PaymentWindowAgg::kSucceeded];
  const int64_t settled = ok + pay.v[PaymentWindowAgg::kFailed];
  const bool rate_low = settled >= t.payment_rate_min_settled && ok * 100 < t.payment_success_rate_percent * settled;
  WG_RETURN_IF_ERROR(Reconcile(ctx, provider,
                               {&kFailedPaymentRate, rate_low,
                                Figures({{"succeeded", ok},
                                         {"failed", pay.v[PaymentWindowAgg::kFailed]},
                                         {"settled", settled},
                                         {"success_rate_percent", settled > 0 ? ok * 100 / settled : 100},
                                         {"window_minutes", t.payment_rate_window / kMicrosPerMinute}}),
                                ""}));
  const int64_t failed = hooks.v[WebhookAgg::kFailedRecent];
  const int64_t stuck = hooks.v[WebhookAgg::kStuckProcessing];
  return Reconcile(ctx, provider,
                   {&kWebhookFailures, failed >= t.webhook_failures_threshold || stuck >= 1,
                    Figures({{"failed_recent", failed}, {"processing_stuck", stuck},
                             {"window_minutes", t.webhook_window / kMicrosPerMinute}}),
                    ""});
}

}  // namespace walguard

#include "processors/rule_registry.h"

#include <cassert>
#include <utility>

#include "processors/cron_rules.h"
#include "processors/replication_lag.h"
#include "processors/reserve_rules.h"
#include "processors/schema_guard.h"
#include "processors/state_disk_low.h"
#include "processors/ticketing_rules.h"

namespace walguard {

namespace {

using T = Thresholds;
using Id = TableId;

// The order within an entity is the order its alerts are emitted in; the
// order across entities is also RulesReading's (so the order rule_disabled
// alerts go out in).
constexpr Rule kRules[] = {
    // ticketing (runbook 000)
    {{"stuck_holds", "P3", "tier", "000 section 3", "cleanup_expired_ticket_holds", false},
     {{{Id::kTicketTiers, "event_id, reserved_quantity"}, {Id::kTicketHolds, "tier_id, quantity, status, expires_at"}}},
     {&T::stuck_hold_after},
     "≥ 1 of the tier's holds is still 'active' more than `stuck_hold_after_seconds` past its expires_at",
     &StuckHolds},
    {{"tier_reserved_drift", "P2", "tier", "000 section 2", "reconcile_event_tickets", false},
     {{{Id::kTicketTiers, "event_id, reserved_quantity"}, {Id::kTicketHolds, "tier_id, quantity, status"}}},
     {},
     "reserved_quantity ≠ Σ quantity of the tier's 'active' holds",
     &TierReservedDrift},
    {{"tier_issued_drift", "P2", "tier", "000 section 2", "reconcile_issued_quantity", false},
     {{{Id::kTicketTiers, "issued_quantity"}, {Id::kTickets, "tier_id, status"}}},
     {},
     "issued_quantity ≠ the number of the tier's counting (not 'void') tickets",
     &TierIssuedDrift},
    {{"high_reserved", "P3", "tier", "000 section 3", nullptr, false},
     {{{Id::kTicketTiers, "quantity, reserved_quantity"}}},
     {&T::high_reserved_percent},
     "reserved_quantity > `high_reserved_percent` % of quantity",
     &HighReserved},
    {{"false_sold_out", "P2", "tier", "000 section 2", "reconcile_event_tickets", false},
     {{{Id::kTicketTiers, "event_id, quantity, reserved_quantity, issued_quantity"},
       {Id::kTicketHolds, "tier_id, quantity, status, expires_at"}}},
     {&T::false_sold_out_issued_percent},
     "available ≤ 0 while issued_quantity < `false_sold_out_issued_percent` % of quantity and reserved_quantity "
     "exceeds the quantity of unexpired 'active' holds",
     &FalseSoldOut},
    {{"negative_available", "P1", "tier", "000 section 2", "reconcile_event_tickets", false},
     {{{Id::kTicketTiers, "event_id, quantity, reserved_quantity, issued_quantity"}}},
     {},
     "available = quantity - reserved_quantity - issued_quantity < 0",
     &NegativeAvailable},
    {{"paid_without_tickets", "P1", "order", "000 section 4", "ensure_tickets", false},
     {{{Id::kOrders, "event_id, status, created_at, paid_at"}, {Id::kTickets, "order_id, status"}}},
     {&T::paid_without_tickets_after},
     "order 'paid' and no counting ticket `paid_without_tickets_after_seconds` after paid_at (else created_at)",
     &PaidWithoutTickets},
    {{"order_overissued", "P1", "order", "000 section 4", nullptr, false},
     {{{Id::kOrders, "event_id, status"}, {Id::kOrderItems, "order_id, quantity"}, {Id::kTickets, "order_id, status"}}},
     {},
     "counting tickets of a 'paid' order > Σ quantity of its order_items",
     &OrderOverissued},
    {{"revenue_mismatch", "P3", "order", "000 section 4", nullptr, false},
     {{{Id::kOrders, "event_id, status, total_cents"}, {Id::kOrderItems, "order_id, quantity, unit_price_cents"}}},
     {&T::revenue_excess_percent},
     "'paid' order whose total_cents < Σ quantity × unit_price_cents of its items, or exceeds it by more than "
     "`revenue_excess_percent` %",
     &RevenueMismatch},
    {{"stale_pending_orders", "P3", "event", "000 section 5", "expire_pending_orders", false},
     {{{Id::kOrders, "event_id, status, created_at"}}},
     {&T::stale_pending_after},
     "≥ 1 of the event's orders is 'pending' more than `stale_pending_after_seconds` after created_at",
     &StalePendingOrders},
    // reserve (runbook 002)
    {{"ledger_imbalance", "P1", "ledger_transaction", "002 P1: Ledger Imbalance Detected", nullptr, false},
     {{{Id::kLedgerEntries, "transaction_id, account, direction, amount, created_at"}}},
     {&T::ledger_imbalance_lookback},
     "Σ debit ≠ Σ credit of the transaction's entries; details say duplicate_entry (with the entry whose identical "
     "twin unbalances it) or missing_entry; historical when the newest entry's created_at is older than "
     "`ledger_imbalance_lookback_seconds`",
     &LedgerImbalance},
    {{"payment_without_reservation", "P1", "payment", "002 P1: Payment Succeeded but No Reservation",
      "finalize_reservation", false},
     {{{Id::kPayments, "booking_intent_id, status, created_at, succeeded_at"},
       {Id::kReservations, "booking_intent_id"}}},
     {&T::payment_without_reservation_after, &T::payment_without_reservation_lookback},
     "'succeeded' and no reservation for its booking intent `payment_without_reservation_after_seconds` after "
     "succeeded_at (else created_at); historical when that is older than "
     "`payment_without_reservation_lookback_seconds`",
     &PaymentWithoutReservation},
    {{"stuck_payment", "P2", "payment", "002 P2: Payment Stuck in Processing", "poll_payment_status", false, true},
     {{{Id::kPayments, "status, created_at"}}},
     {&T::stuck_payment_after, &T::repeat_interval},
     "'processing' more than `stuck_payment_after_seconds` after created_at; the command repeats every "
     "`repeat_seconds` while it fires",
     &StuckPayment},
    {{"pix_pending", "P2", "payment", "002 P2: PIX Paid but Not Confirmed", "poll_payment_status", false, true},
     {{{Id::kPayments, "method, status, created_at"}}},
     {&T::pix_pending_after, &T::repeat_interval},
     "method 'pix', 'pending' more than `pix_pending_after_seconds` after created_at; the command repeats every "
     "`repeat_seconds` while it fires",
     &PixPending},
    {{"double_charge", "P2", "booking_intent", "002 P2: Double Charge", "refund_duplicate_charge", true},
     {{{Id::kPayments, "booking_intent_id, status, amount, succeeded_at"}}},
     {&T::double_charge_lookback},
     "more than one 'succeeded' payment for one booking intent (the command refunds the latest); historical when the "
     "latest success is older than `double_charge_lookback_seconds`",
     &DoubleCharge},
    {{"overbooking", "P1", "unit", "002 P1: Overbooking Detected", "block_unit_availability", false},
     {{{Id::kReservations, "unit_id, check_in, check_out, status"},
       {Id::kAvailabilityCalendar, "unit_id, date, allotment"}}},
     {},
     "on some date ≥ today in `business_timezone`, active reservations > allotment (1 without a calendar row); "
     "resolves with reason date_passed when only past dates still are",
     &Overbooking},
    {{"calendar_drift", "P2", "unit_date", "002 P1: Overbooking Detected, step 4", "recalculate_availability", false},
     {{{Id::kReservations, "unit_id, check_in, check_out, status"},
       {Id::kAvailabilityCalendar, "unit_id, date, bookings_count"}}},
     {},
     "the calendar row's bookings_count ≠ active reservations on that date, for a date ≥ today in "
     "`business_timezone`",
     &CalendarDrift},
    {{"calendar_overcommitted", "P2", "unit_date", "002 P1: Overbooking Detected, step 1", "block_unit_availability",
      false},
     {{{Id::kAvailabilityCalendar, "unit_id, date, allotment, bookings_count, temp_holds"}}},
     {},
     "bookings_count + temp_holds > allotment on the calendar row, for a date ≥ today in `business_timezone`",
     &CalendarOvercommitted},
    {{"failed_payment_rate", "P2", "provider", "002 P2: High Rate of Failed Payments", nullptr, false},
     {{{Id::kPayments, "provider, status, created_at, error_code"}}},
     {&T::payment_rate_window, &T::payment_rate_min_settled, &T::payment_success_rate_percent},
     "success rate < `payment_success_rate_percent` % over the payments created in the last "
     "`payment_rate_window_seconds`, with ≥ `payment_rate_min_settled` of them settled; a 'failed' one whose "
     "error_code is in `benign_error_codes` is settled but not failed",
     &FailedPaymentRate},
    {{"webhook_failures", "P1", "provider", "002 P1: Webhook Down", nullptr, false},
     {{{Id::kProcessedWebhooks, "provider, status, received_at"}}},
     {&T::webhook_window, &T::webhook_failures_threshold, &T::webhook_processing_after, &T::webhook_failures_lookback},
     "≥ `webhook_failures_threshold` 'failed' webhooks received in the last `webhook_window_seconds`, or one "
     "'processing' more than `webhook_processing_after_seconds`; historical when it fires only for 'processing' "
     "webhooks all received longer ago than `webhook_failures_lookback_seconds`",
     &WebhookFailures},
    {{"webhook_silence", "P1", "provider", "002 P1: Webhook Down", nullptr, false},
     {{{Id::kPayments, "provider, method, status, created_at"}, {Id::kProcessedWebhooks, "provider, received_at"}}},
     {&T::webhook_silence_pending_after, &T::webhook_silence_min_payments, &T::webhook_silence_window},
     "≥ `webhook_silence_min_payments` of the provider's 'card' payments still 'pending' or 'processing' "
     "`webhook_silence_pending_after_seconds` after created_at, and none of its webhooks received in the last "
     "`webhook_silence_window_seconds`",
     &WebhookSilence},
    // pg_cron (CONTRACT 3.1, runbook 000 section 5): only where the extension is installed
    {{"cron_job_failed", "P2", "cron_job", "000 section 5.2", nullptr, false},
     {{{Id::kCronJob, "jobid, jobname, schedule, command, active"},
       {Id::kCronJobRunDetails, "runid, jobid, status, return_message, start_time"}}},
     {},
     "the active job's latest finished run (by runid) ended 'failed'; resolves at its next 'succeeded' run",
     &CronJobFailed},
    {{"cron_job_slow", "P3", "cron_job", "000 section 5.2", nullptr, false},
     {{{Id::kCronJob, "jobid, jobname, schedule, command, active"},
       {Id::kCronJobRunDetails, "runid, jobid, status, start_time, end_time"}}},
     {&T::cron_slow_after},
     "the active job's latest finished run took more than `cron_slow_after_seconds` (end_time - start_time)",
     &CronJobSlow},
    {{"cron_job_missed", "P2", "cron_job", "000 section 5.1", nullptr, false},
     {{{Id::kCronJob, "jobid, jobname, schedule, command, active"},
       {Id::kCronJobRunDetails, "runid, jobid, start_time"}}},
     {},
     "the active job has not started a run for more than 2 × its schedule's interval (the longer of the two gaps "
     "after the last start) since its last start, or since walguard first saw it; UTC, as pg_cron by default",
     &CronJobMissed},
    // walguard's own
    {{"replication_lag", "P2", "slot", "walguard README: Operations, replication lag", nullptr, false},
     {},
     {&T::replication_lag_bytes, &T::replication_lag_after},
     "the server's WAL is more than `replication_lag_bytes` past the slot's confirmed_flush_lsn, or the WAL clock "
     "more than `replication_lag_seconds` behind the server's clock",
     OwnCheck{"the slot monitor (replication_lag.h)"}},
    {{"state_disk_low", "P2", "state_dir", "walguard README: Failures", nullptr, false},
     {},
     {},
     "the filesystem of the state directory has less than `[state] disk_low_bytes` free (default: the smaller of "
     "1 GiB and 5 % of the filesystem); resolves above that plus a quarter; the entity id is the state directory",
     OwnCheck{"the state's disk watch (state_disk_low.h)"}},
    {{"rule_disabled", "P1", "rule", "walguard README: Schema changes and bad input", nullptr, false},
     {},
     {},
     "a row of a table the rule reads no longer fits the schema (column dropped, renamed or retyped); the entity id "
     "is the disabled rule; resolves only when `walguard run --resnapshot` rebuilds the state",
     OwnCheck{"the schema guard (schema_guard.h)"}},
};

constexpr const AlertType& AlertOf(std::string_view type) {
  for (const Rule& rule : kRules) {
    if (std::string_view(rule.alert.type) == type) return rule.alert;
  }
  throw "no such rule";  // in a constant expression: a compile error
}

template <typename Facts>
Status EvaluateRules(ApplyContext* ctx, const std::string& id) {
  Facts facts;
  WG_RETURN_IF_ERROR(LoadFacts(ctx, id, &facts));
  const EntityRef ref{facts.id, facts.event_id};
  // The context is read once, and only for an alert that fires or resolves:
  // most evaluations change nothing and must stay cheap.
  std::string context;
  for (const Rule& rule : kRules) {
    const auto* predicate = std::get_if<Predicate<Facts>>(&rule.predicate);
    if (predicate == nullptr) continue;
    Verdict v = (*predicate)(facts, *ctx->thresholds);
    const bool changes =
        !ctx->RuleDisabled(rule.alert.type) && IsFiring(ctx->kv, Fingerprint(rule.alert, facts.id)) != v.firing;
    if (changes && context.empty()) {
      WG_RETURN_IF_ERROR(LoadContext(ctx, &facts));
      context = ContextOf(facts);
    }
    // Unchanged, ReconcileAlert reads no more than the verdict: no context is built for it.
    WG_RETURN_IF_ERROR(ReconcileAlert(ctx, ref,
                                      {&rule.alert, v.firing, std::move(v.details), std::move(v.command_args),
                                       changes ? MergeObjects(context, v.context) : std::string(), v.historical}));
  }
  return Status::OK();
}

struct KindOfPredicate {
  std::optional<EntityKind> operator()(OwnCheck) const { return std::nullopt; }
  template <typename Facts>
  std::optional<EntityKind> operator()(Predicate<Facts>) const {
    return Facts::kKind;
  }
};

struct EvaluateKind {
  ApplyContext* ctx;
  const std::string& id;
  Status operator()(OwnCheck) const { return Status::OK(); }
  template <typename Facts>
  Status operator()(Predicate<Facts>) const {
    return EvaluateRules<Facts>(ctx, id);
  }
};

}  // namespace

// The name table.
constinit const AlertType& kStuckHolds = AlertOf("stuck_holds");
constinit const AlertType& kTierReservedDrift = AlertOf("tier_reserved_drift");
constinit const AlertType& kTierIssuedDrift = AlertOf("tier_issued_drift");
constinit const AlertType& kHighReserved = AlertOf("high_reserved");
constinit const AlertType& kFalseSoldOut = AlertOf("false_sold_out");
constinit const AlertType& kNegativeAvailable = AlertOf("negative_available");
constinit const AlertType& kStalePendingOrders = AlertOf("stale_pending_orders");
constinit const AlertType& kPaidWithoutTickets = AlertOf("paid_without_tickets");
constinit const AlertType& kOrderOverissued = AlertOf("order_overissued");
constinit const AlertType& kRevenueMismatch = AlertOf("revenue_mismatch");
constinit const AlertType& kLedgerImbalance = AlertOf("ledger_imbalance");
constinit const AlertType& kOverbooking = AlertOf("overbooking");
constinit const AlertType& kCalendarDrift = AlertOf("calendar_drift");
constinit const AlertType& kPaymentWithoutReservation = AlertOf("payment_without_reservation");
constinit const AlertType& kStuckPayment = AlertOf("stuck_payment");
constinit const AlertType& kPixPending = AlertOf("pix_pending");
constinit const AlertType& kDoubleCharge = AlertOf("double_charge");
constinit const AlertType& kFailedPaymentRate = AlertOf("failed_payment_rate");
constinit const AlertType& kWebhookFailures = AlertOf("webhook_failures");
constinit const AlertType& kWebhookSilence = AlertOf("webhook_silence");
constinit const AlertType& kCalendarOvercommitted = AlertOf("calendar_overcommitted");
constinit const AlertType& kCronJobFailed = AlertOf("cron_job_failed");
constinit const AlertType& kCronJobSlow = AlertOf("cron_job_slow");
constinit const AlertType& kCronJobMissed = AlertOf("cron_job_missed");
constinit const AlertType& kReplicationLag = AlertOf("replication_lag");
constinit const AlertType& kStateDiskLow = AlertOf("state_disk_low");
constinit const AlertType& kRuleDisabled = AlertOf("rule_disabled");

std::span<const Rule> Rules() {
  return kRules;
}

const Rule* RuleOfType(std::string_view type) {
  for (const Rule& rule : kRules) {
    if (rule.alert.type == type) return &rule;
  }
  return nullptr;
}

std::optional<EntityKind> EvaluatedFor(const Rule& rule) {
  return std::visit(KindOfPredicate{}, rule.predicate);
}

Status EvaluateEntity(ApplyContext* ctx, EntityKind kind, const std::string& id) {
  // The first row of the kind names its facts; EvaluateRules takes every row.
  for (const Rule& rule : kRules) {
    if (EvaluatedFor(rule) == kind) return std::visit(EvaluateKind{ctx, id}, rule.predicate);
  }
  return Status::OK();  // kProviderWebhooks: an aggregate tag, never evaluated
}

}  // namespace walguard

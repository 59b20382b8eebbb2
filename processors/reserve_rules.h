// The ten Reserve Connect rules of contract section 3 (runbook 002),
// evaluated for one entity at a time on the WAL clock.
#pragma once

#include <string>

#include "processors/alerts.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

extern const AlertType kLedgerImbalance;
extern const AlertType kOverbooking;
extern const AlertType kCalendarDrift;
extern const AlertType kPaymentWithoutReservation;
extern const AlertType kStuckPayment;
extern const AlertType kPixPending;
extern const AlertType kDoubleCharge;
extern const AlertType kFailedPaymentRate;
extern const AlertType kWebhookFailures;

Status EvaluatePayment(ApplyContext* ctx, const std::string& payment_id);          // 3 payment rules
Status EvaluateBookingIntent(ApplyContext* ctx, const std::string& intent_id);     // double_charge
Status EvaluateUnit(ApplyContext* ctx, const std::string& unit_id);                // overbooking
Status EvaluateUnitDate(ApplyContext* ctx, const std::string& unit_date_id);       // calendar_drift
Status EvaluateProvider(ApplyContext* ctx, const std::string& provider);           // rate + webhooks
Status EvaluateLedgerTransaction(ApplyContext* ctx, const std::string& txn_id);    // ledger_imbalance

}  // namespace walguard

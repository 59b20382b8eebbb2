// The Reserve Connect rules of docs/reference.md section 3 (runbook 002): one
// predicate per rule over the facts of its entity (reserve_facts.h). Their
// rows - type, severity, tables read, thresholds - are in rule_registry.cc.
#pragma once

#include "config/thresholds.h"
#include "processors/alerts.h"
#include "processors/reserve_facts.h"
#include "processors/rule_util.h"

namespace walguard {

extern const AlertType& kLedgerImbalance;
extern const AlertType& kOverbooking;
extern const AlertType& kCalendarDrift;
extern const AlertType& kPaymentWithoutReservation;
extern const AlertType& kStuckPayment;
extern const AlertType& kPixPending;
extern const AlertType& kDoubleCharge;
extern const AlertType& kFailedPaymentRate;
extern const AlertType& kWebhookFailures;
extern const AlertType& kWebhookSilence;
extern const AlertType& kCalendarOvercommitted;

Verdict LedgerImbalance(const LedgerTransactionFacts& f, const Thresholds& t);

Verdict PaymentWithoutReservation(const PaymentFacts& f, const Thresholds& t);
Verdict StuckPayment(const PaymentFacts& f, const Thresholds& t);
Verdict PixPending(const PaymentFacts& f, const Thresholds& t);

Verdict DoubleCharge(const BookingIntentFacts& f, const Thresholds& t);

Verdict Overbooking(const UnitFacts& f, const Thresholds& t);

// The calendar rules consider only dates >= f.today (business_day.h); an
// offence on a passed date does not fire and resolves a firing alert with
// details.reason "date_passed".
Verdict CalendarDrift(const UnitDateFacts& f, const Thresholds& t);
Verdict CalendarOvercommitted(const UnitDateFacts& f, const Thresholds& t);

Verdict FailedPaymentRate(const ProviderFacts& f, const Thresholds& t);
Verdict WebhookFailures(const ProviderFacts& f, const Thresholds& t);
Verdict WebhookSilence(const ProviderFacts& f, const Thresholds& t);

}  // namespace walguard

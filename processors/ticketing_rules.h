// The ticketing rules of docs/reference.md section 3 (runbook 000): one predicate per
// rule over the facts of its entity (ticketing_facts.h). Their rows - type,
// severity, tables read, thresholds - are in rule_registry.cc.
#pragma once

#include "config/thresholds.h"
#include "processors/alerts.h"
#include "processors/rule_util.h"
#include "processors/ticketing_facts.h"

namespace walguard {

extern const AlertType& kStuckHolds;
extern const AlertType& kTierReservedDrift;
extern const AlertType& kTierIssuedDrift;
extern const AlertType& kHighReserved;
extern const AlertType& kFalseSoldOut;
extern const AlertType& kNegativeAvailable;
extern const AlertType& kStalePendingOrders;
extern const AlertType& kPaidWithoutTickets;
extern const AlertType& kOrderOverissued;
extern const AlertType& kRevenueMismatch;

Verdict StuckHolds(const TierFacts& f, const Thresholds& t);
Verdict TierReservedDrift(const TierFacts& f, const Thresholds& t);
Verdict TierIssuedDrift(const TierFacts& f, const Thresholds& t);
Verdict HighReserved(const TierFacts& f, const Thresholds& t);
Verdict FalseSoldOut(const TierFacts& f, const Thresholds& t);
Verdict NegativeAvailable(const TierFacts& f, const Thresholds& t);

Verdict PaidWithoutTickets(const OrderFacts& f, const Thresholds& t);
Verdict OrderOverissued(const OrderFacts& f, const Thresholds& t);
Verdict RevenueMismatch(const OrderFacts& f, const Thresholds& t);

Verdict StalePendingOrders(const EventFacts& f, const Thresholds& t);

}  // namespace walguard

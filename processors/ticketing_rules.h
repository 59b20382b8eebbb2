// The ten ticketing rules of contract section 3 (runbook 000), evaluated for
// one entity at a time against its row image and aggregates, on the WAL clock.
#pragma once

#include <string>
#include <vector>

#include "processors/alerts.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

extern const AlertType kStuckHolds;
extern const AlertType kTierReservedDrift;
extern const AlertType kTierIssuedDrift;
extern const AlertType kHighReserved;
extern const AlertType kFalseSoldOut;
extern const AlertType kNegativeAvailable;
extern const AlertType kStalePendingOrders;
extern const AlertType kPaidWithoutTickets;
extern const AlertType kOrderOverissued;
extern const AlertType kRevenueMismatch;

// Evaluates every rule of the entity and emits the transitions.
Status EvaluateTier(ApplyContext* ctx, const std::string& tier_id);
Status EvaluateOrder(ApplyContext* ctx, const std::string& order_id);
Status EvaluateEvent(ApplyContext* ctx, const std::string& event_id);

}  // namespace walguard

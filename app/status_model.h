// StatusModel: what the status page (`walguard run --http`, `/` and
// `/api/status`) shows, as a pure function of the state's keys, so it is
// tested on a MemoryKv and served from a read-only view of RocksDB.
//
// Per event, runbook 000's event_health made live (section 1.1) with the
// tier snapshot of step 1.2:
//
//   health_score = suspicious_high_reserved_tiers + stale_pending_orders
//                + paid_orders_missing_tickets + drifted_tiers
//                + negative_available_tiers
//
//   suspicious_high_reserved_tiers  tiers with reserved_quantity > 30 % of quantity
//   stale_pending_orders            pending orders older than the rule's bound (EventAgg)
//   paid_orders_missing_tickets     the event's orders with paid_without_tickets firing
//   drifted_tiers                   tiers whose reserved_quantity differs from their
//                                   active holds, or issued_quantity from their tickets
//   negative_available_tiers        tiers with quantity - reserved - issued < 0
//
// so 0 means healthy and the fix of any of these brings it back to 0.
// Per tier: capacity, reserved, issued, available, percent sold and the
// runbook's health status (HIGH_RESERVED, NEGATIVE_AVAILABLE, SOLD_OUT, OK).
// Per unit, the nights overbooked ('O' keys). The firing set with each
// alert's severity and runbook section (rule_registry.h).
//
// Bounded on a large database: at most kMaxTierScan tiers and
// kMaxFiringScan firing alerts are read per call (the model says when it
// stopped short), and events, alerts and units are pages of the query's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/kv.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

inline constexpr size_t kMaxTierScan = 20'000;
inline constexpr size_t kMaxFiringScan = 2'000;
inline constexpr size_t kMaxOverbookedScan = 5'000;

struct StatusQuery {
  size_t event_offset = 0;
  size_t event_limit = 20;  // events, worst health first
  size_t alert_offset = 0;
  size_t alert_limit = 50;
  size_t unit_limit = 50;
};

struct TierStatus {
  std::string id;
  int64_t capacity = 0;
  int64_t reserved = 0;
  int64_t issued = 0;
  int64_t available = 0;
  double percent_sold = 0;  // issued / capacity * 100, one decimal; 0 without capacity
  std::string status;       // HIGH_RESERVED, NEGATIVE_AVAILABLE, SOLD_OUT or OK
  int64_t active_hold_quantity = 0;
  int64_t stuck_holds = 0;
  int64_t counting_tickets = 0;
};

struct EventHealth {
  std::string event_id;
  int64_t health_score = 0;
  int64_t suspicious_high_reserved_tiers = 0;
  int64_t stale_pending_orders = 0;
  int64_t paid_orders_missing_tickets = 0;
  int64_t drifted_tiers = 0;
  int64_t negative_available_tiers = 0;
  std::vector<TierStatus> tiers;  // in tier id order
};

struct FiringStatus {
  std::string fingerprint;
  std::string alert_id;
  std::string type;
  std::string severity;  // "" for a type this binary does not know
  std::string runbook;
  std::string entity_kind;
  std::string entity_id;
  std::string event_id;  // when the entity belongs to an event
};

struct UnitOverbooked {
  std::string unit_id;
  std::vector<std::string> dates;  // YYYY-MM-DD, ascending
};

struct StatusModel {
  Micros wal_clock = 0;                // 0: no step applied yet
  std::vector<EventHealth> events;     // the page asked for
  size_t events_total = 0;             // events seen in the tiers read
  bool tiers_truncated = false;        // kMaxTierScan reached
  std::vector<FiringStatus> firing;    // the page asked for, fingerprint order
  size_t firing_total = 0;             // in the firing set (up to kMaxFiringScan)
  std::vector<UnitOverbooked> units;   // at most unit_limit
  size_t overbooked_nights_total = 0;  // up to kMaxOverbookedScan
};

// Reads the state through `kv` (nothing is written).
Status BuildStatusModel(KvTxn* kv, const StatusQuery& query, StatusModel* out);

// The firing set, at most kMaxFiringScan entries in fingerprint order.
Status ReadFiringSet(KvTxn* kv, std::vector<FiringStatus>* firing);

// The runbook's health status of one tier (step 1.2's CASE, in its order).
std::string TierHealthStatus(int64_t capacity, int64_t reserved, int64_t issued);

// One JSON object: {"wal_clock", "events":[...], "events_total", "tiers_truncated",
// "firing":[...], "firing_total", "units":[...], "overbooked_nights_total"}.
std::string StatusModelJson(const StatusModel& model);

}  // namespace walguard

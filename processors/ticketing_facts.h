// What the ticketing rules (runbook 000) know of one entity: its row image
// and aggregates, read once per evaluation by the entity's facts loader and
// then handed to every rule of the entity (rule_registry.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/entity_kind.h"
#include "processors/aggregates.h"
#include "processors/apply_context.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct TierFacts {
  static constexpr EntityKind kKind = EntityKind::kTier;
  std::string id;
  std::string event_id;  // "" while the tier row is unknown
  bool exists = false;   // the tier row is stored; no rule fires without it
  int64_t quantity = 0, reserved = 0, issued = 0;
  TierAgg agg;
  std::string event_args;  // {"event_id":...}: the command args of most tier rules
  // The earliest expires_at of its stuck holds, for stuck_holds' context.
  bool has_oldest_stuck = false;
  Micros oldest_stuck = 0;
  // Context (CONTRACT 3.1); nullopt: unknown, shown as null.
  std::optional<std::string> tier_name;
  std::optional<int64_t> price_cents;
  std::optional<std::string> event_title;  // LoadContext

  int64_t available() const { return quantity - reserved - issued; }
};

struct OrderFacts {
  static constexpr EntityKind kKind = EntityKind::kOrder;
  std::string id;
  std::string event_id;
  bool paid = false;
  int64_t total_cents = 0;
  // paid_at, else created_at: when paid_without_tickets starts counting.
  bool has_since = false;
  Micros since = 0;
  Micros now = 0;  // the WAL clock
  OrderAgg agg;
  // Context (CONTRACT 3.1); nullopt: unknown, shown as null.
  bool exists = false;       // the order row is stored
  bool has_paid_at = false;  // paid_at is known: it is `since`
  std::optional<std::string> user_id;
  std::optional<std::string> paid_at;      // LoadContext
  std::optional<std::string> event_title;  // LoadContext
};

struct EventFacts {
  static constexpr EntityKind kKind = EntityKind::kEvent;
  std::string id;
  std::string event_id;  // the id itself
  EventAgg agg;
  std::optional<std::string> event_title;  // LoadContext
};

Status LoadFacts(ApplyContext* ctx, const std::string& id, TierFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, OrderFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, EventFacts* out);

// What only the context needs beyond the facts (an event's title): read
// when an alert of the entity fires or resolves, never on every evaluation
// (rule_registry.cc, EvaluateRules).
Status LoadContext(ApplyContext* ctx, TierFacts* f);
Status LoadContext(ApplyContext* ctx, OrderFacts* f);
Status LoadContext(ApplyContext* ctx, EventFacts* f);

// The alert's `context` (CONTRACT 3.1): a JSON object of the names and ids the
// on-call engineer acts on, null where unknown (alert_context.cc).
std::string ContextOf(const TierFacts& f);
std::string ContextOf(const OrderFacts& f);
std::string ContextOf(const EventFacts& f);

}  // namespace walguard

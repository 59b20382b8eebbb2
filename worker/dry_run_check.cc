#include "worker/dry_run_check.h"

#include <set>

#include "worker/json_fields.h"

namespace walguard {

namespace {

constexpr const char* kTierAlerts =
    "tier_reserved_drift,tier_issued_drift,false_sold_out,negative_available,stuck_holds";

bool Listed(std::string_view list, std::string_view type) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(start, end - start) == type) return true;
    start = end + 1;
  }
  return false;
}

bool InScope(const DryRunBound& b, const AlertMessage& cause, const AlertMessage& a) {
  if (!Listed(b.alert_types, a.type)) return false;
  if (b.scope == BoundScope::kEvent) return !cause.event_id.empty() && a.event_id == cause.event_id;
  return a.entity_kind == cause.entity_kind && a.entity_id == cause.entity_id;
}

// The bound and a few words on where it comes from.
int64_t Bound(const DryRunBound& b, const AlertMessage& cause, const std::vector<const AlertMessage*>& firing,
              std::string* why) {
  const char* scope = b.scope == BoundScope::kEvent ? "the event" : "the entity";
  if (b.kind == BoundKind::kConstant) {
    *why = "at most " + std::to_string(b.constant) + " per command";
    return b.constant;
  }
  int64_t sum = 0;
  std::set<std::string> entities;
  for (const AlertMessage* a : firing) {
    if (!InScope(b, cause, *a)) continue;
    entities.insert(a->entity_kind + ":" + a->entity_id);
    JsonFields details;
    if (b.kind == BoundKind::kSumOfFigure && JsonFields::Parse(a->details_json, &details).ok()) {
      sum += details.Int(b.detail).value_or(0);
    }
  }
  if (b.kind == BoundKind::kCountEntities) {
    *why = "entities of " + std::string(scope) + " with a firing " + b.alert_types + " alert";
    return static_cast<int64_t>(entities.size());
  }
  *why = "sum of " + std::string(b.detail) + " over the firing " + b.alert_types + " alerts of " + scope;
  return sum;
}

}  // namespace

const std::vector<DryRunBound>& DryRunBounds() {
  using K = BoundKind;
  using S = BoundScope;
  static const std::vector<DryRunBound> kBounds = {
      {"cleanup_expired_ticket_holds", "holds_affected", K::kSumOfFigure, 0, S::kEvent, "stuck_holds", "active_holds"},
      {"cleanup_expired_ticket_holds", "tiers_updated", K::kCountEntities, 0, S::kEvent, "stuck_holds"},
      {"reconcile_event_tickets", "tiers_updated", K::kCountEntities, 0, S::kEvent, kTierAlerts},
      {"reconcile_issued_quantity", "tiers_updated", K::kConstant, 1},
      {"expire_pending_orders", "orders_affected", K::kSumOfFigure, 0, S::kEntity, "stale_pending_orders",
       "stale_pending_orders"},
      {"ensure_tickets", "tickets_created", K::kSumOfFigure, 0, S::kEntity, "paid_without_tickets", "items_quantity"},
      {"ensure_tickets", "tiers_updated", K::kSumOfFigure, 0, S::kEntity, "paid_without_tickets", "items_quantity"},
      // An overbooking alert names the first date only; a year of dates is
      // the most one command may block.
      {"block_unit_availability", "dates_blocked", K::kConstant, 366},
      {"recalculate_availability", "rows_updated", K::kConstant, 1},
      {"finalize_reservation", "reservations_created", K::kConstant, 1},
      {"poll_payment_status", "checks_requested", K::kConstant, 1},
      {"refund_duplicate_charge", "payments_refunded", K::kConstant, 1},
  };
  return kBounds;
}

DryRunVerdict CheckDryRun(std::string_view command_type, std::string_view report_json, const AlertMessage& cause,
                          const std::vector<const AlertMessage*>& firing) {
  JsonFields report;
  if (!JsonFields::Parse(report_json, &report).ok()) return {false, "the dry run's report is not a JSON object"};
  for (const DryRunBound& b : DryRunBounds()) {
    if (command_type != b.command_type) continue;
    std::optional<int64_t> figure = report.Int(b.report_figure);
    if (!figure) continue;
    std::string why;
    const int64_t bound = Bound(b, cause, firing, &why);
    if (*figure > bound) {
      return {false, std::string(b.report_figure) + " " + std::to_string(*figure) + " > " + std::to_string(bound) +
                         " (" + why + ")"};
    }
  }
  return {};
}

}  // namespace walguard

// The ticketing rules' cases, run by ticketing_rules_test.cc: the ids and
// row helpers they share, and the two halves of the cases - the tier rules
// (ticketing_tier_cases.cc) and the order and event rules with the dead
// letters (ticketing_order_cases.cc).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test::ticketing {

// Expectations: the shared table-driven DSL (rule_test_util.h).
using cases::Command;
using cases::DeadLetter;
using cases::Describe;
using cases::Expect;
using cases::ExpectMessages;
using cases::Figures;
using cases::Fires;
using cases::Resolves;
using cases::RuleCase;
using cases::StepCase;

inline const std::string E1 = EventId(1);
inline const std::string E2 = EventId(2);
inline const std::string T1 = TierId(1);
inline std::string H(int n) {
  return HoldId(n);
}
inline std::string O(int n) {
  return OrderId(n);
}
inline std::string I(int n) {
  return ItemId(n);
}
inline std::string K(int n) {
  return TicketId(n);
}
// Tickets whose order is not monitored here (tier accounting only).
inline const std::string kOtherOrder = OrderId(999);

inline Change InsTier(int64_t quantity, int64_t reserved, int64_t issued) {
  return Insert("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued));
}
// A change to the tier that touches no column the rules read.
inline Change TouchTier(Micros updated_at, int64_t quantity, int64_t reserved, int64_t issued) {
  return Update("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued, updated_at));
}
// UPDATE carrying only the key and the changed column, as for TOASTed rows.
inline Change SetTier(const std::string& column, int64_t value) {
  return Update("ticket_tiers", {Col("id", T1), Col(column, value)});
}
inline Change InsHold(int n, int64_t quantity, Micros expires_at, std::string_view status = "active") {
  return Insert("ticket_holds", HoldRow(H(n), T1, quantity, status, expires_at));
}
inline Change SetHoldStatus(int n, std::string_view status) {
  return Update("ticket_holds", {Col("id", H(n)), Col("status", std::string(status))});
}
inline Change InsTicket(int n, const std::string& order_id, std::string_view status = "issued") {
  return Insert("tickets", TicketRow(K(n), order_id, T1, status));
}
inline Change SetTicketStatus(int n, std::string_view status) {
  return Update("tickets", {Col("id", K(n)), Col("status", std::string(status))});
}
inline std::vector<Change> InsTickets(int first, int count, const std::string& order_id) {
  std::vector<Change> out;
  for (int n = first; n < first + count; ++n) out.push_back(InsTicket(n, order_id));
  return out;
}
inline Change InsOrder(int n, std::string_view status, int64_t total, Micros created_at,
                       std::optional<Micros> paid_at = std::nullopt, const std::string& event_id = E1) {
  return Insert("orders", OrderRow(O(n), event_id, status, total, created_at, paid_at));
}
inline Change InsItem(int n, int order, int64_t quantity, int64_t unit_price) {
  return Insert("order_items", ItemRow(I(n), O(order), T1, quantity, unit_price));
}
inline Change SetOrder(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", O(n)));
  return Update("orders", std::move(columns));
}

inline std::vector<Change> Cat(std::initializer_list<std::vector<Change>> parts) {
  std::vector<Change> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Thresholds With(void (*set)(Thresholds*)) {
  Thresholds t;
  set(&t);
  return t;
}

// stuck_holds, the tier drifts, high_reserved, false_sold_out, negative_available.
std::vector<RuleCase> TierRuleCases();
// stale_pending_orders, paid_without_tickets, order_overissued, revenue_mismatch, dead letters.
std::vector<RuleCase> OrderRuleCases();

}  // namespace walguard::rule_test::ticketing

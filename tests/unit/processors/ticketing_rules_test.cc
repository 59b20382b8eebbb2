// The ten ticketing rules (docs/reference.md section 3), table-driven: each case is a
// sequence of steps (source transactions or WAL-clock ticks) with the exact
// alert transitions, commands and dead letters each step must emit.
//
// Besides the listed expectations, every case is checked against the message
// contract by the harness (fingerprint, severity, firing/resolved pairing with
// one alert_id, command caused_by = alert_id, ...) and replayed on a fresh
// MemoryKv, which must give byte-identical messages (stable ids).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

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

// ---------------------------------------------------------------------------
// Fixtures: ids and row helpers

const std::string E1 = EventId(1);
const std::string E2 = EventId(2);
const std::string T1 = TierId(1);
std::string H(int n) {
  return HoldId(n);
}
std::string O(int n) {
  return OrderId(n);
}
std::string I(int n) {
  return ItemId(n);
}
std::string K(int n) {
  return TicketId(n);
}
// Tickets whose order is not monitored here (tier accounting only).
const std::string kOtherOrder = OrderId(999);

Change InsTier(int64_t quantity, int64_t reserved, int64_t issued) {
  return Insert("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued));
}
// A change to the tier that touches no column the rules read.
Change TouchTier(Micros updated_at, int64_t quantity, int64_t reserved, int64_t issued) {
  return Update("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued, updated_at));
}
// UPDATE carrying only the key and the changed column, as for TOASTed rows.
Change SetTier(const std::string& column, int64_t value) {
  return Update("ticket_tiers", {Col("id", T1), Col(column, value)});
}
Change InsHold(int n, int64_t quantity, Micros expires_at, std::string_view status = "active") {
  return Insert("ticket_holds", HoldRow(H(n), T1, quantity, status, expires_at));
}
Change SetHoldStatus(int n, std::string_view status) {
  return Update("ticket_holds", {Col("id", H(n)), Col("status", std::string(status))});
}
Change InsTicket(int n, const std::string& order_id, std::string_view status = "issued") {
  return Insert("tickets", TicketRow(K(n), order_id, T1, status));
}
Change SetTicketStatus(int n, std::string_view status) {
  return Update("tickets", {Col("id", K(n)), Col("status", std::string(status))});
}
std::vector<Change> InsTickets(int first, int count, const std::string& order_id) {
  std::vector<Change> out;
  for (int n = first; n < first + count; ++n) out.push_back(InsTicket(n, order_id));
  return out;
}
Change InsOrder(int n, std::string_view status, int64_t total, Micros created_at,
                std::optional<Micros> paid_at = std::nullopt, const std::string& event_id = E1) {
  return Insert("orders", OrderRow(O(n), event_id, status, total, created_at, paid_at));
}
Change InsItem(int n, int order, int64_t quantity, int64_t unit_price) {
  return Insert("order_items", ItemRow(I(n), O(order), T1, quantity, unit_price));
}
Change SetOrder(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", O(n)));
  return Update("orders", std::move(columns));
}

std::vector<Change> Cat(std::initializer_list<std::vector<Change>> parts) {
  std::vector<Change> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Thresholds With(void (*set)(Thresholds*)) {
  Thresholds t;
  set(&t);
  return t;
}

// ---------------------------------------------------------------------------
// The cases

std::vector<RuleCase> StuckHoldsCases() {
  const Expect cleanup = Command("cleanup_expired_ticket_holds", "stuck_holds", T1, {{"event_id", E1}});
  return {
      {"StuckHolds_FiresFromTheClockAlone",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(10))}), {}},
           {Clock(At(10)), {}},  // expired, but not yet 5 min past
           {Clock(At(15)), {}},  // exactly 5 min past is not "more than"
           {Clock(At(15, 0, 1)),
            {Fires("stuck_holds", T1, {{"stuck_holds", "1"}, {"active_hold_quantity", "5"}}), cleanup}},
           {Txn(At(16), {TouchTier(At(16), 100, 5, 0)}), {}},  // unrelated change: no repeat
           {Clock(At(30)), {}},
           {Txn(At(31), {SetHoldStatus(1, "expired"), SetTier("reserved_quantity", 0)}), {Resolves("stuck_holds", T1)}},
       }},
      {"StuckHolds_HoldWrittenOverdueFiresAtOnce",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(-6))}),
            {Fires("stuck_holds", T1, {{"stuck_holds", "1"}}), cleanup}},
           {Txn(At(1), {InsHold(2, 3, At(-10)), SetTier("reserved_quantity", 8)}), {}},  // 2 stuck: no repeat
           {Txn(At(2), {SetHoldStatus(1, "expired"), SetTier("reserved_quantity", 3)}), {}},
           {Txn(At(3), {Delete("ticket_holds", Id(H(2))), SetTier("reserved_quantity", 0)}),
            {Resolves("stuck_holds", T1)}},
       }},
      {"StuckHolds_CleanupInTheDeadlineTransactionEmitsNothing",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(10))}), {}},
           // The commit is past the deadline, but the same transaction releases the hold.
           {Txn(At(20), {SetHoldStatus(1, "released"), SetTier("reserved_quantity", 0)}), {}},
           {Clock(At(40)), {}},
       }},
      {"StuckHolds_ThresholdFromConfig",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(10))}), {}},
           {Clock(At(11)), {}},
           {Clock(At(11, 0, 1)), {Fires("stuck_holds", T1), cleanup}},
       },
       With([](Thresholds* t) { t->stuck_hold_after = 1 * kMicrosPerMinute; })},
  };
}

std::vector<RuleCase> ReservedDriftCases() {
  const Expect reconcile = Command("reconcile_event_tickets", "tier_reserved_drift", T1, {{"event_id", E1}});
  const Expect cleanup = Command("cleanup_expired_ticket_holds", "stuck_holds", T1, {{"event_id", E1}});
  return {
      {"TierReservedDrift_PartialUpdateMergesIntoStoredImage",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(60))}), {}},
           // Only id + status, as wal2json writes an UPDATE leaving unchanged TOASTed columns out.
           {Txn(At(1), {SetHoldStatus(1, "converted")}),
            {Fires("tier_reserved_drift", T1,
                   {{"reserved_quantity", "5"}, {"active_hold_quantity", "0"}, {"difference", "5"}}),
             reconcile}},
           {Txn(At(2), {TouchTier(At(2), 100, 5, 0)}), {}},
           {Txn(At(3), {SetTier("reserved_quantity", 0)}), {Resolves("tier_reserved_drift", T1)}},
       }},
      {"TierReservedDrift_UpdateChangingThePrimaryKey",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(60))}), {}},
           // identity holds the old key, columns the new row.
           {Txn(At(1), {Update("ticket_holds", HoldRow(H(2), T1, 5, "active", At(60)), Id(H(1)))}), {}},
           {Txn(At(2), {Delete("ticket_holds", Id(H(1)))}), {}},  // the old key is gone already
           {Txn(At(3), {Delete("ticket_holds", Id(H(2)))}),       // DELETE carries the key only
            {Fires("tier_reserved_drift", T1, {{"active_hold_quantity", "0"}}), reconcile}},
           {Txn(At(4), {SetTier("reserved_quantity", 0)}), {Resolves("tier_reserved_drift", T1)}},
       }},
      {"TierReservedDrift_HoldMovedToAnotherTier",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(60))}), {}},
           {Txn(At(1), {Update("ticket_holds", {Col("id", H(1)), Col("tier_id", TierId(2))})}),
            {Fires("tier_reserved_drift", T1, {{"active_hold_quantity", "0"}}), reconcile}},
           {Txn(At(2), {Update("ticket_holds", {Col("id", H(1)), Col("tier_id", T1)})}),
            {Resolves("tier_reserved_drift", T1)}},
       }},
      {"TruncateOfTicketHoldsResetsTierAggregates",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 2, At(-10)), InsHold(2, 3, At(60))}),
            {Fires("stuck_holds", T1), cleanup}},
           {Txn(At(1), {Truncate("ticket_holds")}),
            {Resolves("stuck_holds", T1),
             Fires("tier_reserved_drift", T1, {{"reserved_quantity", "5"}, {"active_hold_quantity", "0"}}), reconcile}},
           {Clock(At(61)), {}},  // the truncated hold's expiry no longer counts
           {Txn(At(62), {SetTier("reserved_quantity", 0)}), {Resolves("tier_reserved_drift", T1)}},
           // Counting starts again from zero.
           {Txn(At(63), {InsHold(1, 1, At(100)), SetTier("reserved_quantity", 1)}), {}},
           {Clock(At(106)),
            {Fires("stuck_holds", T1, {{"stuck_holds", "1"}, {"active_holds", "1"}, {"active_hold_quantity", "1"}}),
             cleanup}},
       }},
  };
}

std::vector<RuleCase> IssuedDriftCases() {
  const Expect reconcile = Command("reconcile_issued_quantity", "tier_issued_drift", T1, {{"tier_id", T1}});
  return {
      {"TierIssuedDrift_VoidedTicketDoesNotCount",
       {
           {Txn(At(0), Cat({{InsTier(100, 0, 2)}, InsTickets(1, 2, kOtherOrder)})), {}},
           {Txn(At(1), {SetTicketStatus(2, "void")}),
            {Fires("tier_issued_drift", T1, {{"issued_quantity", "2"}, {"counting_tickets", "1"}, {"difference", "1"}}),
             reconcile}},
           {Txn(At(2), {TouchTier(At(2), 100, 0, 2)}), {}},
           {Txn(At(3), {SetTier("issued_quantity", 1)}), {Resolves("tier_issued_drift", T1)}},
       }},
      {"TierIssuedDrift_CheckedInCountsAndDeleteRetracts",
       {
           {Txn(At(0), {InsTier(100, 0, 1), InsTicket(1, kOtherOrder, "checked_in")}), {}},
           {Txn(At(1), {Delete("tickets", Id(K(1)))}),
            {Fires("tier_issued_drift", T1, {{"counting_tickets", "0"}}), reconcile}},
           {Txn(At(2), {InsTicket(2, kOtherOrder)}), {Resolves("tier_issued_drift", T1)}},
       }},
  };
}

std::vector<RuleCase> HighReservedCases() {
  return {
      {"HighReserved_ExactlyThirtyPercentDoesNotFire",
       {
           {Txn(At(0), {InsTier(100, 30, 0), InsHold(1, 30, At(60))}), {}},
           {Txn(At(1), {InsHold(2, 1, At(60)), SetTier("reserved_quantity", 31)}),
            {Fires("high_reserved", T1,
                   {{"reserved_quantity", "31"}, {"quantity", "100"}, {"threshold_percent", "30"}})}},
           {Txn(At(2), {InsHold(3, 4, At(60)), SetTier("reserved_quantity", 35)}), {}},
           {Txn(At(2, 30), {TouchTier(At(2, 30), 100, 35, 0)}), {}},
           {Txn(At(3), {SetHoldStatus(2, "released"), SetHoldStatus(3, "released"), SetTier("reserved_quantity", 30)}),
            {Resolves("high_reserved", T1)}},
       }},
      {"HighReserved_ThresholdFromConfig",
       {
           {Txn(At(0), {InsTier(100, 31, 0), InsHold(1, 31, At(60))}), {}},
           {Txn(At(1), {InsHold(2, 19, At(60)), SetTier("reserved_quantity", 50)}), {}},
           {Txn(At(2), {InsHold(3, 1, At(60)), SetTier("reserved_quantity", 51)}),
            {Fires("high_reserved", T1, {{"threshold_percent", "50"}})}},
       },
       With([](Thresholds* t) { t->high_reserved_percent = 50; })},
  };
}

std::vector<RuleCase> FalseSoldOutCases() {
  const Expect reconcile = Command("reconcile_event_tickets", "false_sold_out", T1, {{"event_id", E1}});
  const Expect cleanup = Command("cleanup_expired_ticket_holds", "stuck_holds", T1, {{"event_id", E1}});
  return {
      // Runbook 000 section 13, scenario 1: sold out at 15 % issued, the
      // reservations all held by expired holds.
      {"FalseSoldOut_TrainingScenario",
       {
           {Txn(At(0), Cat({{InsTier(100, 85, 15), InsHold(1, 50, At(-3)), InsHold(2, 35, At(-3))},
                            InsTickets(1, 15, kOtherOrder)})),
            {Fires("high_reserved", T1),
             Fires("false_sold_out", T1,
                   {{"available", "0"},
                    {"quantity", "100"},
                    {"issued_quantity", "15"},
                    {"reserved_quantity", "85"},
                    {"unexpired_hold_quantity", "0"}}),
             reconcile}},
           {Txn(At(1), {TouchTier(At(1), 100, 85, 15)}), {}},
           {Clock(At(2, 0, 1)), {Fires("stuck_holds", T1, {{"stuck_holds", "2"}}), cleanup}},
           // cleanup_expired_ticket_holds: holds expired, reserved back to 0.
           {Txn(At(3), {SetHoldStatus(1, "expired"), SetHoldStatus(2, "expired"), SetTier("reserved_quantity", 0)}),
            {Resolves("high_reserved", T1), Resolves("false_sold_out", T1), Resolves("stuck_holds", T1)}},
       }},
      // quantity 100, reserved 85, issued 10 leaves 5 available: not sold out.
      {"FalseSoldOut_NeedsNothingAvailable",
       {
           {Txn(At(0), Cat({{InsTier(100, 85, 10), InsHold(1, 85, At(-3))}, InsTickets(1, 10, kOtherOrder)})),
            {Fires("high_reserved", T1)}},
           {Txn(At(1), Cat({InsTickets(11, 5, kOtherOrder), {SetTier("issued_quantity", 15)}})),
            {Fires("false_sold_out", T1, {{"available", "0"}}), reconcile}},
       }},
      {"FalseSoldOut_WhenHoldsExpireOnTheClock",
       {
           {Txn(At(0), Cat({{InsTier(10, 8, 2), InsHold(1, 8, At(10))}, InsTickets(1, 2, kOtherOrder)})),
            {Fires("high_reserved", T1)}},  // sold out, but the hold is still valid
           {Clock(At(9)), {}},
           {Clock(At(10, 1)), {Fires("false_sold_out", T1, {{"unexpired_hold_quantity", "0"}}), reconcile}},
           {Txn(At(11), {SetHoldStatus(1, "released"), SetTier("reserved_quantity", 0)}),
            {Resolves("high_reserved", T1), Resolves("false_sold_out", T1)}},
       }},
      {"FalseSoldOut_NotAtHalfIssued",
       {
           // issued 5 of 10 is not below 50 %.
           {Txn(At(0), Cat({{InsTier(10, 5, 5), InsHold(1, 5, At(-1))}, InsTickets(1, 5, kOtherOrder)})),
            {Fires("high_reserved", T1)}},
           {Txn(At(1), {SetTicketStatus(5, "void"), InsHold(2, 1, At(-1)), SetTier("issued_quantity", 4),
                        SetTier("reserved_quantity", 6)}),
            {Fires("false_sold_out", T1, {{"issued_quantity", "4"}, {"reserved_quantity", "6"}}), reconcile}},
       }},
  };
}

std::vector<RuleCase> NegativeAvailableCases() {
  const Expect reconcile = Command("reconcile_event_tickets", "negative_available", T1, {{"event_id", E1}});
  return {
      {"NegativeAvailable_FiresResolvesRefiresAndTierDeleteResolves",
       {
           {Txn(At(0), Cat({{InsTier(10, 0, 12)}, InsTickets(1, 12, kOtherOrder)})),
            {Fires("negative_available", T1,
                   {{"available", "-2"}, {"quantity", "10"}, {"reserved_quantity", "0"}, {"issued_quantity", "12"}}),
             reconcile}},
           {Txn(At(1), {TouchTier(At(1), 10, 0, 12)}), {}},
           {Txn(At(2), {SetTier("quantity", 12)}), {Resolves("negative_available", T1)}},          // available 0
           {Txn(At(3), {SetTier("quantity", 11)}), {Fires("negative_available", T1), reconcile}},  // a new firing
           {Txn(At(4), {Delete("ticket_tiers", Id(T1))}), {Resolves("negative_available", T1)}},
       }},
  };
}

std::vector<RuleCase> StalePendingCases() {
  const Expect expire = Command("expire_pending_orders", "stale_pending_orders", E1, {{"event_id", E1}});
  return {
      {"StalePendingOrders_ViaClock",
       {
           {Txn(At(0), {InsOrder(1, "pending", 5000, At(0)), InsItem(1, 1, 1, 5000)}), {}},
           {Clock(At(30)), {}},
           {Clock(At(30, 0, 1)), {Fires("stale_pending_orders", E1, {{"stale_pending_orders", "1"}}), expire}},
           {Txn(At(31), {InsOrder(2, "pending", 5000, At(31))}), {}},
           {Clock(At(61, 0, 1)), {}},  // a second stale order: still the same firing
           {Txn(At(62), {SetOrder(1, {Col("status", "expired")})}), {}},
           {Txn(At(63), {SetOrder(2, {Col("status", "canceled")})}), {Resolves("stale_pending_orders", E1)}},
       }},
      {"StalePendingOrders_WrittenStaleFiresAtOnce",
       {
           {Txn(At(0),
                {InsOrder(1, "pending", 5000, At(-45)), InsOrder(2, "pending", 5000, At(-45), std::nullopt, E2)}),
            {Fires("stale_pending_orders", E1), expire, Fires("stale_pending_orders", E2),
             Command("expire_pending_orders", "stale_pending_orders", E2, {{"event_id", E2}})}},
           {Txn(At(1), {Update("orders", OrderRow(O(1), E1, "paid", 5000, At(-45), At(1))), InsItem(1, 1, 1, 5000),
                        InsTicket(1, O(1))}),
            {Resolves("stale_pending_orders", E1)}},
       }},
      {"StalePendingOrders_ThresholdFromConfig",
       {
           {Txn(At(0), {InsOrder(1, "pending", 5000, At(0))}), {}},
           {Clock(At(10)), {}},
           {Clock(At(10, 0, 1)), {Fires("stale_pending_orders", E1), expire}},
       },
       With([](Thresholds* t) { t->stale_pending_after = 10 * kMicrosPerMinute; })},
  };
}

std::vector<RuleCase> PaidWithoutTicketsCases() {
  const Expect ensure = Command("ensure_tickets", "paid_without_tickets", O(1), {{"order_id", O(1)}});
  return {
      {"PaidWithoutTickets_TwoMinutesAfterPaidAtOnTheWalClock",
       {
           {Txn(At(0), {InsOrder(1, "paid", 5000, At(-5), At(0)), InsItem(1, 1, 1, 5000)}), {}},
           {Clock(At(1, 59)), {}},
           {Clock(At(2, 1)),
            {Fires("paid_without_tickets", O(1), {{"counting_tickets", "0"}, {"items_quantity", "1"}}), ensure}},
           {Txn(At(3), {Update("orders", OrderRow(O(1), E1, "paid", 5000, At(-5), At(0)))}), {}},
           {Txn(At(4), {InsTicket(1, O(1))}), {Resolves("paid_without_tickets", O(1))}},
       }},
      {"PaidWithoutTickets_VoidTicketDoesNotCount",
       {
           {Txn(At(0), {InsOrder(1, "paid", 5000, At(-5), At(0)), InsItem(1, 1, 1, 5000), InsTicket(1, O(1), "void")}),
            {}},
           {Clock(At(3)), {Fires("paid_without_tickets", O(1), {{"counting_tickets", "0"}}), ensure}},
           {Txn(At(4), {SetTicketStatus(1, "issued")}), {Resolves("paid_without_tickets", O(1))}},
       }},
      {"PaidWithoutTickets_PaidLongAgoFiresAtOnce",
       {
           {Txn(At(0), {InsOrder(1, "paid", 5000, At(-15), At(-10)), InsItem(1, 1, 1, 5000)}),
            {Fires("paid_without_tickets", O(1)), ensure}},
           {Txn(At(1), {InsTicket(1, O(1))}), {Resolves("paid_without_tickets", O(1))}},
       }},
      {"PaidWithoutTickets_PendingOrderPaidLater",
       {
           {Txn(At(0), {InsOrder(1, "pending", 5000, At(0)), InsItem(1, 1, 1, 5000)}), {}},
           {Txn(At(5), {SetOrder(1, {Col("status", "paid"), Col("paid_at", PgTimestamp(At(5)))})}), {}},
           {Clock(At(6)), {}},
           {Clock(At(7, 0, 1)), {Fires("paid_without_tickets", O(1)), ensure}},
           {Clock(At(31)), {}},  // paid: never a stale pending order
       }},
      {"PaidWithoutTickets_ThresholdFromConfig",
       {
           {Txn(At(0), {InsOrder(1, "paid", 5000, At(0), At(0)), InsItem(1, 1, 1, 5000)}), {}},
           {Clock(At(3)), {}},
           {Clock(At(10, 0, 1)), {Fires("paid_without_tickets", O(1)), ensure}},
       },
       With([](Thresholds* t) { t->paid_without_tickets_after = 10 * kMicrosPerMinute; })},
  };
}

std::vector<RuleCase> OrderOverissuedCases() {
  return {
      {"OrderOverissued_MoreCountingTicketsThanItems",
       {
           {Txn(At(0),
                Cat({{InsOrder(1, "paid", 10000, At(-5), At(0)), InsItem(1, 1, 2, 5000)}, InsTickets(1, 2, O(1))})),
            {}},
           {Txn(At(1), {InsTicket(3, O(1))}),
            {Fires("order_overissued", O(1), {{"counting_tickets", "3"}, {"items_quantity", "2"}})}},
           {Txn(At(2), {InsTicket(4, O(1))}), {}},
           {Txn(At(2, 30), {Update("orders", OrderRow(O(1), E1, "paid", 10000, At(-5), At(0)))}), {}},
           {Txn(At(3), {SetTicketStatus(3, "void"), SetTicketStatus(4, "void")}), {Resolves("order_overissued", O(1))}},
       }},
      {"OrderOverissued_OnlyForPaidOrders",
       {
           {Txn(At(0), Cat({{InsOrder(1, "pending", 5000, At(0)), InsItem(1, 1, 1, 5000)}, InsTickets(1, 2, O(1))})),
            {}},
           {Txn(At(1), {SetOrder(1, {Col("status", "paid"), Col("paid_at", PgTimestamp(At(1)))})}),
            {Fires("order_overissued", O(1))}},
       }},
  };
}

std::vector<RuleCase> RevenueMismatchCases() {
  // One item of 100.00; one ticket, so nothing else fires.
  auto paid_order = [](int64_t total) {
    return std::vector<Change>{InsOrder(1, "paid", total, At(-5), At(0)), InsItem(1, 1, 1, 10000), InsTicket(1, O(1))};
  };
  auto set_total = [](int64_t total) { return SetOrder(1, {Col("total_cents", total)}); };
  return {
      {"RevenueMismatch_TotalBelowItems",
       {
           {Txn(At(0), paid_order(9999)),
            {Fires("revenue_mismatch", O(1),
                   {{"total_cents", "9999"}, {"items_total_cents", "10000"}, {"difference_cents", "-1"}})}},
           {Txn(At(1), {set_total(10000)}), {Resolves("revenue_mismatch", O(1))}},
       }},
      {"RevenueMismatch_TenPercentBoundary",
       {
           {Txn(At(0), paid_order(11000)), {}},  // exactly 110 %
           {Txn(At(1), {set_total(11001)}),      // 110.01 %
            {Fires("revenue_mismatch", O(1), {{"difference_cents", "1001"}, {"threshold_percent", "10"}})}},
           {Txn(At(2), {set_total(11002)}), {}},
           {Txn(At(2, 30), {Update("orders", OrderRow(O(1), E1, "paid", 11002, At(-5), At(0)))}), {}},
           {Txn(At(3), {set_total(11000)}), {Resolves("revenue_mismatch", O(1))}},
       }},
      {"RevenueMismatch_SumsEveryItem",
       {
           {Txn(At(0), {InsOrder(1, "paid", 11000, At(-5), At(0)), InsItem(1, 1, 2, 3000), InsItem(2, 1, 1, 4000),
                        InsTicket(1, O(1)), InsTicket(2, O(1)), InsTicket(3, O(1))}),
            {}},
           {Txn(At(1), {Update("order_items", {Col("id", I(2)), Col("unit_price_cents", int64_t{3999})})}),
            {Fires("revenue_mismatch", O(1), {{"items_total_cents", "9999"}})}},
           {Txn(At(2), {Update("order_items", {Col("id", I(2)), Col("unit_price_cents", int64_t{4000})})}),
            {Resolves("revenue_mismatch", O(1))}},
       }},
      {"RevenueMismatch_OnlyForPaidOrders",
       {
           {Txn(At(0), {InsOrder(1, "pending", 20000, At(0)), InsItem(1, 1, 1, 10000), InsTicket(1, O(1))}), {}},
           {Txn(At(1), {SetOrder(1, {Col("status", "paid"), Col("paid_at", PgTimestamp(At(1)))})}),
            {Fires("revenue_mismatch", O(1))}},
           {Txn(At(2), {SetOrder(1, {Col("status", "refunded")})}), {Resolves("revenue_mismatch", O(1))}},
       }},
      {"RevenueMismatch_ThresholdFromConfig",
       {
           {Txn(At(0), paid_order(12000)), {}},
           {Txn(At(1), {set_total(12001)}), {Fires("revenue_mismatch", O(1), {{"threshold_percent", "20"}})}},
       },
       With([](Thresholds* t) { t->revenue_excess_percent = 20; })},
  };
}

std::vector<RuleCase> DeadLetterCases() {
  const std::string tiers = "ticketing.ticket_tiers";
  const std::string holds = "ticketing.ticket_holds";
  auto with = [](Cols cols, const std::string& name, Datum value) {
    for (Datum& d : cols) {
      if (d.name == name) d = std::move(value);
    }
    return cols;
  };
  auto without = [](Cols cols, const std::string& name) {
    std::erase_if(cols, [&](const Datum& d) { return d.name == name; });
    return cols;
  };
  return {
      {"DeadLetter_NonIntegerQuantityIsNeverAccounted",
       {
           // Without the dead letter, this tier would be at -2 available.
           {Txn(At(0),
                Cat({{Insert("ticket_tiers", with(TierRow(T1, E1, 10, 0, 12), "quantity", Col("quantity", "9.5")))},
                     InsTickets(1, 12, kOtherOrder)})),
            {DeadLetter(tiers, "quantity")}},
           // The rest of that transaction was applied, and processing goes on.
           {Txn(At(1), {InsTier(10, 0, 12)}),
            {Fires("negative_available", T1),
             Command("reconcile_event_tickets", "negative_available", T1, {{"event_id", E1}})}},
       }},
      {"DeadLetter_BadValueInUpdateKeepsTheStoredRow",
       {
           {Txn(At(0), {InsTier(100, 5, 0), InsHold(1, 5, At(60))}), {}},
           {Txn(At(1), {Update("ticket_tiers", {Col("id", T1), Col("reserved_quantity", "lots")})}),
            {DeadLetter(tiers, "reserved_quantity")}},
           {Txn(At(2), {SetHoldStatus(1, "converted")}),
            {Fires("tier_reserved_drift", T1, {{"reserved_quantity", "5"}}),
             Command("reconcile_event_tickets", "tier_reserved_drift", T1, {{"event_id", E1}})}},
       }},
      {"DeadLetter_NullQuantity",
       {
           {Txn(At(0), {InsTier(100, 0, 0), Insert("ticket_holds", with(HoldRow(H(1), T1, 5, "active", At(60)),
                                                                        "quantity", NullCol("quantity")))}),
            {DeadLetter(holds, "quantity")}},
       }},
      {"DeadLetter_MalformedTimestamp",
       {
           {Txn(At(0), {InsTier(100, 0, 0), Insert("ticket_holds", with(HoldRow(H(1), T1, 5, "active", At(60)),
                                                                        "expires_at", Col("expires_at", "tomorrow")))}),
            {DeadLetter(holds, "expires_at")}},
       }},
      {"DeadLetter_InsertMissingAColumn",
       {
           {Txn(At(0), {InsTier(100, 0, 0),
                        Insert("ticket_holds", without(HoldRow(H(1), T1, 5, "active", At(60)), "expires_at"))}),
            {DeadLetter(holds, "expires_at")}},
           // Nothing of it was stored: the full row counts once.
           {Txn(At(1), {InsHold(1, 5, At(60)), SetTier("reserved_quantity", 5)}), {}},
       }},
      {"DeadLetter_PartialUpdateOfAnUnseenRow",
       {
           {Txn(At(0), {SetHoldStatus(9, "expired")}), {DeadLetter(holds, "missing")}},
       }},
      {"DeadLetter_TableNotMonitored",
       {
           {Txn(At(0), {InsertIn("public", "audit_log", {Col("id", "1"), Col("note", "x")}), InsTier(100, 0, 0)}),
            {DeadLetter("public.audit_log", "not monitored")}},
       }},
  };
}

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all;
  for (auto cases : {StuckHoldsCases(), ReservedDriftCases(), IssuedDriftCases(), HighReservedCases(),
                     FalseSoldOutCases(), NegativeAvailableCases(), StalePendingCases(), PaidWithoutTicketsCases(),
                     OrderOverissuedCases(), RevenueMismatchCases(), DeadLetterCases()}) {
    for (auto& c : cases) all.push_back(std::move(c));
  }
  return all;
}

// ---------------------------------------------------------------------------

class TicketingRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(TicketingRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam(), [](const Message& m) {
    // Every entity of these cases belongs to a known event, so a firing names it.
    if (m.topic == Topic::kAlerts && m.json.Str("state") == "firing") {
      const std::string event_id = m.json.Str("event_id");
      EXPECT_TRUE(event_id == E1 || event_id == E2) << "event_id missing or wrong: " << m.payload;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Cases, TicketingRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

// Every rule of the contract's ticketing table is exercised above, firing and resolving.
TEST(TicketingRulesCoverage, EveryRuleFiresAndResolves) {
  std::set<std::string> fired, resolved;
  for (const RuleCase& c : AllCases()) {
    for (const StepCase& s : c.steps) {
      for (const Expect& e : s.expect) {
        if (e.summary.starts_with("firing ")) fired.insert(e.key.substr(0, e.key.find(':')));
        if (e.summary.starts_with("resolved ")) resolved.insert(e.key.substr(0, e.key.find(':')));
      }
    }
  }
  for (const RuleInfo& r : TicketingRules()) {
    EXPECT_TRUE(fired.count(std::string(r.type))) << r.type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(std::string(r.type))) << r.type << " never resolves in the cases";
  }
}

}  // namespace
}  // namespace walguard::rule_test

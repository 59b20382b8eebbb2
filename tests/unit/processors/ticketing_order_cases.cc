// The cases of the order and event rules and of the dead letters (ticketing_cases.h).
#include <string>
#include <vector>

#include "tests/unit/processors/ticketing_cases.h"

namespace walguard::rule_test::ticketing {
namespace {

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

}  // namespace

std::vector<RuleCase> OrderRuleCases() {
  std::vector<RuleCase> all;
  for (auto cases : {StalePendingCases(), PaidWithoutTicketsCases(), OrderOverissuedCases(), RevenueMismatchCases(),
                     DeadLetterCases()}) {
    for (auto& c : cases) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace walguard::rule_test::ticketing

// The cases of the tier rules (ticketing_cases.h).
#include <string>
#include <vector>

#include "tests/unit/processors/ticketing_cases.h"

namespace walguard::rule_test::ticketing {
namespace {

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

}  // namespace

std::vector<RuleCase> TierRuleCases() {
  std::vector<RuleCase> all;
  for (auto cases : {StuckHoldsCases(), ReservedDriftCases(), IssuedDriftCases(), HighReservedCases(),
                     FalseSoldOutCases(), NegativeAvailableCases()}) {
    for (auto& c : cases) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace walguard::rule_test::ticketing

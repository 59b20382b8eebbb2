// Reserve Connect rules (docs/reference.md section 3, runbook 002), table-driven:
// ledger_imbalance, overbooking, calendar_drift, and bad input to the
// reserve tables. Payments are in reserve_payments_test.cc, the windowed
// provider rules in reserve_windows_test.cc, the cost of occupancy updates in
// reserve_efficiency_test.cc.
//
// Each case is a sequence of steps (source transactions or WAL-clock ticks)
// with the exact transitions, commands and dead letters each step must emit.
// The harness also checks every message against docs/reference.md sections 3-4
// (severity, entity kind, resolved repeats the firing's alert_id, ...), and
// every case is replayed on fresh state, which must give identical messages.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

// ---------------------------------------------------------------------------
// Row helpers

std::string L(int n) {
  return LedgerEntryId(n);
}
const std::string X1 = LedgerTxnId(1);
const std::string X2 = LedgerTxnId(2);
const std::string U1 = UnitId(1);
const std::string U2 = UnitId(2);
std::string R(int n) {
  return ReservationId(n);
}

Change Entry(int n, const std::string& txn, std::string_view account, std::string_view direction, std::string amount,
             Micros created_at = kT0) {
  return InsertIn("reserve", "ledger_entries", LedgerRow(L(n), txn, account, direction, std::move(amount), created_at));
}
Change SetEntryAmount(int n, std::string amount) {
  return UpdateIn("reserve", "ledger_entries", {Col("id", L(n)), Col("amount", std::move(amount))});
}
Change DelEntry(int n) {
  return DeleteIn("reserve", "ledger_entries", Id(L(n)));
}

// Reservation n of intent n on `unit`, occupying Day(from) .. Day(to) - 1.
Change InsRes(int n, const std::string& unit, int from, int to, std::string_view status = "confirmed") {
  return InsertIn("reserve", "reservations", ReservationRow(R(n), IntentId(n), unit, Day(from), Day(to), status));
}
Change SetRes(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", R(n)));
  return UpdateIn("reserve", "reservations", std::move(columns));
}
Change SetResStatus(int n, std::string_view status) {
  return SetRes(n, {Col("status", std::string(status))});
}
Change MoveRes(int n, int from, int to) {
  return SetRes(n, {Col("check_in", Day(from)), Col("check_out", Day(to))});
}

Change InsCal(const std::string& unit, int day, int64_t allotment, int64_t bookings) {
  return InsertIn("reserve", "availability_calendar", CalendarRow(unit, Day(day), allotment, bookings));
}
Change SetCal(const std::string& unit, int day, int64_t allotment, int64_t bookings) {
  return UpdateIn("reserve", "availability_calendar", CalendarRow(unit, Day(day), allotment, bookings),
                  {Col("unit_id", unit), Col("date", Day(day))});
}
Change DelCal(const std::string& unit, int day) {
  return DeleteIn("reserve", "availability_calendar", {Col("unit_id", unit), Col("date", Day(day))});
}

std::string UnitDate(const std::string& unit, int day) {
  return unit + "/" + Day(day);
}

Expect Block(const std::string& unit, int from_day) {
  return Command("block_unit_availability", "overbooking", unit, {{"unit_id", unit}, {"from_date", Day(from_day)}});
}
Expect Recalc(const std::string& unit, int day) {
  return Command("recalculate_availability", "calendar_drift", UnitDate(unit, day),
                 {{"unit_id", unit}, {"date", Day(day)}});
}

// ---------------------------------------------------------------------------
// ledger_imbalance

std::vector<RuleCase> LedgerCases() {
  return {
      {"Ledger_ExactDecimalsNeverFloatingPoint",
       {
           // 0.10 + 0.20 is 0.30 exactly (not 0.30000000000000004).
           {Txn(At(0), {Entry(1, X1, "cash", "debit", "0.30"), Entry(2, X1, "revenue", "credit", "0.10"),
                        Entry(3, X1, "fees", "credit", "0.20")}),
            {}},
           // Wide values: 27 significant digits, scale 10, beyond a double's 15-17.
           {Txn(At(1), {Entry(4, X2, "cash", "debit", "12345678901234567.8900000001"),
                        Entry(5, X2, "revenue", "credit", "12345678901234567.89"),
                        Entry(6, X2, "fees", "credit", "0.0000000001")}),
            {}},
           // One ten-billionth off is an imbalance.
           {Txn(At(2), {SetEntryAmount(6, "0.0000000002")}),
            {Fires("ledger_imbalance", X2, {{"difference", "-0.0000000001"}, {"diagnosis", "missing_entry"}})}},
           {Txn(At(3), {SetEntryAmount(6, "0.0000000001")}), {Resolves("ledger_imbalance", X2)}},
           // 30 significant digits, scale 10.
           {Txn(At(4), {Entry(7, X1, "escrow", "debit", "99999999999999999999.9999999999"),
                        Entry(8, X1, "escrow", "credit", "99999999999999999999.9999999998")}),
            {Fires("ledger_imbalance", X1, {{"difference", "0.0000000001"}})}},
           {Txn(At(5), {Entry(9, X1, "rounding", "credit", "0.0000000001")}), {Resolves("ledger_imbalance", X1)}},
       }},
      {"Ledger_EvaluatedOnlyAtTheCommit",
       {
           // Debit then credit in one source transaction: never seen half-done.
           {Txn(At(0), {Entry(1, X1, "cash", "debit", "100.00"), Entry(2, X1, "revenue", "credit", "100.00")}), {}},
           // A transaction that moves money between entries of the same ledger transaction.
           {Txn(At(1), {SetEntryAmount(1, "120.00"), Entry(3, X1, "fees", "credit", "20.00")}), {}},
           // Split across two source transactions, the first commit is imbalanced.
           {Txn(At(2), {Entry(4, X2, "cash", "debit", "50.00")}),
            {Fires("ledger_imbalance", X2,
                   {{"debit", "50.00"}, {"difference", "50.00"}, {"diagnosis", "missing_entry"}})}},
           {Txn(At(3), {Entry(5, X2, "revenue", "credit", "50.00")}), {Resolves("ledger_imbalance", X2)}},
       }},
      {"Ledger_MissingEntry",
       {
           {Txn(At(0), {Entry(1, X1, "cash", "debit", "250.00"), Entry(2, X1, "revenue", "credit", "200.00")}),
            {Fires(
                "ledger_imbalance", X1,
                {{"debit", "250.00"}, {"credit", "200.00"}, {"difference", "50.00"}, {"diagnosis", "missing_entry"}})}},
           // Still imbalanced by the same amount: no repeat.
           {Txn(At(1), {Entry(3, X1, "cash", "debit", "10.00"), Entry(4, X1, "revenue", "credit", "10.00")}), {}},
           {Txn(At(2), {Entry(5, X1, "fees", "credit", "50.00")}), {Resolves("ledger_imbalance", X1)}},
           // The runbook's correction the other way round (credit side heavy).
           {Txn(At(3), {Entry(6, X1, "corrections", "credit", "0.01")}),
            {Fires("ledger_imbalance", X1, {{"difference", "-0.01"}, {"diagnosis", "missing_entry"}})}},
           {Txn(At(4), {DelEntry(6)}), {Resolves("ledger_imbalance", X1)}},
       }},
      {"Ledger_DuplicateEntryNamesTheLaterOne",
       {
           {Txn(At(0),
                {Entry(1, X1, "cash", "debit", "100.00", At(0)), Entry(3, X1, "revenue", "credit", "100.00", At(0))}),
            {}},
           // Entry 2 repeats entry 3 (same account, direction, amount) and was
           // created later: it is the duplicate, although its id sorts first.
           {Txn(At(1), {Entry(2, X1, "revenue", "credit", "100.00", At(1))}),
            {Fires("ledger_imbalance", X1,
                   {{"diagnosis", "duplicate_entry"}, {"entry_id", L(2)}, {"difference", "-100.00"}})}},
           {Txn(At(2), {DelEntry(2)}), {Resolves("ledger_imbalance", X1)}},
       }},
      {"Ledger_DuplicateThatWouldNotBalanceIsAMissingEntry",
       {
           // Two identical credits, but dropping one leaves 100 vs 60.
           {Txn(At(0), {Entry(1, X1, "cash", "debit", "100.00"), Entry(2, X1, "revenue", "credit", "60.00"),
                        Entry(3, X1, "revenue", "credit", "60.00")}),
            {Fires("ledger_imbalance", X1, {{"difference", "-20.00"}, {"diagnosis", "missing_entry"}})}},
           {Txn(At(1), {SetEntryAmount(3, "40.00")}), {Resolves("ledger_imbalance", X1)}},
       }},
  };
}

// ---------------------------------------------------------------------------
// overbooking

std::vector<RuleCase> OverbookingCases() {
  return {
      {"Overbooking_TwoOverlappingWithoutCalendarRows",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 4)}), {}},
           // Overlap on days 2 and 3; without calendar rows the allotment is 1.
           {Txn(At(1), {InsRes(2, U1, 2, 6)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(2)}, {"active_reservations", "2"}}),
             Block(U1, 2)}},
           // Still overbooked (checked_in is active too): no repeat.
           {Txn(At(2), {SetResStatus(1, "checked_in")}), {}},
           {Txn(At(3), {SetResStatus(2, "cancelled")}), {Resolves("overbooking", U1)}},
           // Another unit is independent.
           {Txn(At(4), {InsRes(3, U2, 0, 2), InsRes(4, U2, 1, 2, "host_commit_pending")}),
            {Fires("overbooking", U2, {{"first_overbooked_date", Day(1)}}), Block(U2, 1)}},
       }},
      {"Overbooking_CalendarAllotmentTwoResolves",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 4), InsRes(2, U1, 2, 6)}), {Fires("overbooking", U1), Block(U1, 2)}},
           // Day 2 gets room for two; day 3 is still overbooked.
           {Txn(At(1), {InsCal(U1, 2, 2, 2)}), {}},
           {Txn(At(2), {InsCal(U1, 3, 2, 2)}), {Resolves("overbooking", U1)}},
           // Lowering the allotment again fires again, from that date.
           // (The calendar's own counters now say 2 booked of 1: calendar_overcommitted.)
           {Txn(At(3), {SetCal(U1, 3, 1, 2)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(3)}, {"allotment", "1"}}), Block(U1, 3),
             Fires("calendar_overcommitted", UnitDate(U1, 3)),
             Command("block_unit_availability", "calendar_overcommitted", UnitDate(U1, 3),
                     {{"unit_id", U1}, {"from_date", Day(3)}})}},
           // Deleting the calendar row falls back to allotment 1: unchanged.
           {Txn(At(4), {DelCal(U1, 3)}), {Resolves("calendar_overcommitted", UnitDate(U1, 3))}},
           {Txn(At(5), {InsCal(U1, 3, 3, 2)}), {Resolves("overbooking", U1)}},
       }},
      {"Overbooking_CheckOutIsExclusive",
       {
           // Adjacent stays: the second starts on the first's check-out day.
           {Txn(At(0), {InsRes(1, U1, 0, 3), InsRes(2, U1, 3, 5)}), {}},
           {Txn(At(1), {MoveRes(2, 2, 5)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(2)}}), Block(U1, 2)}},
           {Txn(At(2), {MoveRes(1, 0, 2)}), {Resolves("overbooking", U1)}},
       }},
      {"Overbooking_InactiveReservationsDoNotOccupy",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 5), InsRes(2, U1, 1, 3, "cancelled"), InsRes(3, U1, 2, 4, "checked_out")}),
            {}},
           {Txn(At(1), {SetResStatus(2, "confirmed")}), {Fires("overbooking", U1), Block(U1, 1)}},
           // Runbook option A: move the reservation to another unit.
           {Txn(At(2), {SetRes(2, {Col("unit_id", U2)})}), {Resolves("overbooking", U1)}},
       }},
      {"Overbooking_MovingUpdatesOnlyTheAffectedDates",
       {
           // Calendar days 0..3 agree with a stay on days 0..2.
           {Txn(At(0), {InsCal(U1, 0, 1, 1), InsCal(U1, 1, 1, 1), InsCal(U1, 2, 1, 1), InsCal(U1, 3, 1, 0),
                        InsRes(1, U1, 0, 3)}),
            {}},
           // Moved one day later: day 0 lost it, day 3 gained it, days 1-2 unchanged.
           {Txn(At(1), {MoveRes(1, 1, 4)}),
            {Fires("calendar_drift", UnitDate(U1, 0), {{"bookings_count", "1"}, {"active_reservations", "0"}}),
             Recalc(U1, 0),
             Fires("calendar_drift", UnitDate(U1, 3), {{"bookings_count", "0"}, {"active_reservations", "1"}}),
             Recalc(U1, 3)}},
           {Txn(At(2), {SetCal(U1, 0, 1, 0), SetCal(U1, 3, 1, 1)}),
            {Resolves("calendar_drift", UnitDate(U1, 0)), Resolves("calendar_drift", UnitDate(U1, 3))}},
           // Shortened by one night: only its last date changes.
           {Txn(At(3), {MoveRes(1, 1, 3)}),
            {Fires("calendar_drift", UnitDate(U1, 3), {{"active_reservations", "0"}}), Recalc(U1, 3)}},
       }},
  };
}

// ---------------------------------------------------------------------------
// calendar_drift

std::vector<RuleCase> CalendarDriftCases() {
  return {
      {"CalendarDrift_BookingsCountDiffersFromActiveReservations",
       {
           {Txn(At(0), {InsCal(U1, 0, 2, 0)}), {}},
           {Txn(At(1), {InsRes(1, U1, 0, 1)}),
            {Fires("calendar_drift", UnitDate(U1, 0), {{"bookings_count", "0"}, {"active_reservations", "1"}}),
             Recalc(U1, 0)}},
           // A calendar update that keeps bookings_count wrong: no repeat.
           {Txn(At(2), {SetCal(U1, 0, 3, 0)}), {}},
           {Txn(At(3), {SetCal(U1, 0, 3, 1)}), {Resolves("calendar_drift", UnitDate(U1, 0))}},
           // Cancelling the reservation makes the calendar wrong again.
           {Txn(At(4), {SetResStatus(1, "cancelled")}), {Fires("calendar_drift", UnitDate(U1, 0)), Recalc(U1, 0)}},
           {Txn(At(5), {SetCal(U1, 0, 3, 0)}), {Resolves("calendar_drift", UnitDate(U1, 0))}},
       }},
      {"CalendarDrift_DatesWithoutACalendarRowNeverDrift",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 10)}), {}},
           {Txn(At(1), {InsCal(U1, 5, 1, 0)}),
            {Fires("calendar_drift", UnitDate(U1, 5), {{"bookings_count", "0"}, {"active_reservations", "1"}}),
             Recalc(U1, 5)}},
           {Txn(At(2), {DelCal(U1, 5)}), {Resolves("calendar_drift", UnitDate(U1, 5))}},
       }},
  };
}

// ---------------------------------------------------------------------------
// Bad input and TRUNCATE

std::vector<RuleCase> BadInputCases() {
  const std::string payments = "reserve.payments";
  const std::string reservations = "reserve.reservations";
  return {
      {"DeadLetter_PaymentAmountNotADecimal",
       {
           // Succeeded 10 minutes ago with no reservation: would fire at once.
           {Txn(At(10),
                {InsertIn("reserve", "payments",
                          PaymentRow(PaymentId(1), IntentId(1), "stripe", "card", "succeeded", "abc", At(0), At(0)))}),
            {DeadLetter(payments, "amount")}},
           {Clock(At(30)), {}},
           // The row was never stored: the valid one is new and fires.
           {Txn(At(31), {InsertIn("reserve", "payments",
                                  PaymentRow(PaymentId(1), IntentId(1), "stripe", "card", "succeeded", "120.00", At(0),
                                             At(0)))}),
            {Fires("payment_without_reservation", PaymentId(1)),
             Command("finalize_reservation", "payment_without_reservation", PaymentId(1),
                     {{"payment_id", PaymentId(1)}})}},
       }},
      {"DeadLetter_ReservationCheckInNotADate",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 5)}), {}},
           {Txn(At(1), {InsertIn("reserve", "reservations",
                                 ReservationRow(R(2), IntentId(2), U1, "tomorrow", Day(3), "confirmed"))}),
            {DeadLetter(reservations, "check_in")}},
           // A bad value in an UPDATE keeps the stored row (days 6..7).
           {Txn(At(2), {InsRes(3, U1, 6, 8)}), {}},
           {Txn(At(3), {SetRes(3, {Col("check_in", "2026-13-45")})}), {DeadLetter(reservations, "check_in")}},
           {Txn(At(4), {InsRes(4, U1, 7, 9)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(7)}}), Block(U1, 7)}},
       }},
      {"Truncate_ReservationsResetsOccupancy",
       {
           {Txn(At(0), {InsRes(1, U1, 0, 4), InsRes(2, U1, 1, 3)}), {Fires("overbooking", U1), Block(U1, 1)}},
           {Txn(At(1), {TruncateIn("reserve", "reservations")}), {Resolves("overbooking", U1)}},
           // Counts restart from zero: one stay is fine, two overlapping fire again.
           {Txn(At(2), {InsRes(3, U1, 0, 4)}), {}},
           {Txn(At(3), {InsRes(4, U1, 3, 5)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(3)}, {"active_reservations", "2"}}),
             Block(U1, 3)}},
       }},
      {"Truncate_CalendarFallsBackToNoCalendarRows",
       {
           {Txn(At(0), {InsCal(U1, 0, 2, 2), InsCal(U1, 1, 2, 1), InsRes(1, U1, 0, 1), InsRes(2, U1, 0, 1)}),
            {Fires("calendar_drift", UnitDate(U1, 1), {{"bookings_count", "1"}, {"active_reservations", "0"}}),
             Recalc(U1, 1)}},
           // No calendar rows: nothing drifts, and day 0 has an allotment of 1 again.
           {Txn(At(1), {TruncateIn("reserve", "availability_calendar")}),
            {Resolves("calendar_drift", UnitDate(U1, 1)),
             Fires("overbooking", U1, {{"first_overbooked_date", Day(0)}, {"allotment", "1"}}), Block(U1, 0)}},
       }},
  };
}

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all;
  for (auto group : {LedgerCases(), OverbookingCases(), CalendarDriftCases(), BadInputCases()}) {
    for (auto& c : group) all.push_back(std::move(c));
  }
  return all;
}

class ReserveRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(ReserveRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, ReserveRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(ReserveRulesCoverage, LedgerOverbookingAndDriftFireAndResolve) {
  std::set<std::string> fired, resolved;
  CoveredTypes(AllCases(), &fired, &resolved);
  for (const char* type : {"ledger_imbalance", "overbooking", "calendar_drift"}) {
    EXPECT_TRUE(fired.count(type)) << type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(type)) << type << " never resolves in the cases";
  }
}

}  // namespace
}  // namespace walguard::rule_test

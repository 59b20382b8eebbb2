// The reserve rules of runbook depth (CONTRACT 3.1), table-driven like
// reserve_rules_test.cc: webhook_silence, calendar_overcommitted, the
// future-only calendar (dates before the WAL clock's date in
// business_timezone never fire; a firing alert whose dates pass resolves
// with details.reason "date_passed"), and benign declines in
// failed_payment_rate with details.by_error_code.
//
// Time line: kT0 is 2026-11-21T16:00Z, so Day(-10) is kT0's date in UTC
// and Day(0) (2026-12-01) is in the future.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using namespace cases;  // NOLINT(build/namespaces)

const std::string U1 = UnitId(1);
const std::string U2 = UnitId(2);
constexpr int kToday = -10;    // Day(kToday) is kT0's UTC date, 2026-11-21
constexpr int64_t kHour = 60;  // minutes

std::string UnitDate(const std::string& unit, int day) {
  return unit + "/" + Day(day);
}

// Payment n of intent n, with an error code (empty: null).
Change Pay(int n, std::string_view provider, std::string_view method, std::string_view status, Micros created,
           std::string_view error_code = "") {
  Cols cols = PaymentRow(PaymentId(n), IntentId(n), provider, method, status, "100.00", created,
                         status == "succeeded" ? std::optional<Micros>(created) : std::nullopt);
  for (Datum& d : cols) {
    if (d.name == "error_code" && !error_code.empty()) d = Col("error_code", std::string(error_code));
  }
  return InsertIn("reserve", "payments", std::move(cols));
}
Change SetPayStatus(int n, std::string_view status) {
  return UpdateIn("reserve", "payments", {Col("id", PaymentId(n)), Col("status", std::string(status))});
}
Change Hook(int n, std::string_view provider, Micros received, std::string_view status = "completed") {
  return InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(n), provider, status, received));
}

Cols CalRow(const std::string& unit, int day, int64_t allotment, int64_t bookings, int64_t temp_holds) {
  Cols cols = CalendarRow(unit, Day(day), allotment, bookings);
  for (Datum& d : cols) {
    if (d.name == "temp_holds") d = Col("temp_holds", temp_holds);
  }
  return cols;
}
Change InsCal(const std::string& unit, int day, int64_t allotment, int64_t bookings, int64_t temp_holds = 0) {
  return InsertIn("reserve", "availability_calendar", CalRow(unit, day, allotment, bookings, temp_holds));
}
Change SetCal(const std::string& unit, int day, int64_t allotment, int64_t bookings, int64_t temp_holds) {
  return UpdateIn("reserve", "availability_calendar", CalRow(unit, day, allotment, bookings, temp_holds),
                  {Col("unit_id", unit), Col("date", Day(day))});
}
Change InsRes(int n, const std::string& unit, int from, int to, std::string_view status = "confirmed") {
  return InsertIn("reserve", "reservations",
                  ReservationRow(ReservationId(n), IntentId(n), unit, Day(from), Day(to), status));
}

Expect ResolvesBecause(const std::string& type, const std::string& entity_id, std::string reason) {
  Expect e = Resolves(type, entity_id);
  e.details = {{"reason", std::move(reason)}};
  return e;
}
Expect Block(const std::string& type, const std::string& entity_id, const std::string& unit, int from_day) {
  return Command("block_unit_availability", type, entity_id, {{"unit_id", unit}, {"from_date", Day(from_day)}});
}

// ---------------------------------------------------------------------------
// webhook_silence

std::vector<RuleCase> SilenceCases() {
  return {
      {"Silence_ThreeCardPaymentsWaitingAndNoWebhook",
       {
           {Txn(At(0), {Pay(1, "stripe", "card", "pending", At(0)), Pay(2, "stripe", "card", "processing", At(0)),
                        Pay(3, "stripe", "card", "pending", At(1))}),
            {}},
           {Clock(At(10)), {}},  // two are 10 min old, the third is not yet
           {Clock(At(11)),
            {Fires("webhook_silence", "stripe", {{"card_payments_waiting", "3"}, {"webhooks_received_recent", "0"}})}},
           // A webhook arrives: the endpoint works.
           {Txn(At(12), {Hook(1, "stripe", At(12))}), {Resolves("webhook_silence", "stripe")}},
           {Clock(At(26, 59)), {}},
           // 15 minutes later, nothing more has arrived.
           {Clock(At(27)), {Fires("webhook_silence", "stripe", {{"webhooks_received_recent", "0"}})}},
           // One payment is declined: two waiting are not enough.
           {Txn(At(28), {SetPayStatus(1, "failed")}), {Resolves("webhook_silence", "stripe")}},
       }},
      {"Silence_RecentWebhookHoldsItBack",
       {
           {Txn(At(0),
                {Hook(1, "mercadopago", At(0), "failed"), Pay(1, "mercadopago", "card", "pending", At(0)),
                 Pay(2, "mercadopago", "card", "pending", At(0)), Pay(3, "mercadopago", "card", "pending", At(0))}),
            {}},
           {Clock(At(14)), {}},
           {Clock(At(15)), {Fires("webhook_silence", "mercadopago", {{"card_payments_waiting", "3"}})}},
           {Txn(At(16), {SetPayStatus(2, "failed")}), {Resolves("webhook_silence", "mercadopago")}},
       }},
      {"Silence_PixAndOtherProvidersDoNotCount",
       {
           {Txn(At(0), {Pay(1, "openpix", "pix", "pending", At(0)), Pay(2, "openpix", "pix", "pending", At(0)),
                        Pay(3, "openpix", "pix", "pending", At(0)), Pay(4, "stripe", "card", "pending", At(0)),
                        Pay(5, "stripe", "card", "pending", At(0)), Pay(6, "mercadopago", "card", "pending", At(0))}),
            {}},
           {Clock(At(20)), {}},
       }},
      {"Silence_ThresholdsAreConfigurable",
       {
           {Txn(At(0), {Pay(1, "stripe", "card", "pending", At(0)), Pay(2, "stripe", "card", "pending", At(0))}), {}},
           {Clock(At(4, 59)), {}},
           {Clock(At(5)), {Fires("webhook_silence", "stripe", {{"pending_after_minutes", "5"}})}},
           {Txn(At(6), {Hook(1, "stripe", At(6))}), {Resolves("webhook_silence", "stripe")}},
           {Clock(At(10)), {Fires("webhook_silence", "stripe", {{"window_minutes", "4"}})}},
       },
       With([](Thresholds* t) {
         t->webhook_silence_min_payments = 2;
         t->webhook_silence_pending_after = 5 * kMicrosPerMinute;
         t->webhook_silence_window = 4 * kMicrosPerMinute;
       })},
  };
}

// ---------------------------------------------------------------------------
// calendar_overcommitted and the future-only calendar

std::vector<RuleCase> CalendarCases() {
  return {
      {"Overcommitted_TempHoldsCount",
       {
           {Txn(At(0), {InsCal(U1, 3, 2, 0, 2)}), {}},  // 0 + 2 holds = 2 of 2
           {Txn(At(1), {SetCal(U1, 3, 2, 0, 3)}),
            {Fires("calendar_overcommitted", UnitDate(U1, 3),
                   {{"allotment", "2"}, {"bookings_count", "0"}, {"temp_holds", "3"}}),
             Block("calendar_overcommitted", UnitDate(U1, 3), U1, 3)}},
           {Txn(At(2), {SetCal(U1, 3, 3, 0, 3)}), {Resolves("calendar_overcommitted", UnitDate(U1, 3))}},
       }},
      {"Overcommitted_NullTempHoldsReadsAsNone",
       {
           {Txn(At(0), {InsertIn("reserve", "availability_calendar",
                                 {Col("unit_id", U1), Col("date", Day(4)), Col("allotment", int64_t{1}),
                                  Col("bookings_count", int64_t{0}), NullCol("temp_holds")})}),
            {}},
       }},
      {"PastDates_NeverFire",
       {
           // Yesterday (in UTC): overbooked, drifting and overcommitted, and nothing pages.
           {Txn(At(0), {InsCal(U1, kToday - 1, 1, 0, 5), InsRes(1, U1, kToday - 1, kToday),
                        InsRes(2, U1, kToday - 1, kToday), InsCal(U2, kToday - 300, 1, 7, 0)}),
            {}},
           // Today is still in the future's side.
           {Txn(At(1), {InsCal(U2, kToday, 1, 0, 2)}),
            {Fires("calendar_overcommitted", UnitDate(U2, kToday)),
             Block("calendar_overcommitted", UnitDate(U2, kToday), U2, kToday)}},
       }},
      {"DatePassed_ResolvesAtUtcMidnight",
       {
           // One night, today: two reservations on an allotment of 1, and a calendar that says 1 + 1 hold.
           {Txn(At(0), {InsCal(U1, kToday, 1, 1, 1), InsRes(1, U1, kToday, kToday + 1)}),
            {Fires("calendar_overcommitted", UnitDate(U1, kToday)),
             Block("calendar_overcommitted", UnitDate(U1, kToday), U1, kToday)}},
           {Txn(At(1), {InsRes(2, U1, kToday, kToday + 1)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(kToday)}}), Block("overbooking", U1, U1, kToday),
             Fires("calendar_drift", UnitDate(U1, kToday)),
             Command("recalculate_availability", "calendar_drift", UnitDate(U1, kToday),
                     {{"unit_id", U1}, {"date", Day(kToday)}})}},
           {Clock(At(8 * kHour - 1)), {}},
           // 2026-11-22T00:00Z: the night has passed.
           {Clock(At(8 * kHour)),
            {ResolvesBecause("overbooking", U1, "date_passed"),
             ResolvesBecause("calendar_drift", UnitDate(U1, kToday), "date_passed"),
             ResolvesBecause("calendar_overcommitted", UnitDate(U1, kToday), "date_passed")}},
           {Clock(At(30 * kHour)), {}},
       }},
      {"DatePassed_AtLocalMidnightInSaoPaulo",
       {
           {Txn(At(0), {InsRes(1, U1, kToday, kToday + 1), InsRes(2, U1, kToday, kToday + 1)}),
            {Fires("overbooking", U1), Block("overbooking", U1, U1, kToday)}},
           // 00:00Z is 21:00 the day before in São Paulo (UTC-3): still today there.
           {Clock(At(8 * kHour)), {}},
           {Clock(At(11 * kHour - 1)), {}},
           {Clock(At(11 * kHour)), {ResolvesBecause("overbooking", U1, "date_passed")}},
       },
       With([](Thresholds* t) { t->business_timezone = "America/Sao_Paulo"; })},
      {"DatePassed_AUnitStaysFiringWhileALaterDateIsOverbooked",
       {
           {Txn(At(0), {InsRes(1, U1, kToday, kToday + 2), InsRes(2, U1, kToday, kToday + 2)}),
            {Fires("overbooking", U1, {{"first_overbooked_date", Day(kToday)}}), Block("overbooking", U1, U1, kToday)}},
           {Clock(At(8 * kHour)), {}},  // tomorrow is overbooked too
           {Clock(At(32 * kHour)), {ResolvesBecause("overbooking", U1, "date_passed")}},
       }},
      {"DatePassed_ACancellationStillResolvesPlainly",
       {
           {Txn(At(0), {InsRes(1, U1, kToday, kToday + 1), InsRes(2, U1, kToday, kToday + 1)}),
            {Fires("overbooking", U1), Block("overbooking", U1, U1, kToday)}},
           {Txn(At(1), {UpdateIn("reserve", "reservations",
                                 {Col("id", ReservationId(2)), Col("status", std::string("cancelled"))})}),
            {Resolves("overbooking", U1)}},
       }},
  };
}

// ---------------------------------------------------------------------------
// failed_payment_rate with benign declines

std::vector<Change> Settled(int first, int n, std::string_view status, std::string_view code = "") {
  std::vector<Change> out;
  for (int i = first; i < first + n; ++i) out.push_back(Pay(i, "stripe", "card", status, At(0), code));
  return out;
}

std::vector<RuleCase> BenignCases() {
  return {
      {"Benign_DeclinesAreNotFailures",
       {
           // 10 succeeded, 10 declined by the card: 20 settled, 0 % failed.
           {Txn(At(1), Cat({Settled(1, 10, "succeeded"), Settled(11, 10, "failed", "card_declined")})), {}},
           // 5 real failures: 25 settled, 20 % failed: success 80 %, not below.
           {Txn(At(2), Settled(21, 5, "failed", "processing_error")), {}},
           {Txn(At(3), Settled(26, 1, "failed")),
            {Fires("failed_payment_rate", "stripe",
                   {{"succeeded", "10"},
                    {"failed", "6"},
                    {"benign_declines", "10"},
                    {"settled", "26"},
                    {"success_rate_percent", "76"}})}},
           // Ten more successes: 36 settled, 6 failed, 83 %.
           {Txn(At(4), Settled(30, 10, "succeeded")), {Resolves("failed_payment_rate", "stripe")}},
       }},
      {"Benign_CodesAreConfigurable",
       {
           {Txn(At(1), Cat({Settled(1, 10, "succeeded"), Settled(11, 10, "failed", "card_declined")})),
            {Fires("failed_payment_rate", "stripe", {{"failed", "10"}, {"benign_declines", "0"}})}},
       },
       With([](Thresholds* t) { t->benign_error_codes = {"expired_card"}; })},
  };
}

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all;
  for (auto part : {SilenceCases(), CalendarCases(), BenignCases()}) all.insert(all.end(), part.begin(), part.end());
  return all;
}

class ReserveDepthRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(ReserveDepthRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Cases, ReserveDepthRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

TEST(ReserveDepthRulesCoverage, EveryNewRuleFiresAndResolves) {
  std::set<std::string> fired, resolved;
  CoveredTypes(AllCases(), &fired, &resolved);
  for (const char* type : {"webhook_silence", "calendar_overcommitted", "overbooking", "calendar_drift"}) {
    EXPECT_TRUE(fired.count(type)) << type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(type)) << type << " never resolves in the cases";
  }
}

// by_error_code: every failed payment in the window that has a code, benign or not.
TEST(ReserveDepthRules, FailedPaymentRateCountsFailuresPerErrorCode) {
  RuleHarness h;
  std::vector<Message> got =
      h.Run(Txn(At(1), Cat({Settled(1, 2, "succeeded"), Settled(3, 3, "failed", "card_declined"),
                            Settled(6, 15, "failed", "processing_error"), Settled(21, 1, "failed")})));
  ASSERT_EQ(got.size(), 1u);
  const Json* by_code = got[0].json.Find("details")->Find("by_error_code");
  ASSERT_NE(by_code, nullptr) << got[0].payload;
  EXPECT_EQ(by_code->Str("card_declined"), "3") << got[0].payload;
  EXPECT_EQ(by_code->Str("processing_error"), "15") << got[0].payload;
  EXPECT_EQ(got[0].payload.find("\"\":"), std::string::npos) << "a failure without a code has no entry";
  EXPECT_EQ(h.violations(), std::vector<std::string>());
}

}  // namespace
}  // namespace walguard::rule_test

// The `context` object of every alert (CONTRACT 3.1, "Context for the person
// on call"), table-driven over the rule registry: the scenarios below make
// every entity rule fire, and every alert they emit, firing or resolved, must
// carry exactly the contract's context keys for its entity kind, with the
// values the scenario's rows give. Values the database does not have (the
// optional tables and columns) are null, never a dead letter or an error.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "processors/rule_registry.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

// The contract's context keys per entity kind; a rule may add its own.
const std::map<std::string, std::set<std::string>>& ContractKeys() {
  static const std::map<std::string, std::set<std::string>> kKeys = {
      {"tier", {"event_title", "tier_name", "price_cents"}},
      {"event", {"event_title"}},
      {"order", {"event_title", "user_id", "total_cents", "paid_at"}},
      {"payment",
       {"provider", "method", "amount", "gateway_payment_id", "booking_intent_id", "unit_id", "check_in", "check_out",
        "error_code"}},
      {"booking_intent", {"unit_id", "check_in", "check_out", "payments"}},
      {"unit", {"reservation_ids"}},
      {"unit_date", {"allotment", "bookings_count", "temp_holds"}},
      {"ledger_transaction", {"accounts"}},
      {"provider", {"window_failed", "window_settled"}},
      {"cron_job", {"schedule", "command", "last_start"}},
  };
  return kKeys;
}

const std::map<std::string, std::set<std::string>>& RuleKeys() {
  static const std::map<std::string, std::set<std::string>> kKeys = {
      {"stuck_holds", {"stuck_hold_count", "oldest_expired_at"}},
  };
  return kKeys;
}

const std::string E1 = EventId(1), E2 = EventId(2);
const std::string I1 = IntentId(1), I2 = IntentId(2);
const std::string U1 = UnitId(1);
const std::string kUser = "5e5e5e5e-0000-4000-8000-000000000001";

Change Event(const std::string& id, std::string title) {
  return Insert("events", EventRow(id, std::move(title)));
}
Change Intent(const std::string& id, const std::string& unit, int from, int to) {
  return InsertIn("reserve", "booking_intents", BookingIntentRow(id, unit, Day(from), Day(to)));
}
Change Payment(int n, const std::string& intent, std::string_view provider, std::string_view method,
               std::string_view status, std::string amount, Micros created,
               std::optional<Micros> succeeded = std::nullopt) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(n), intent, provider, method, status, std::move(amount), created, succeeded));
}

// Ticketing: every tier, event and order rule fires.
std::vector<Step> TicketingScenario() {
  return {
      Txn(At(0), {Event(E1, "Rock in Rio"),
                  // T1: a stuck hold and 50 % reserved.
                  Insert("ticket_tiers", TierRow(TierId(1), E1, 10, 5, 0)),
                  Insert("ticket_holds", HoldRow(HoldId(1), TierId(1), 2, "active", At(-20))),
                  Insert("ticket_holds", HoldRow(HoldId(2), TierId(1), 3, "active", At(-10))),
                  // T2: reserved beyond quantity with no holds: drift, negative, false sold out.
                  Insert("ticket_tiers", TierRow(TierId(2), E1, 10, 12, 0)),
                  // T3: issued without tickets, of an event walguard has no row for.
                  Insert("ticket_tiers", TierRow(TierId(3), E2, 10, 0, 2)),
                  // O1: pending for 40 minutes; O2: paid, no tickets, under-charged; O3: over-issued.
                  Insert("orders", OrderRow(OrderId(1), E1, "pending", 1000, At(-40))),
                  Insert("orders", OrderRow(OrderId(2), E1, "paid", 1000, At(-10), At(-5))),
                  Insert("order_items", ItemRow(ItemId(2), OrderId(2), TierId(9), 1, 5000)),
                  Insert("orders", OrderRow(OrderId(3), E2, "paid", 5000, At(-10), At(-5))),
                  Insert("order_items", ItemRow(ItemId(3), OrderId(3), TierId(9), 1, 5000)),
                  Insert("tickets", TicketRow(TicketId(1), OrderId(3), TierId(9), "issued")),
                  Insert("tickets", TicketRow(TicketId(2), OrderId(3), TierId(9), "issued"))}),
      // Resolutions carry the context too.
      Txn(At(1), {Update("ticket_holds", HoldRow(HoldId(1), TierId(1), 2, "expired", At(-20))),
                  Update("ticket_holds", HoldRow(HoldId(2), TierId(1), 3, "expired", At(-10)))}),
  };
}

// Reserve: every payment, booking intent, unit, unit_date, ledger and provider rule fires.
std::vector<Step> ReserveScenario() {
  std::vector<Change> changes = {
      Intent(I1, U1, 0, 2),
      // I1: two successes and no reservation.
      Payment(1, I1, "stripe", "card", "succeeded", "120.00", At(-20), At(-10)),
      Payment(2, I1, "stripe", "card", "succeeded", "120.00", At(-20), At(-9)),
      // I2 (no booking_intents row): processing for 70 minutes, a PIX pending for 40.
      Payment(3, I2, "stripe", "card", "processing", "80.50", At(-70)),
      Payment(4, I2, "openpix", "pix", "pending", "80.50", At(-40)),
      // U1 overbooked on Day(0) and Day(1); its calendar says nothing is booked.
      InsertIn("reserve", "reservations",
               ReservationRow(ReservationId(6), IntentId(6), U1, Day(0), Day(2), "confirmed")),
      InsertIn("reserve", "reservations",
               ReservationRow(ReservationId(5), IntentId(5), U1, Day(0), Day(3), "confirmed")),
      // Ends the day the overbooking starts: not on it.
      InsertIn("reserve", "reservations",
               ReservationRow(ReservationId(7), IntentId(7), U1, Day(-2), Day(0), "confirmed")),
      InsertIn("reserve", "availability_calendar", CalendarRow(U1, Day(0), 1, 0)),
      // X1 debits 100.00 and credits 90.00.
      InsertIn("reserve", "ledger_entries",
               LedgerRow(LedgerEntryId(1), LedgerTxnId(1), "cash", "debit", "100.00", At(0))),
      InsertIn("reserve", "ledger_entries",
               LedgerRow(LedgerEntryId(2), LedgerTxnId(1), "guest_payable", "credit", "90.00", At(0))),
  };
  // U2: its calendar row books 2 of an allotment of 1 (calendar_overcommitted).
  changes.push_back(InsertIn("reserve", "availability_calendar", CalendarRow(UnitId(2), Day(1), 1, 2)));
  // openpix: three card payments waiting 20 minutes, and none of its webhooks ever (webhook_silence).
  for (int n = 200; n < 203; ++n)
    changes.push_back(Payment(n, IntentId(n), "openpix", "card", "pending", "15.00", At(-20)));
  // mercadopago: 20 settled payments in the window, all failed.
  for (int n = 100; n < 120; ++n)
    changes.push_back(Payment(n, IntentId(n), "mercadopago", "card", "failed", "10.00", At(-1)));
  // stripe's webhooks: 5 failures in the last 15 minutes.
  for (int n = 1; n <= 5; ++n)
    changes.push_back(InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(n), "stripe", "failed", At(-1))));
  return {Txn(At(0), std::move(changes)),
          // Resolutions carry the context too: without its calendar row, a date's counters are unknown.
          Txn(At(1), {DeleteIn("reserve", "availability_calendar", {Col("unit_id", U1), Col("date", Day(0))})})};
}

// pg_cron: a job whose latest run failed after 10 s, and one whose runs stopped an hour ago.
std::vector<Step> CronScenario() {
  auto job = [](int jobid, std::string name) {
    return InsertIn("cron", "job",
                    {Col("jobid", jobid), Col("jobname", std::move(name)), Col("schedule", "*/5 * * * *"),
                     Col("command", "SELECT ticketing.cleanup_expired_ticket_holds()"), Col("active", "true")});
  };
  auto run = [](int runid, int jobid, std::string status, Micros start, Micros end) {
    return InsertIn("cron", "job_run_details",
                    {Col("runid", runid), Col("jobid", jobid), Col("status", std::move(status)),
                     Col("return_message", "ERROR: boom"), Col("start_time", PgTimestamp(start)),
                     Col("end_time", PgTimestamp(end))});
  };
  return {Txn(At(0), {job(1, "cleanup"), run(10, 1, "failed", At(-1), At(-1, 10)), job(2, "expire"),
                      run(20, 2, "succeeded", At(-60), At(-60, 1))})};
}

struct Alert {
  std::string type, kind, state;
  const Json* context = nullptr;
};

std::set<std::string> Keys(const Json& object) {
  return std::set<std::string>(object.keys.begin(), object.keys.end());
}

class AlertContextTest : public testing::Test {
 protected:
  // Runs the steps, keeping every alert by "state type:kind:id".
  void Run(const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      for (Message& m : h_.Run(step)) {
        EXPECT_NE(m.topic, Topic::kDeadLetter) << m.payload;
        if (m.topic == Topic::kAlerts) messages_.push_back(std::move(m));
      }
    }
    EXPECT_TRUE(h_.violations().empty()) << h_.violations().front();
  }

  // The context of the alert "<state> <fingerprint>"; fails the test when absent.
  const Json& Context(const std::string& state, const std::string& fingerprint) {
    for (const Message& m : messages_) {
      if (m.json.Str("state") == state && m.json.Str("fingerprint") == fingerprint && m.json.Find("context")) {
        return *m.json.Find("context");
      }
    }
    ADD_FAILURE() << "no " << state << " alert " << fingerprint;
    static const Json kNone;
    return kNone;
  }

  RuleHarness h_;
  std::vector<Message> messages_;
};

TEST_F(AlertContextTest, EveryEntityRuleFiresWithExactlyTheContractKeysOfItsKind) {
  Run(TicketingScenario());
  Run(ReserveScenario());
  Run(CronScenario());
  std::set<std::string> fired;
  for (const Message& m : messages_) {
    const std::string type = m.json.Str("type");
    const Json* entity = m.json.Find("entity");
    const Json* context = m.json.Find("context");
    ASSERT_TRUE(entity != nullptr && context != nullptr && context->is_object()) << m.payload;
    const auto kind = ContractKeys().find(entity->Str("kind"));
    ASSERT_NE(kind, ContractKeys().end()) << m.payload;
    std::set<std::string> want = kind->second;
    if (auto extra = RuleKeys().find(type); extra != RuleKeys().end())
      want.insert(extra->second.begin(), extra->second.end());
    EXPECT_EQ(Keys(*context), want) << m.payload;
    if (m.json.Str("state") == "firing") fired.insert(type);
  }
  for (const Rule& rule : Rules()) {
    if (!EvaluatedFor(rule)) continue;  // walguard's own alerts: no entity facts
    EXPECT_TRUE(fired.count(rule.alert.type)) << rule.alert.type << " never fires in the scenarios";
  }
}

TEST_F(AlertContextTest, TierContextNamesTheEventAndTierAndTheStuckHolds) {
  Run(TicketingScenario());
  const Json& stuck = Context("firing", Fingerprint("stuck_holds", TierId(1)));
  EXPECT_EQ(stuck.Str("event_title"), "Rock in Rio");
  EXPECT_EQ(stuck.Str("tier_name"), "General admission");
  EXPECT_EQ(stuck.Str("price_cents"), "5000");
  EXPECT_EQ(stuck.Find("price_cents")->kind, Json::Kind::kNumber);
  EXPECT_EQ(stuck.Str("stuck_hold_count"), "2");
  EXPECT_EQ(stuck.Str("oldest_expired_at"), FormatTimestamp(At(-20)));
  // Resolved: no stuck hold is left, so none is the oldest.
  const Json& resolved = Context("resolved", Fingerprint("stuck_holds", TierId(1)));
  EXPECT_EQ(resolved.Str("event_title"), "Rock in Rio");
  EXPECT_EQ(resolved.Str("stuck_hold_count"), "0");
  EXPECT_EQ(resolved.Find("oldest_expired_at")->kind, Json::Kind::kNull);
  // T3's event has no row: its title is unknown.
  const Json& drift = Context("firing", Fingerprint("tier_issued_drift", TierId(3)));
  EXPECT_EQ(drift.Find("event_title")->kind, Json::Kind::kNull);
  EXPECT_EQ(drift.Str("tier_name"), "General admission");
}

TEST_F(AlertContextTest, OrderAndEventContext) {
  Run(TicketingScenario());
  const Json& paid = Context("firing", Fingerprint("paid_without_tickets", OrderId(2)));
  EXPECT_EQ(paid.Str("event_title"), "Rock in Rio");
  EXPECT_EQ(paid.Str("user_id"), kUser);
  EXPECT_EQ(paid.Str("total_cents"), "1000");
  EXPECT_EQ(paid.Str("paid_at"), FormatTimestamp(At(-5)));
  EXPECT_EQ(Context("firing", Fingerprint("stale_pending_orders", E1)).Str("event_title"), "Rock in Rio");
  EXPECT_EQ(Context("firing", Fingerprint("order_overissued", OrderId(3))).Find("event_title")->kind,
            Json::Kind::kNull);
}

TEST_F(AlertContextTest, PaymentContextJoinsItsBookingIntent) {
  Run(ReserveScenario());
  const Json& p = Context("firing", Fingerprint("payment_without_reservation", PaymentId(1)));
  EXPECT_EQ(p.Str("provider"), "stripe");
  EXPECT_EQ(p.Str("method"), "card");
  EXPECT_EQ(p.Str("amount"), "120.00");
  EXPECT_EQ(p.Find("amount")->kind, Json::Kind::kString);  // exact, as in details
  EXPECT_EQ(p.Str("gateway_payment_id"), "gw_" + PaymentId(1));
  EXPECT_EQ(p.Str("booking_intent_id"), I1);
  EXPECT_EQ(p.Str("unit_id"), U1);
  EXPECT_EQ(p.Str("check_in"), Day(0));
  EXPECT_EQ(p.Str("check_out"), Day(2));
  EXPECT_EQ(p.Find("error_code")->kind, Json::Kind::kNull);
  // Without a booking_intents row, the stay is unknown.
  const Json& stuck = Context("firing", Fingerprint("stuck_payment", PaymentId(3)));
  EXPECT_EQ(stuck.Str("booking_intent_id"), I2);
  EXPECT_EQ(stuck.Find("unit_id")->kind, Json::Kind::kNull);
  EXPECT_EQ(stuck.Find("check_in")->kind, Json::Kind::kNull);
}

TEST_F(AlertContextTest, BookingIntentContextListsItsSucceededPayments) {
  Run(ReserveScenario());
  const Json& c = Context("firing", Fingerprint("double_charge", I1));
  EXPECT_EQ(c.Str("unit_id"), U1);
  EXPECT_EQ(c.Str("check_in"), Day(0));
  EXPECT_EQ(c.Str("check_out"), Day(2));
  const Json* payments = c.Find("payments");
  ASSERT_NE(payments, nullptr);
  ASSERT_EQ(payments->kind, Json::Kind::kArray);
  ASSERT_EQ(payments->values.size(), 2u);
  // By succeeded_at.
  const int want[] = {1, 2};
  for (size_t i = 0; i < 2; ++i) {
    const Json& p = payments->values[i];
    EXPECT_EQ(Keys(p), (std::set<std::string>{"id", "amount", "gateway_payment_id", "succeeded_at"}));
    EXPECT_EQ(p.Str("id"), PaymentId(want[i]));
    EXPECT_EQ(p.Str("amount"), "120.00");
    EXPECT_EQ(p.Str("gateway_payment_id"), "gw_" + PaymentId(want[i]));
    EXPECT_EQ(p.Str("succeeded_at"), FormatTimestamp(At(-11 + want[i])));
  }
}

TEST_F(AlertContextTest, UnitUnitDateLedgerAndProviderContext) {
  Run(ReserveScenario());
  const Json* ids = Context("firing", Fingerprint("overbooking", U1)).Find("reservation_ids");
  ASSERT_NE(ids, nullptr);
  ASSERT_EQ(ids->kind, Json::Kind::kArray);
  ASSERT_EQ(ids->values.size(), 2u);
  EXPECT_EQ(ids->values[0].text, ReservationId(5));  // same check_in: by id
  EXPECT_EQ(ids->values[1].text, ReservationId(6));

  const Json& date = Context("firing", Fingerprint("calendar_drift", U1 + "/" + Day(0)));
  EXPECT_EQ(date.Str("allotment"), "1");
  EXPECT_EQ(date.Str("bookings_count"), "0");
  EXPECT_EQ(date.Str("temp_holds"), "0");
  const Json& bare = Context("resolved", Fingerprint("calendar_drift", U1 + "/" + Day(0)));
  EXPECT_EQ(bare.Find("allotment")->kind, Json::Kind::kNull);
  EXPECT_EQ(bare.Find("bookings_count")->kind, Json::Kind::kNull);

  const Json* accounts = Context("firing", Fingerprint("ledger_imbalance", LedgerTxnId(1))).Find("accounts");
  ASSERT_NE(accounts, nullptr);
  ASSERT_EQ(accounts->values.size(), 2u);
  EXPECT_EQ(accounts->values[0].Str("account"), "cash");
  EXPECT_EQ(accounts->values[0].Str("direction"), "debit");
  EXPECT_EQ(accounts->values[0].Str("amount"), "100.00");
  EXPECT_EQ(accounts->values[1].Str("account"), "guest_payable");

  const Json& rate = Context("firing", Fingerprint("failed_payment_rate", "mercadopago"));
  EXPECT_EQ(rate.Str("window_failed"), "20");
  EXPECT_EQ(rate.Str("window_settled"), "20");
}

TEST_F(AlertContextTest, ATitleChangedLaterShowsOnTheNextTransition) {
  Run({Txn(At(0), {Event(E1, "Old title"), Insert("ticket_tiers", TierRow(TierId(1), E1, 10, 5, 0))}),
       Txn(At(1), {Update("events", EventRow(E1, "New title"))}),
       Txn(At(2), {Update("ticket_tiers", TierRow(TierId(1), E1, 10, 0, 0))})});
  EXPECT_EQ(Context("firing", Fingerprint("high_reserved", TierId(1))).Str("event_title"), "Old title");
  EXPECT_EQ(Context("resolved", Fingerprint("high_reserved", TierId(1))).Str("event_title"), "New title");
}

TEST_F(AlertContextTest, ListsStopAtTwentyItems) {
  const std::string u2 = UnitId(2);
  std::vector<Change> changes;
  std::vector<std::string> all;
  for (int n = 1; n <= 25; ++n) {
    all.push_back(ReservationId(100 + n));
    changes.push_back(InsertIn("reserve", "reservations",
                               ReservationRow(all.back(), IntentId(100 + n), u2, Day(0), Day(2), "confirmed")));
  }
  Run({Txn(At(0), std::move(changes))});
  const Json* ids = Context("firing", Fingerprint("overbooking", u2)).Find("reservation_ids");
  ASSERT_NE(ids, nullptr);
  std::vector<std::string> got;
  for (const Json& id : ids->values) got.push_back(id.text);
  std::sort(all.begin(), all.end());
  all.resize(20);  // the same check_in: by id
  EXPECT_EQ(got, all);
}

// A database without the context columns and tables: rows lacking them are
// accepted whole and the rules work; the context says null.
TEST_F(AlertContextTest, MissingContextColumnsReadAsNull) {
  Cols tier = {Col("id", TierId(1)), Col("event_id", E1), Col("quantity", int64_t{10}),
               Col("reserved_quantity", int64_t{5}), Col("issued_quantity", int64_t{0})};
  Cols payment = {Col("id", PaymentId(1)),
                  Col("booking_intent_id", I1),
                  Col("provider", "stripe"),
                  Col("method", "card"),
                  Col("status", "processing"),
                  Col("amount", "10.00"),
                  Col("created_at", PgTimestamp(At(-70))),
                  NullCol("succeeded_at")};
  // Typed, as the live stream's rows are: the schema guard judges them.
  for (Cols* cols : {&tier, &payment}) {
    for (Datum& d : *cols) d.type = d.name.ends_with("_at") ? TypeFamily::kTimestampTz : TypeFamily::kText;
    for (Datum& d : *cols) {
      if (d.name.find("quantity") != std::string::npos) d.type = TypeFamily::kInteger;
      if (d.name == "amount") d.type = TypeFamily::kNumeric;
    }
  }
  Run({Txn(At(0), {Insert("ticket_tiers", tier), InsertIn("reserve", "payments", payment)})});
  const Json& t = Context("firing", Fingerprint("high_reserved", TierId(1)));
  for (const char* key : {"event_title", "tier_name", "price_cents"}) {
    EXPECT_EQ(t.Find(key)->kind, Json::Kind::kNull) << key;
  }
  const Json& p = Context("firing", Fingerprint("stuck_payment", PaymentId(1)));
  EXPECT_EQ(p.Str("provider"), "stripe");
  for (const char* key : {"gateway_payment_id", "error_code", "unit_id"}) {
    EXPECT_EQ(p.Find(key)->kind, Json::Kind::kNull) << key;
  }
  for (const Message& m : messages_) EXPECT_NE(m.json.Str("type"), "rule_disabled") << m.payload;
}

// A context column of a type the rules would not read is shown as its text,
// or null where a number is due: never a dead letter or a disabled rule.
TEST_F(AlertContextTest, AContextColumnOfAnotherTypeNeverStopsARule) {
  Cols tier = TierRow(TierId(1), E1, 10, 5, 0);
  for (Datum& d : tier) {
    d.type = d.name.ends_with("quantity") ? TypeFamily::kInteger : TypeFamily::kText;
    if (d.name == "updated_at") d.type = TypeFamily::kTimestampTz;
    if (d.name == "price_cents") d.text = "fifty";
    if (d.name == "name") d.type = TypeFamily::kJson;
  }
  Run({Txn(At(0), {Insert("ticket_tiers", tier)})});
  const Json& t = Context("firing", Fingerprint("high_reserved", TierId(1)));
  EXPECT_EQ(t.Str("tier_name"), "General admission");
  EXPECT_EQ(t.Find("price_cents")->kind, Json::Kind::kNull);
  for (const Message& m : messages_) EXPECT_NE(m.json.Str("type"), "rule_disabled") << m.payload;
}

}  // namespace
}  // namespace walguard::rule_test

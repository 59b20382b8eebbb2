// The runbook functions of sql/runbook/install.sql against their incidents:
// per function, the incident (ticketing_scenarios.h, reserve_scenarios.h)
// makes the rule's condition true (sql_oracle.h); the dry run reports the
// figures and changes nothing; applying reports the same figures and makes
// the condition false; a second apply changes nothing. Every call runs as the
// walguard_worker role. The concurrency test is runbook_concurrency_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/reserve_scenarios.h"
#include "tests/integration/runbook_db.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

constexpr char kEvent[] = "e1000000-0000-4000-8000-000000000001";
constexpr char kStuckTier[] = "71000000-0000-4000-8000-000000000001";     // 85 reserved by 17 expired holds
constexpr char kDriftTier[] = "72000000-0000-4000-8000-000000000002";     // reserved 12, no holds
constexpr char kIssuedTier[] = "73000000-0000-4000-8000-000000000003";    // issued 5, 4 tickets
constexpr char kPaidOrder[] = "0a200000-0000-4000-8000-000000000002";     // paid, no tickets, 2 items
constexpr char kPendingOrder[] = "0a500000-0000-4000-8000-000000000005";  // pending for an hour
constexpr char kOverbookedUnit[] = "a1000000-0000-4000-8000-000000000001";
constexpr char kDriftUnit[] = "a2000000-0000-4000-8000-000000000002";
constexpr char kOrphanPayment[] = "9a100000-0000-4000-8000-000000000001";  // succeeded, no reservation
constexpr char kOrphanIntent[] = "b1000000-0000-4000-8000-000000000001";
constexpr char kStuckPayment[] = "9a200000-0000-4000-8000-000000000002";  // processing for 2 h
constexpr char kChargedIntent[] = "b4000000-0000-4000-8000-000000000004";
constexpr char kFirstCharge[] = "9a4a0000-0000-4000-8000-000000000004";
constexpr char kSecondCharge[] = "9a4b0000-0000-4000-8000-000000000004";

class RunbookFunctionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(db_.SetUp()); }

  void Load(const char* sql) { ASSERT_OK(db_.admin().ExecScript(sql)); }

  bool Firing(const std::string& fingerprint) {
    bool firing = false;
    EXPECT_OK(db_.Firing(fingerprint, &firing));
    return firing;
  }

  std::string Value(const std::string& sql, const std::vector<std::string>& params = {}) {
    std::string value;
    EXPECT_OK(db_.Value(sql, params, &value));
    return value;
  }

  // Dry run, apply, apply again (`call` takes `args` then dry_run): the dry
  // run and the second apply leave the database as they found it, and the
  // dry run reports what the apply then does, for every key but dry_run.
  void DryApplyAgain(const std::string& call, std::vector<std::string> args, Report* apply, Report* again) {
    std::string before, after;
    Report dry;
    ASSERT_OK(db_.Digest(&before));
    args.push_back("true");
    ASSERT_OK(db_.Call(call, args, &dry));
    ASSERT_OK(db_.Digest(&after));
    EXPECT_EQ(before, after) << "the dry run changed the database: " << call;
    args.back() = "false";
    ASSERT_OK(db_.Call(call, args, apply));
    EXPECT_EQ(dry.at("dry_run"), "true");
    EXPECT_EQ(apply->at("dry_run"), "false");
    dry.erase("dry_run");
    for (const auto& [key, value] : dry) {
      if (key == "check_id") continue;  // the row the apply inserts
      EXPECT_EQ(value, (*apply)[key]) << call << ": dry run and apply disagree on " << key;
    }
    ASSERT_OK(db_.Digest(&before));
    ASSERT_OK(db_.Call(call, args, again));
    ASSERT_OK(db_.Digest(&after));
    if (call.find("request_payment_status_poll") == std::string::npos) {
      EXPECT_EQ(before, after) << "the second apply changed the database: " << call;
    }
  }

  RunbookDb db_;
};

TEST_F(RunbookFunctionsTest, CleanupExpiredTicketHoldsReleasesHoldsPastTheGrace) {
  Load(kAllRulesIncident);
  // A hold expired 2 minutes ago is within the stuck_holds grace: kept.
  Load(R"SQL(UPDATE ticketing.ticket_tiers SET reserved_quantity = 2 WHERE id = '73000000-0000-4000-8000-000000000003';
    INSERT INTO ticketing.ticket_holds (id, tier_id, quantity, status, expires_at) VALUES
    ('40000000-0000-4000-8000-000000000001', '73000000-0000-4000-8000-000000000003', 2, 'active',
     now() - interval '2 minutes');)SQL");
  const std::string stuck = std::string("stuck_holds:tier:") + kStuckTier;
  ASSERT_TRUE(Firing(stuck));
  ASSERT_TRUE(Firing(std::string("false_sold_out:tier:") + kStuckTier));
  Report apply, again;
  DryApplyAgain("public.cleanup_expired_ticket_holds($1::uuid, $2::boolean)", {kEvent}, &apply, &again);
  EXPECT_EQ(apply["holds_affected"], "17");
  EXPECT_EQ(apply["quantity_released"], "85");
  EXPECT_EQ(apply["tiers_updated"], "1");
  EXPECT_EQ(apply["tiers"],
            std::string(R"([{"tier_id": ")") + kStuckTier + R"(", "reserved_after": 0, "reserved_before": 85}])");
  EXPECT_FALSE(Firing(stuck));
  EXPECT_FALSE(Firing(std::string("false_sold_out:tier:") + kStuckTier));
  EXPECT_FALSE(Firing(std::string("tier_reserved_drift:tier:") + kStuckTier));
  EXPECT_EQ(Value("SELECT status FROM ticketing.ticket_holds WHERE id = '40000000-0000-4000-8000-000000000001'"),
            "active");
  EXPECT_EQ(again["holds_affected"], "0");
  EXPECT_EQ(again["tiers_updated"], "0");
}

TEST_F(RunbookFunctionsTest, ReconcileEventTicketsRecountsEveryTier) {
  Load(kAllRulesIncident);
  const std::vector<std::string> fixed = {
      std::string("stuck_holds:tier:") + kStuckTier,         std::string("false_sold_out:tier:") + kStuckTier,
      std::string("tier_reserved_drift:tier:") + kDriftTier, std::string("negative_available:tier:") + kDriftTier,
      std::string("tier_issued_drift:tier:") + kIssuedTier,
  };
  for (const std::string& fp : fixed) ASSERT_TRUE(Firing(fp)) << fp;
  Report apply, again;
  DryApplyAgain("public.reconcile_event_tickets($1::uuid, $2::boolean)", {kEvent}, &apply, &again);
  EXPECT_EQ(apply["holds_affected"], "17");
  EXPECT_EQ(apply["tiers_updated"], "3");
  EXPECT_NE(apply["tiers"].find(R"("issued_after": 4, "issued_before": 5)"), std::string::npos) << apply["tiers"];
  EXPECT_NE(apply["tiers"].find(R"("reserved_after": 0, "reserved_before": 12)"), std::string::npos) << apply["tiers"];
  for (const std::string& fp : fixed) EXPECT_FALSE(Firing(fp)) << fp;
  EXPECT_EQ(again["holds_affected"], "0");
  EXPECT_EQ(again["tiers_updated"], "0");
}

TEST_F(RunbookFunctionsTest, ReconcileIssuedQuantityCountsTickets) {
  Load(kAllRulesIncident);
  const std::string drift = std::string("tier_issued_drift:tier:") + kIssuedTier;
  ASSERT_TRUE(Firing(drift));
  Report apply, again;
  DryApplyAgain("public.reconcile_issued_quantity($1::uuid, $2::boolean)", {kIssuedTier}, &apply, &again);
  EXPECT_EQ(apply["tiers_updated"], "1");
  EXPECT_EQ(apply["issued_before"], "5");
  EXPECT_EQ(apply["issued_after"], "4");
  EXPECT_FALSE(Firing(drift));
  EXPECT_EQ(again["tiers_updated"], "0");
  Report missing;
  ASSERT_OK(db_.Call("public.reconcile_issued_quantity($1::uuid, $2::boolean)",
                     {"00000000-0000-4000-8000-000000000000", "false"}, &missing));
  EXPECT_EQ(missing["tiers_updated"], "0");
  EXPECT_EQ(missing["reason"], "tier_not_found");
}

TEST_F(RunbookFunctionsTest, ExpirePendingOrdersLeavesRecentCarts) {
  Load(kAllRulesIncident);
  Load(R"SQL(INSERT INTO ticketing.orders (id, event_id, user_id, status, created_at) VALUES
    ('0a600000-0000-4000-8000-000000000006', 'e1000000-0000-4000-8000-000000000001', gen_random_uuid(), 'pending',
     now() - interval '10 minutes');)SQL");
  const std::string stale = std::string("stale_pending_orders:event:") + kEvent;
  ASSERT_TRUE(Firing(stale));
  Report apply, again;
  DryApplyAgain("public.expire_pending_orders($1::uuid, $2::boolean)", {kEvent}, &apply, &again);
  EXPECT_EQ(apply["orders_affected"], "1");
  EXPECT_EQ(apply["order_ids"], std::string("[\"") + kPendingOrder + "\"]");
  EXPECT_EQ(apply["holds_affected"], "17");  // the event's stuck holds go with the carts
  EXPECT_FALSE(Firing(stale));
  EXPECT_EQ(Value("SELECT status FROM ticketing.orders WHERE id = $1", {kPendingOrder}), "expired");
  EXPECT_EQ(Value("SELECT status FROM ticketing.orders WHERE id = '0a600000-0000-4000-8000-000000000006'"), "pending");
  EXPECT_EQ(again["orders_affected"], "0");
  EXPECT_EQ(again["holds_affected"], "0");
}

TEST_F(RunbookFunctionsTest, EnsureTicketsIssuesWhatThePaidOrderCallsFor) {
  Load(kAllRulesIncident);
  const std::string missing = std::string("paid_without_tickets:order:") + kPaidOrder;
  ASSERT_TRUE(Firing(missing));
  const std::string issued_before =
      Value("SELECT issued_quantity FROM ticketing.ticket_tiers WHERE id = $1", {kIssuedTier});
  Report apply, again;
  DryApplyAgain("public.ensure_tickets($1::uuid, $2::boolean)", {kPaidOrder}, &apply, &again);
  EXPECT_EQ(apply["tickets_created"], "2");
  EXPECT_EQ(apply["tiers_updated"], "1");
  EXPECT_FALSE(Firing(missing));
  EXPECT_EQ(Value("SELECT count(*) FROM ticketing.tickets WHERE order_id = $1 AND status = 'issued'", {kPaidOrder}),
            "2");
  EXPECT_EQ(Value("SELECT issued_quantity FROM ticketing.ticket_tiers WHERE id = $1", {kIssuedTier}),
            std::to_string(std::stoi(issued_before) + 2));
  EXPECT_EQ(again["tickets_created"], "0");
  Report pending;
  ASSERT_OK(db_.Call("public.ensure_tickets($1::uuid, $2::boolean)", {kPendingOrder, "false"}, &pending));
  EXPECT_EQ(pending["tickets_created"], "0");
  EXPECT_EQ(pending["reason"], "order_not_paid");
}

TEST_F(RunbookFunctionsTest, BlockUnitAvailabilityBlocksTheOverbookedNights) {
  Load(kReserveIncident);
  ASSERT_TRUE(Firing(std::string("overbooking:unit:") + kOverbookedUnit));
  Report apply, again;
  DryApplyAgain("reserve.block_unit_availability($1::uuid, $2::date, $3::boolean)", {kOverbookedUnit, "2027-01-01"},
                &apply, &again);
  EXPECT_EQ(apply["dates_blocked"], "1");
  EXPECT_EQ(apply["dates"], R"(["2027-01-12"])");
  // The night had no calendar row: it has one now, blocked, counting both stays.
  EXPECT_EQ(Value("SELECT format('%s/%s/%s', bookings_count, is_blocked, is_available) FROM "
                  "reserve.availability_calendar WHERE unit_id = $1 AND date = '2027-01-12'",
                  {kOverbookedUnit}),
            "2/t/f");
  EXPECT_FALSE(Firing(std::string("calendar_drift:unit_date:") + kOverbookedUnit + "/2027-01-12"));
  EXPECT_EQ(again["dates_blocked"], "0");
  EXPECT_EQ(again["overbooked_dates"], "1");  // a person still moves or cancels a stay
}

TEST_F(RunbookFunctionsTest, RecalculateAvailabilityRecountsTheNight) {
  Load(kReserveIncident);
  const std::string drift = std::string("calendar_drift:unit_date:") + kDriftUnit + "/2027-02-01";
  ASSERT_TRUE(Firing(drift));
  Report apply, again;
  DryApplyAgain("reserve.recalculate_availability($1::uuid, $2::date, $3::boolean)", {kDriftUnit, "2027-02-01"}, &apply,
                &again);
  EXPECT_EQ(apply["rows_updated"], "1");
  EXPECT_EQ(apply["bookings_count_before"], "1");
  EXPECT_EQ(apply["bookings_count_after"], "0");
  EXPECT_FALSE(Firing(drift));
  EXPECT_EQ(again["rows_updated"], "0");
  Report no_row;
  ASSERT_OK(db_.Call("reserve.recalculate_availability($1::uuid, $2::date, $3::boolean)",
                     {kDriftUnit, "2027-02-02", "false"}, &no_row));
  EXPECT_EQ(no_row["reason"], "no_calendar_row");
}

TEST_F(RunbookFunctionsTest, FinalizeReservationCreatesTheMissingStay) {
  Load(kReserveIncident);
  Load(R"SQL(INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out) VALUES
    ('b1000000-0000-4000-8000-000000000001', 'a3000000-0000-4000-8000-000000000003', '2027-06-01', '2027-06-04');
    INSERT INTO reserve.processed_webhooks (id, provider, event_id, event_type, status) VALUES
    ('3b000000-0000-4000-8000-000000000001', 'stripe', 'evt-p1', 'payment_intent.succeeded', 'failed');)SQL");
  const std::string orphan = std::string("payment_without_reservation:payment:") + kOrphanPayment;
  ASSERT_TRUE(Firing(orphan));
  Report apply, again;
  DryApplyAgain("reserve.finalize_reservation($1::uuid, $2::uuid, $3::boolean)",
                {kOrphanPayment, "3b000000-0000-4000-8000-000000000001"}, &apply, &again);
  EXPECT_EQ(apply["reservations_created"], "1");
  EXPECT_EQ(apply["calendar_dates_updated"], "3");
  EXPECT_FALSE(Firing(orphan));
  EXPECT_EQ(Value("SELECT format('%s %s %s %s', status, unit_id, check_in, check_out) FROM reserve.reservations "
                  "WHERE id = $1",
                  {apply["reservation_id"]}),
            "confirmed a3000000-0000-4000-8000-000000000003 2027-06-01 2027-06-04");
  EXPECT_EQ(Value("SELECT sum(bookings_count) FROM reserve.availability_calendar WHERE unit_id = "
                  "'a3000000-0000-4000-8000-000000000003'"),
            "3");
  EXPECT_EQ(Value("SELECT status FROM reserve.booking_intents WHERE id = $1", {kOrphanIntent}), "converted");
  EXPECT_EQ(Value("SELECT status FROM reserve.processed_webhooks WHERE id = '3b000000-0000-4000-8000-000000000001'"),
            "completed");
  EXPECT_EQ(again["reservations_created"], "0");
  EXPECT_EQ(again["reason"], "reservation_exists");
  EXPECT_EQ(again["reservation_id"], apply["reservation_id"]);
}

TEST_F(RunbookFunctionsTest, FinalizeReservationRefusesToOverbook) {
  Load(kReserveIncident);
  // The intent's nights include 2027-01-12, already taken twice on a1.
  Load(R"SQL(INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out) VALUES
    ('b1000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', '2027-01-11', '2027-01-13');)SQL");
  std::string before, after;
  ASSERT_OK(db_.Digest(&before));
  Report refused;
  ASSERT_OK(db_.Call("reserve.finalize_reservation($1::uuid, NULL, $2::boolean)", {kOrphanPayment, "false"}, &refused));
  ASSERT_OK(db_.Digest(&after));
  EXPECT_EQ(before, after);
  EXPECT_EQ(refused["reservations_created"], "0");
  EXPECT_EQ(refused["reason"], "unit_unavailable");
  EXPECT_EQ(refused["unavailable_dates"], R"(["2027-01-11", "2027-01-12"])");
}

TEST_F(RunbookFunctionsTest, RequestPaymentStatusPollRecordsACheck) {
  Load(kReserveIncident);
  Report apply, again;
  DryApplyAgain("reserve.request_payment_status_poll($1::uuid, $2::boolean)", {kStuckPayment}, &apply, &again);
  EXPECT_EQ(apply["checks_requested"], "1");
  EXPECT_EQ(apply["provider"], "stripe");
  EXPECT_EQ(apply["status"], "processing");
  // The command repeats while the payment is stuck: every call is a request.
  EXPECT_EQ(again["checks_requested"], "1");
  EXPECT_EQ(Value("SELECT string_agg(format('%s %s %s', payment_id, provider, status_at_request), ',') "
                  "FROM walguard_worker.provider_checks"),
            std::string(kStuckPayment) + " stripe processing," + kStuckPayment + " stripe processing");
  Report settled;
  ASSERT_OK(
      db_.Call("reserve.request_payment_status_poll($1::uuid, $2::boolean)", {kOrphanPayment, "false"}, &settled));
  EXPECT_EQ(settled["checks_requested"], "0");
  EXPECT_EQ(settled["reason"], "payment_settled");
}

TEST_F(RunbookFunctionsTest, RefundDuplicateChargeRefundsOnlyADuplicate) {
  Load(kReserveIncident);
  Load("UPDATE reserve.payments SET gateway_payment_id = 'pi_dup' WHERE id = '9a4b0000-0000-4000-8000-000000000004'");
  const std::string double_charge = std::string("double_charge:booking_intent:") + kChargedIntent;
  ASSERT_TRUE(Firing(double_charge));
  Report apply, again;
  DryApplyAgain("reserve.refund_duplicate_charge($1::uuid, $2::uuid, $3::boolean)", {kChargedIntent, kSecondCharge},
                &apply, &again);
  EXPECT_EQ(apply["payments_refunded"], "1");
  EXPECT_EQ(apply["amount"], "300.00");
  EXPECT_EQ(apply["ledger_entries_written"], "2");
  EXPECT_EQ(apply["external_action"], std::string(R"({"kind": "provider_refund", "amount": "300.00", )") +
                                          R"("provider": "stripe", "payment_id": ")" + kSecondCharge +
                                          R"(", "gateway_payment_id": "pi_dup"})");
  EXPECT_FALSE(Firing(double_charge));
  EXPECT_FALSE(Firing("ledger_imbalance:ledger_transaction:" + apply["ledger_transaction_id"]));
  EXPECT_EQ(Value("SELECT string_agg(format('%s %s', direction, amount), ',' ORDER BY direction) FROM "
                  "reserve.ledger_entries WHERE transaction_id = $1",
                  {apply["ledger_transaction_id"]}),
            "credit 300.00,debit 300.00");
  EXPECT_EQ(again["payments_refunded"], "0");
  EXPECT_EQ(again["reason"], "payment_not_succeeded");
  // The last succeeded payment is not a duplicate; another intent's is not this one's.
  Report last, other;
  ASSERT_OK(db_.Call("reserve.refund_duplicate_charge($1::uuid, $2::uuid, $3::boolean)",
                     {kChargedIntent, kFirstCharge, "false"}, &last));
  EXPECT_EQ(last["reason"], "not_a_duplicate");
  ASSERT_OK(db_.Call("reserve.refund_duplicate_charge($1::uuid, $2::uuid, $3::boolean)",
                     {kChargedIntent, kOrphanPayment, "false"}, &other));
  EXPECT_EQ(other["reason"], "payment_not_of_booking_intent");
  EXPECT_EQ(Value("SELECT status FROM reserve.payments WHERE id = $1", {kFirstCharge}), "succeeded");
}

TEST_F(RunbookFunctionsTest, TheRoleMayCallTheFunctionsAndTouchNothingElse) {
  Load(kAllRulesIncident);
  Report report;
  ASSERT_OK(db_.Call("public.reconcile_event_tickets($1::uuid, $2::boolean)", {kEvent, "true"}, &report));
  auto denied = [&](const std::string& sql) {
    Status s = db_.worker().Exec(sql);
    EXPECT_FALSE(s.ok()) << "walguard_worker may run: " << sql;
    EXPECT_NE(s.ToString().find("permission denied"), std::string::npos) << s.ToString();
  };
  denied("UPDATE ticketing.ticket_tiers SET reserved_quantity = 0");
  denied("SELECT count(*) FROM ticketing.ticket_holds");
  denied("UPDATE reserve.payments SET status = 'refunded'");
  denied("SELECT count(*) FROM reserve.ledger_entries");
  denied("UPDATE walguard_worker.settings SET value = '0' WHERE name = 'stuck_hold_grace'");
  denied("SELECT walguard_worker.expire_holds('e1000000-0000-4000-8000-000000000001', now(), false)");
  denied("DELETE FROM walguard_worker.applied");
  denied("UPDATE walguard_worker.applied SET type = 'x'");
  // Its own books: claim a command, store the report, log it.
  EXPECT_OK(db_.worker().Exec(
      "INSERT INTO walguard_worker.applied (command_id, type, args) VALUES ('c1', 'reconcile_event_tickets', '{}') "
      "ON CONFLICT (command_id) DO NOTHING"));
  EXPECT_OK(db_.worker().Exec("UPDATE walguard_worker.applied SET report = '{}' WHERE command_id = 'c1'"));
  EXPECT_OK(db_.worker().Exec(
      "INSERT INTO walguard_worker.audit_log (command_id, type, action) VALUES ('c1', 'reconcile_event_tickets', "
      "'applied')"));
  // PUBLIC may not execute them: walguard's own role, say.
  EXPECT_OK(db_.worker().ExecScript("RESET ROLE; SET ROLE walguard"));
  denied("SELECT public.reconcile_event_tickets('e1000000-0000-4000-8000-000000000001', true)");
  denied("SELECT reserve.refund_duplicate_charge(gen_random_uuid(), gen_random_uuid(), true)");
}

TEST_F(RunbookFunctionsTest, ReinstallingKeepsTablesAndSettings) {
  ASSERT_OK(
      db_.admin().Exec("UPDATE walguard_worker.settings SET value = '7 minutes' WHERE name = 'stuck_hold_grace'"));
  ASSERT_OK(db_.admin().Exec("INSERT INTO walguard_worker.applied (command_id, type) VALUES ('c1', 't')"));
  ASSERT_OK(db_.Install());
  EXPECT_EQ(Value("SELECT value FROM walguard_worker.settings WHERE name = 'stuck_hold_grace'"), "7 minutes");
  EXPECT_EQ(Value("SELECT count(*) FROM walguard_worker.applied"), "1");
  EXPECT_EQ(Value("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
                  "has_function_privilege('walguard_worker', p.oid, 'EXECUTE') AND p.prosecdef AND "
                  "n.nspname IN ('public', 'reserve')"),
            "10");
}

}  // namespace
}  // namespace walguard::testing

// ALTER TABLE and TRUNCATE on the monitored tables, end to end: real
// Postgres 15 + wal2json -> `walguard run` -> embedded broker -> a real
// consumer. A dropped, renamed or retyped column dead-letters the rows and
// disables the rules that read the table (one rule_disabled alert each, kept
// across a restart) while walguard and the other rules go on; a compatible
// type change disables nothing; TRUNCATE resolves what depended on the rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::seconds;

std::vector<Published> Of(const std::vector<Published>& all, const std::string& topic, const std::string& type = "",
                          const std::string& state = "") {
  std::vector<Published> out;
  for (const Published& p : all) {
    if (p.topic == topic && (type.empty() || p.type == type) && (state.empty() || p.state == state)) {
      out.push_back(p);
    }
  }
  return out;
}

std::set<std::string> DisabledRules(const std::vector<Published>& all) {
  std::set<std::string> rules;
  for (const Published& p : Of(all, "walguard.alerts", "rule_disabled", "firing")) rules.insert(p.entity_id);
  return rules;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Payment p1 succeeded without a reservation (fires); p5's intent has one.
constexpr const char* kPayments = R"SQL(
INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES
 ('5c000000-0000-4000-8000-000000000005', 'b9000000-0000-4000-8000-000000000005',
  'a9000000-0000-4000-8000-000000000005', '2027-03-01', '2027-03-03', 'confirmed');
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, succeeded_at) VALUES
 ('9b000000-0000-4000-8000-000000000001', 'b9000000-0000-4000-8000-000000000001', 'stripe', 'card', 'succeeded',
  100.00, now() - interval '15 minutes', now() - interval '10 minutes'),
 ('9b000000-0000-4000-8000-000000000005', 'b9000000-0000-4000-8000-000000000005', 'stripe', 'card', 'succeeded',
  100.00, now() - interval '15 minutes', now() - interval '10 minutes');)SQL";

std::string Unbalanced(int n) {
  const std::string txn = "1e900000-0000-4000-8000-00000000000" + std::to_string(n);
  return "INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount) VALUES ('" + txn +
         "', 'cash', 'debit', 10.00)";
}

TEST(SchemaChangeTest, DroppedColumnDisablesTheRulesReadingItAcrossARestart) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kPayments));
  ASSERT_EQ(h.WaitFor("payment_without_reservation", "firing", 1).size(), 1u) << h.WalguardLog();

  ASSERT_OK(h.Sql("ALTER TABLE reserve.payments DROP COLUMN method"));
  // Stuck in 'processing' for two hours: stuck_payment would fire.
  ASSERT_OK(
      h.Sql("INSERT INTO reserve.payments (booking_intent_id, provider, status, amount, created_at) VALUES "
            "(gen_random_uuid(), 'stripe', 'processing', 50.00, now() - interval '2 hours')"));
  const std::set<std::string> payment_rules = {
      "payment_without_reservation", "stuck_payment",  "pix_pending", "double_charge",
      "failed_payment_rate",         "webhook_silence"};
  ASSERT_EQ(h.WaitFor("rule_disabled", "firing", payment_rules.size()).size(), payment_rules.size()) << h.WalguardLog();
  // p1's reservation arrives: its alert would resolve, but the rule is disabled. Other tables' rules go on.
  ASSERT_OK(
      h.Sql("INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status) VALUES "
            "('b9000000-0000-4000-8000-000000000001', gen_random_uuid(), '2027-04-01', '2027-04-02', 'confirmed')"));
  ASSERT_OK(h.Sql(Unbalanced(1)));
  ASSERT_EQ(h.WaitFor("ledger_imbalance", "firing", 1).size(), 1u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());

  std::vector<Published> all = h.All();
  EXPECT_EQ(DisabledRules(all), payment_rules);
  std::vector<Published> dead = Of(all, "walguard.deadletter");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].reason, "column reserve.payments.method missing (dropped or renamed?)");
  for (const Published& p : Of(all, "walguard.alerts", "rule_disabled")) {
    EXPECT_EQ(p.fingerprint, "rule_disabled:rule:" + p.entity_id);
    EXPECT_EQ(p.entity_kind, "rule");
    EXPECT_NE(p.payload.find(R"("severity":"P1")"), std::string::npos) << p.payload;
    EXPECT_NE(p.details.find(R"("table":"reserve.payments","column":"method")"), std::string::npos) << p.details;
    EXPECT_NE(p.details.find("walguard run --resnapshot"), std::string::npos) << p.details;
  }
  EXPECT_TRUE(Of(all, "walguard.alerts", "stuck_payment").empty());
  EXPECT_TRUE(Of(all, "walguard.alerts", "payment_without_reservation", "resolved").empty());
  EXPECT_EQ(Count(h.WalguardLog(), "schema change at"), 1u) << h.WalguardLog();

  // After a restart the rules stay disabled: p5 loses its reservation, and nothing fires.
  ASSERT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql("DELETE FROM reserve.reservations WHERE id = '5c000000-0000-4000-8000-000000000005'"));
  ASSERT_OK(h.Sql(Unbalanced(2)));
  ASSERT_EQ(h.WaitFor("ledger_imbalance", "firing", 2).size(), 2u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  all = h.All();
  EXPECT_EQ(Of(all, "walguard.alerts", "rule_disabled").size(), payment_rules.size()) << "published twice";
  EXPECT_EQ(Of(all, "walguard.alerts", "payment_without_reservation").size(), 1u);
  EXPECT_EQ(Count(h.WalguardLog(), "is disabled since a schema change"), payment_rules.size()) << h.WalguardLog();
  EXPECT_EQ(h.StopWalguard(), 0);
}

constexpr const char* kOrderWithTicket = R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e9000000-0000-4000-8000-000000000001', 'Schema');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity)
VALUES ('79000000-0000-4000-8000-000000000001', 'e9000000-0000-4000-8000-000000000001', 'GA', 5000, 100, 0, 1);
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at)
VALUES ('0a900000-0000-4000-8000-000000000001', 'e9000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid',
        5000, now(), now());
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
VALUES ('0a900000-0000-4000-8000-000000000001', '79000000-0000-4000-8000-000000000001', 1, 5000);
INSERT INTO ticketing.tickets (id, order_id, tier_id, status)
VALUES ('7c900000-0000-4000-8000-000000000001', '0a900000-0000-4000-8000-000000000001',
        '79000000-0000-4000-8000-000000000001', 'issued');)SQL";

TEST(SchemaChangeTest, RenamedColumnSeenInAnUpdateDisablesTheRulesReadingIt) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kOrderWithTicket));
  ASSERT_OK(h.Sql("ALTER TABLE ticketing.tickets RENAME COLUMN status TO state"));
  ASSERT_OK(h.Sql("UPDATE ticketing.tickets SET state = 'checked_in'"));
  ASSERT_EQ(h.WaitFor("rule_disabled", "firing", 3).size(), 3u) << h.WalguardLog();
  // tier_issued_drift (disabled) would fire on issued 5 vs 1 ticket; high_reserved reads only the tier.
  ASSERT_OK(h.Sql("UPDATE ticketing.ticket_tiers SET issued_quantity = 5, reserved_quantity = 40"));
  ASSERT_EQ(h.WaitFor("high_reserved", "firing", 1).size(), 1u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  std::vector<Published> all = h.All();
  EXPECT_EQ(DisabledRules(all),
            (std::set<std::string>{"tier_issued_drift", "paid_without_tickets", "order_overissued"}));
  std::vector<Published> dead = Of(all, "walguard.deadletter");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].reason, "column ticketing.tickets.status missing (dropped or renamed?)");
  EXPECT_TRUE(Of(all, "walguard.alerts", "tier_issued_drift").empty());
  EXPECT_EQ(Of(all, "walguard.alerts", "tier_reserved_drift", "firing").size(), 1u);
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(SchemaChangeTest, IncompatibleTypeChangeDisablesAWideningDoesNot) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kOrderWithTicket));
  ASSERT_OK(h.Sql("ALTER TABLE ticketing.order_items ALTER COLUMN quantity TYPE bigint"));
  ASSERT_OK(
      h.Sql("INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents) VALUES "
            "('0a900000-0000-4000-8000-000000000001', '79000000-0000-4000-8000-000000000001', 1, 5000)"));
  // Two items of 5000 against a total of 5000: the widened column is read.
  ASSERT_EQ(h.WaitFor("revenue_mismatch", "firing", 1).size(), 1u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  EXPECT_TRUE(Of(h.All(), "walguard.deadletter").empty());
  EXPECT_TRUE(DisabledRules(h.All()).empty());

  ASSERT_OK(h.Sql("ALTER TABLE ticketing.order_items ALTER COLUMN quantity TYPE text"));
  ASSERT_OK(
      h.Sql("INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents) VALUES "
            "('0a900000-0000-4000-8000-000000000001', '79000000-0000-4000-8000-000000000001', '1', 5000)"));
  ASSERT_EQ(h.WaitFor("rule_disabled", "firing", 2).size(), 2u) << h.WalguardLog();
  // The total now matches the two items walguard counted, but revenue_mismatch is disabled: it stays open.
  ASSERT_OK(h.Sql("UPDATE ticketing.orders SET total_cents = 10000"));
  ASSERT_OK(h.Sql(Unbalanced(3)));
  ASSERT_EQ(h.WaitFor("ledger_imbalance", "firing", 1).size(), 1u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  std::vector<Published> all = h.All();
  EXPECT_EQ(DisabledRules(all), (std::set<std::string>{"order_overissued", "revenue_mismatch"}));
  std::vector<Published> dead = Of(all, "walguard.deadletter");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].reason, "column ticketing.order_items.quantity has type text, expected integer or numeric");
  EXPECT_TRUE(Of(all, "walguard.alerts", "revenue_mismatch", "resolved").empty());
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(SchemaChangeTest, TruncateResolvesWhatDependedOnTheRows) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[rules.ticketing]\nstuck_hold_after_seconds = 1\n"));
  // One hold stuck for an hour, one expiring in 2 s (stuck 1 s later, unless truncated).
  ASSERT_OK(h.Sql(R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e9000000-0000-4000-8000-000000000002', 'Truncate');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity)
VALUES ('79000000-0000-4000-8000-000000000002', 'e9000000-0000-4000-8000-000000000002', 'GA', 5000, 100, 10, 0);
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, created_at, expires_at) VALUES
 ('79000000-0000-4000-8000-000000000002', 5, 'active', now() - interval '2 hours', now() - interval '1 hour'),
 ('79000000-0000-4000-8000-000000000002', 5, 'active', now(), now() + interval '2 seconds');)SQL"));
  ASSERT_OK(h.Sql(Unbalanced(4)));
  ASSERT_EQ(h.WaitFor("stuck_holds", "firing", 1).size(), 1u) << h.WalguardLog();
  ASSERT_EQ(h.WaitFor("ledger_imbalance", "firing", 1).size(), 1u) << h.WalguardLog();

  ASSERT_OK(h.Sql("TRUNCATE ticketing.ticket_holds, reserve.ledger_entries"));
  EXPECT_EQ(h.WaitFor("stuck_holds", "resolved", 1).size(), 1u) << h.WalguardLog();
  EXPECT_EQ(h.WaitFor("ledger_imbalance", "resolved", 1).size(), 1u) << h.WalguardLog();
  // No active holds are left, so reserved_quantity 10 now drifts.
  EXPECT_EQ(h.WaitFor("tier_reserved_drift", "firing", 1).size(), 1u) << h.WalguardLog();
  // Past the second hold's stuck deadline: its timer went with it.
  std::this_thread::sleep_for(seconds(4));
  ASSERT_OK(h.Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = 0"));
  EXPECT_EQ(h.WaitFor("tier_reserved_drift", "resolved", 1).size(), 1u) << h.WalguardLog();
  ASSERT_OK(h.CatchUp());
  std::vector<Published> all = h.All();
  EXPECT_EQ(Of(all, "walguard.alerts", "stuck_holds", "firing").size(), 1u);
  EXPECT_TRUE(h.FiringSet().empty()) << h.FiringSet().begin()->first;
  EXPECT_TRUE(Of(all, "walguard.deadletter").empty());
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

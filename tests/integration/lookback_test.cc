// Lookback on the first start (CONTRACT 3.1): a snapshot over a database
// seeded with old incidents - last year's payment without a reservation, an
// old ledger imbalance, an old double charge, a webhook stuck since last
// month - reports them as historical (P4, "historical": true, no command on
// the commands topic) and pages (the rule's severity and its command) for the
// recent incidents beside them. Also: the same snapshot under
// historical_alerts = "page" (walguard before lookbacks) pages for all of them,
// and under "suppress" says nothing of the old ones.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

std::string ReserveSchema() {
  std::ifstream in(std::string(WALGUARD_SOURCE_DIR) + "/sql/reserve_schema.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Old incidents (ids 0...01) and recent ones (ids 0...02), one per lookback rule.
constexpr const char* kSeed = R"SQL(
-- payment_without_reservation: last year, and 10 minutes ago
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, succeeded_at) VALUES
 ('9c000000-0000-4000-8000-000000000001', 'bc000000-0000-4000-8000-000000000001', 'stripe', 'card', 'succeeded', 410.00,
  now() - interval '1 year' - interval '2 minutes', now() - interval '1 year'),
 ('9c000000-0000-4000-8000-000000000002', 'bc000000-0000-4000-8000-000000000002', 'stripe', 'card', 'succeeded', 420.00,
  now() - interval '12 minutes', now() - interval '10 minutes');
-- double_charge: charged twice 30 days ago, and just now (both intents have their reservation)
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at, succeeded_at) VALUES
 ('9d000000-0000-4000-8000-0000000000a1', 'bd000000-0000-4000-8000-000000000001', 'stripe', 'card', 'succeeded', 300.00,
  now() - interval '30 days', now() - interval '30 days'),
 ('9d000000-0000-4000-8000-0000000000b1', 'bd000000-0000-4000-8000-000000000001', 'stripe', 'card', 'succeeded', 300.00,
  now() - interval '30 days', now() - interval '30 days' + interval '1 minute'),
 ('9d000000-0000-4000-8000-0000000000a2', 'bd000000-0000-4000-8000-000000000002', 'stripe', 'card', 'succeeded', 300.00,
  now() - interval '2 minutes', now() - interval '1 minute'),
 ('9d000000-0000-4000-8000-0000000000b2', 'bd000000-0000-4000-8000-000000000002', 'stripe', 'card', 'succeeded', 300.00,
  now() - interval '2 minutes', now());
INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status) VALUES
 ('bd000000-0000-4000-8000-000000000001', gen_random_uuid(), '2026-01-10', '2026-01-12', 'checked_out'),
 ('bd000000-0000-4000-8000-000000000002', gen_random_uuid(), '2027-06-10', '2027-06-12', 'confirmed');
-- ledger_imbalance: 0.10 missing 60 days ago, and today
INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount, created_at) VALUES
 ('1f000000-0000-4000-8000-000000000001', 'cash', 'debit', 100.10, now() - interval '60 days'),
 ('1f000000-0000-4000-8000-000000000001', 'revenue', 'credit', 100.00, now() - interval '60 days'),
 ('1f000000-0000-4000-8000-000000000002', 'cash', 'debit', 100.10, now()),
 ('1f000000-0000-4000-8000-000000000002', 'revenue', 'credit', 100.00, now());
-- webhook_failures: mercadopago's webhook stuck 'processing' since last month; openpix's for 10 minutes
INSERT INTO reserve.processed_webhooks (provider, event_id, event_type, status, received_at) VALUES
 ('mercadopago', 'evt-old', 'payment.updated', 'processing', now() - interval '1 month'),
 ('openpix', 'evt-new', 'pix.received', 'processing', now() - interval '10 minutes');
)SQL";

const std::set<std::string> kOld = {
    "payment_without_reservation:payment:9c000000-0000-4000-8000-000000000001",
    "double_charge:booking_intent:bd000000-0000-4000-8000-000000000001",
    "ledger_imbalance:ledger_transaction:1f000000-0000-4000-8000-000000000001",
    "webhook_failures:provider:mercadopago",
};
const std::set<std::string> kRecent = {
    "payment_without_reservation:payment:9c000000-0000-4000-8000-000000000002",
    "double_charge:booking_intent:bd000000-0000-4000-8000-000000000002",
    "ledger_imbalance:ledger_transaction:1f000000-0000-4000-8000-000000000002",
    "webhook_failures:provider:openpix",
};

bool Historical(const Published& p) {
  return p.payload.find(R"("historical":true)") != std::string::npos;
}
std::string Severity(const Published& p) {
  const std::string key = R"("severity":")";
  const size_t at = p.payload.find(key);
  return at == std::string::npos ? "" : p.payload.substr(at + key.size(), 2);
}

struct Snapshot {
  std::map<std::string, Published> firing;       // fingerprint -> its firing message
  std::map<std::string, int> commands_by_cause;  // alert_id -> commands
  size_t paged = 0;                              // firing alerts that are not historical
};

// A fresh database with the seed, and the first start's snapshot under `mode`.
void SnapshotOfSeed(const std::string& mode, Snapshot* out) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(ReserveSchema()));
  ASSERT_OK(h.Sql(kSeed));
  ASSERT_OK(h.StartWalguard("\n[rules.alerts]\nhistorical_alerts = \"" + mode + "\"\n"));
  ASSERT_OK(h.CatchUp());
  for (const Published& p : h.All()) {
    EXPECT_NE(p.topic, "walguard.deadletter") << p.payload;
    if (p.topic == "walguard.commands") ++out->commands_by_cause[p.caused_by];
    if (!p.fingerprint.empty() && p.state == "firing") out->firing[p.fingerprint] = p;
  }
  for (const auto& [fp, p] : out->firing) out->paged += Historical(p) ? 0 : 1;
  EXPECT_EQ(h.StopWalguard(), 0) << h.WalguardLog();
  ASSERT_OK(h.DropSlot());
}

TEST(Lookback, FirstStartReportsOldIncidentsAsHistoricalAndPagesRecentOnes) {
  Snapshot s;
  ASSERT_NO_FATAL_FAILURE(SnapshotOfSeed("report", &s));
  for (const std::string& fp : kOld) {
    SCOPED_TRACE(fp);
    ASSERT_EQ(s.firing.count(fp), 1u);
    const Published& p = s.firing.at(fp);
    EXPECT_TRUE(Historical(p)) << p.payload;
    EXPECT_EQ(Severity(p), "P4") << p.payload;
    EXPECT_EQ(s.commands_by_cause.count(p.alert_id), 0u) << "a historical alert issued a command";
  }
  for (const std::string& fp : kRecent) {
    SCOPED_TRACE(fp);
    ASSERT_EQ(s.firing.count(fp), 1u);
    const Published& p = s.firing.at(fp);
    EXPECT_FALSE(Historical(p)) << p.payload;
    EXPECT_NE(Severity(p), "P4") << p.payload;
    const bool has_command = p.type == "payment_without_reservation" || p.type == "double_charge";
    EXPECT_EQ(s.commands_by_cause[p.alert_id], has_command ? 1 : 0) << p.payload;
  }
  EXPECT_EQ(s.firing.size(), kOld.size() + kRecent.size());
  EXPECT_EQ(s.paged, kRecent.size());
}

// The closing note's figures: how many alerts paged for the seeded snapshot
// before the lookback (historical_alerts = "page", today's behaviour before
// it) and after it (the default, "report").
TEST(Lookback, PagedBeforeAndAfterTheLookback) {
  Snapshot before, after, suppressed;
  ASSERT_NO_FATAL_FAILURE(SnapshotOfSeed("page", &before));
  ASSERT_NO_FATAL_FAILURE(SnapshotOfSeed("report", &after));
  ASSERT_NO_FATAL_FAILURE(SnapshotOfSeed("suppress", &suppressed));
  std::cout << "[lookback] seeded snapshot: " << before.paged << " alerts paged before the lookback, " << after.paged
            << " after (" << after.firing.size() - after.paged << " reported as historical)\n";
  EXPECT_EQ(before.paged, kOld.size() + kRecent.size());
  EXPECT_EQ(after.paged, kRecent.size());
  // Suppressed: the recent ones page as usual, the old ones are not on any topic.
  EXPECT_EQ(suppressed.firing.size(), kRecent.size());
  EXPECT_EQ(suppressed.paged, kRecent.size());
  for (const std::string& fp : kOld) EXPECT_EQ(suppressed.firing.count(fp), 0u) << fp;
}

}  // namespace
}  // namespace walguard::testing

// The runbook functions under concurrent checkout traffic: no lost update.
//
// The workload generator drives healthy ticketing and reserve traffic from
// four connections (no faults: healthy traffic keeps every invariant, see
// DifferentialTest.HealthyTrafficFiresNothing). From one more connection,
// in a loop, this test breaks an invariant on an entity the traffic is using
// (a counter off, a stuck hold, a paid order without tickets, a stale cart,
// a calendar count off) and applies the function whose command fixes it,
// while the traffic goes on. Once the traffic stops, with no final fix, the
// SQL oracle must see no drift: a fix that overwrote a concurrent checkout's
// update, or whose update a checkout overwrote, leaves a counter off.
//
// WALGUARD_RUNBOOK_SECONDS sets the length (default 8 s).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/environment.h"
#include "tests/integration/runbook_db.h"
#include "tests/integration/sql_oracle.h"
#include "tests/support/status_assert.h"
#include "workload/workload.h"

namespace walguard::testing {
namespace {

using Clock = std::chrono::steady_clock;

// What one round breaks, and the function (and report figure) that mends it.
struct Fix {
  const char* name;
  const char* break_sql;  // $1, $2: the picked entity; RETURNING the function's arguments
  const char* call;       // the function, its arguments then $N = dry_run
  const char* figure;     // a report key that must be > 0
};

// Every break takes $1 = a tier id and $2 = its event id, or for the calendar $1 = unit, $2 = date.
const Fix kFixes[] = {
    {"reconcile_event_tickets",
     "UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity + 3, issued_quantity = "
     "issued_quantity + 1 WHERE id = $1::uuid AND event_id = $2::uuid RETURNING event_id::text",
     "public.reconcile_event_tickets($1::uuid, $2::boolean)", "tiers_updated"},
    {"cleanup_expired_ticket_holds",
     "WITH t AS (UPDATE ticketing.ticket_tiers SET reserved_quantity = reserved_quantity + 2 WHERE id = $1::uuid "
     "RETURNING id) INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, created_at, expires_at) "
     "SELECT id, 2, 'active', now() - interval '2 hours', now() - interval '1 hour' FROM t RETURNING $2::text",
     "public.cleanup_expired_ticket_holds($1::uuid, $2::boolean)", "holds_affected"},
    {"ensure_tickets",
     "WITH o AS (INSERT INTO ticketing.orders (event_id, user_id, status, total_cents, created_at, paid_at) "
     "VALUES ($2::uuid, gen_random_uuid(), 'paid', 0, now() - interval '20 minutes', now() - interval '10 minutes') "
     "RETURNING id) INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents) SELECT id, "
     "$1::uuid, 2, 0 FROM o RETURNING order_id::text",
     "public.ensure_tickets($1::uuid, $2::boolean)", "tickets_created"},
    {"expire_pending_orders",
     "INSERT INTO ticketing.orders (event_id, user_id, status, total_cents, created_at) SELECT event_id, "
     "gen_random_uuid(), 'pending', 0, now() - interval '1 hour' FROM ticketing.ticket_tiers WHERE id = $1::uuid "
     "AND event_id = $2::uuid RETURNING event_id::text",
     "public.expire_pending_orders($1::uuid, $2::boolean)", "orders_affected"},
    {"recalculate_availability",
     "UPDATE reserve.availability_calendar SET bookings_count = bookings_count + 1 WHERE unit_id = $1::uuid AND "
     "date = $2::date RETURNING unit_id::text, date::text",
     "reserve.recalculate_availability($1::uuid, $2::date, $3::boolean)", "rows_updated"},
};

// The rules whose condition a lost update would leave true.
const char* const kDriftRules[] = {"tier_reserved_drift:",  "tier_issued_drift:",    "stuck_holds:",
                                   "stale_pending_orders:", "paid_without_tickets:", "calendar_drift:"};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

struct Tally {
  std::map<std::string, int> applied;  // per function
  int retried = 0;                     // deadlocks or serialization failures of a call
};

// The traffic concentrates on the newest events and units: pick there, so
// the fix contends with checkouts on the very rows it recounts.
constexpr char kPickTier[] =
    "SELECT id::text, event_id::text FROM (SELECT id, event_id FROM ticketing.ticket_tiers ORDER BY updated_at DESC "
    "LIMIT 4) t ORDER BY random() LIMIT 1";
constexpr char kPickNight[] =
    "SELECT c.unit_id::text, c.date::text FROM reserve.availability_calendar c WHERE c.unit_id IN (SELECT unit_id "
    "FROM reserve.reservations ORDER BY created_at DESC LIMIT 4) ORDER BY random() LIMIT 1";

// One round: pick an entity the traffic uses, break it, apply the fix.
void Round(RunbookDb* db, const Fix& fix, Tally* tally) {
  const bool calendar = std::string(fix.name) == "recalculate_availability";
  workload::Rows picked;
  ASSERT_OK(db->admin().Exec(calendar ? kPickNight : kPickTier, {}, &picked));
  if (picked.empty()) return;  // no calendar row yet
  workload::Rows broken;
  ASSERT_OK(db->admin().Exec(fix.break_sql, {picked.at(0, 0), picked.at(0, 1)}, &broken));
  ASSERT_EQ(broken.size(), 1u) << fix.break_sql;
  std::vector<std::string> args = broken.cells[0];
  args.push_back("false");
  Report report;
  // Bounded: a call that keeps losing deadlocks is a failure.
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    s = db->Call(fix.call, args, &report);
    if (!s.IsUnavailable()) break;
    ++tally->retried;
  }
  ASSERT_OK(s);
  ASSERT_GT(std::stoll(report[fix.figure]), 0) << fix.name << " fixed nothing after its break";
  ++tally->applied[fix.name];
}

TEST(RunbookConcurrencyTest, FixesUnderCheckoutTrafficLoseNoUpdate) {
  RunbookDb db;
  ASSERT_OK(db.SetUp());
  WorkloadOptions options;
  options.conninfo = SharedCluster().ConnInfo(db.name());
  options.seed = EnvOr("WALGUARD_RUNBOOK_SEED", 20261203);
  options.threads = 4;
  options.fault_rate = 0;
  Workload workload(options);
  ASSERT_OK(workload.Start());
  const auto end = Clock::now() + std::chrono::seconds(EnvOr("WALGUARD_RUNBOOK_SECONDS", 8));
  Tally tally;
  for (size_t round = 0; Clock::now() < end; ++round) {
    Round(&db, kFixes[round % std::size(kFixes)], &tally);
    if (::testing::Test::HasFatalFailure()) break;
  }
  workload.Pause();
  ASSERT_OK(workload.Stop());
  const WorkloadStats stats = workload.stats();
  std::cout << "runbook functions under traffic: " << stats.ToString().substr(0, 120) << "\n  applied:";
  for (const auto& [name, n] : tally.applied) std::cout << " " << name << "=" << n;
  std::cout << "\n  calls retried after a deadlock: " << tally.retried << std::endl;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  EXPECT_GT(stats.transactions, 100u);
  for (const Fix& fix : kFixes) EXPECT_GE(tally.applied[fix.name], 3) << fix.name << " ran too few times";

  std::map<std::string, std::string> firing;
  ASSERT_OK(ExpectedFiring(SharedCluster(), db.name(), &firing));
  std::string drift, other;
  for (const auto& [fingerprint, figures] : firing) {
    bool lost_update = false;
    for (const char* rule : kDriftRules) lost_update = lost_update || fingerprint.starts_with(rule);
    (lost_update ? drift : other) += "  " + fingerprint + " " + figures + "\n";
  }
  EXPECT_TRUE(drift.empty()) << "an update was lost (seed " << options.seed << "):\n" << drift;
  if (!other.empty()) std::cout << "  firing, not drift (oversold by ensure_tickets, say):\n" << other;
}

}  // namespace
}  // namespace walguard::testing

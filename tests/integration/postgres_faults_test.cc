// Postgres misbehaving under a running walguard: an immediate-mode crash and
// restart, connections cut on the walsender and on the snapshot session,
// wal_sender_timeout and statement/idle-in-transaction timeouts, and a
// replication slot dropped or invalidated (wal_status = lost) while walguard
// was down. Transient faults must be ridden out with reconnects and lose
// nothing (checked against the SQL oracle); a lost slot must stop walguard
// with a non-zero exit and a message that says how to recover, and
// `--resnapshot` must recover.
//
// The crash test stops the SHARED cluster; the fixture brings it back (and
// resets max_slot_wal_keep_size) even when a test fails half-way.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/crash_checks.h"
#include "tests/integration/environment.h"
#include "tests/integration/firing_compare.h"
#include "tests/integration/reserve_scenarios.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "workload/workload.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Both schemas, faults on, capped so that walguard under ASan keeps up.
WorkloadOptions Traffic(const WalguardHarness& h, uint64_t seed) {
  WorkloadOptions options;
  options.conninfo = SharedCluster().ConnInfo(h.db());
  options.seed = seed;  // distinct per Workload on one database: seeds fix the generated ids
  options.threads = 3;
  options.fault_rate = 0.1;
  options.max_ops_per_second = 60;
  return options;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The alerts firing according to all[from..] (per fingerprint the last message wins).
std::map<std::string, Published> FiringSetOf(const std::vector<Published>& all, size_t from = 0) {
  std::map<std::string, Published> firing;
  for (size_t i = from; i < all.size(); ++i) {
    const Published& p = all[i];
    if (p.topic != "walguard.alerts") continue;
    if (p.state == "firing") {
      firing[p.fingerprint] = p;
    } else {
      firing.erase(p.fingerprint);
    }
  }
  return firing;
}

// `firing` equals what the SQL oracle computes over the database now, and is
// not trivially so (something is expected to fire).
void ExpectMatchesOracle(const WalguardHarness& h, const std::map<std::string, Published>& firing,
                         const std::string& when) {
  OracleComparison cmp;
  ASSERT_OK(CompareWithOracle(h.db(), OracleOptions{}, firing, &cmp));
  if (!cmp.tolerated.empty()) std::cout << "[" << when << "] near a deadline, tolerated:\n" << cmp.tolerated;
  std::cout << "[" << when << "] " << cmp.expected << " alert(s) firing per SQL, " << firing.size() << " per walguard"
            << std::endl;
  EXPECT_GT(cmp.expected, 0u) << when;
  EXPECT_TRUE(cmp.report.empty()) << "walguard and SQL disagree " << when << ":\n" << cmp.report;
}

// One firing, one alert_id: no fingerprint fires again with another id while
// it is firing, nothing resolves that did not fire, and no message is
// published twice (Postgres re-sending WAL after its crash adds nothing).
void ExpectOneIdPerFiring(const std::vector<Published>& all) {
  std::map<std::string, std::string> open;
  std::set<std::string> seen;
  for (const Published& p : all) {
    if (p.topic != "walguard.alerts") continue;
    EXPECT_TRUE(seen.insert(p.alert_id + "/" + p.state).second) << "published twice: " << p.payload;
    auto it = open.find(p.fingerprint);
    if (p.state == "firing") {
      EXPECT_TRUE(it == open.end() || it->second == p.alert_id)
          << p.fingerprint << " fired again with a new id " << p.alert_id << " (was " << it->second << ")";
      open[p.fingerprint] = p.alert_id;
    } else {
      EXPECT_TRUE(it != open.end() && it->second == p.alert_id) << "resolved without its firing: " << p.payload;
      if (it != open.end()) open.erase(it);
    }
  }
}

std::string MarkerTierId(int n) {
  char id[40];
  std::snprintf(id, sizeof(id), "79000000-0000-4000-8000-%012d", n);
  return id;
}

// A tier holding 5 of its 10 seats with no hold behind them: fires
// high_reserved (and tier_reserved_drift) for MarkerTierId(n).
std::string MarkerSql(int n) {
  char event[40];
  std::snprintf(event, sizeof(event), "e9000000-0000-4000-8000-%012d", n);
  return std::string("INSERT INTO ticketing.events (id, title) VALUES ('") + event +
         "', 'marker'); INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, "
         "reserved_quantity) VALUES ('" +
         MarkerTierId(n) + "', '" + event + "', 'marker', 1, 10, 5)";
}

bool FiresFor(WalguardHarness* h, const std::string& type, const std::string& entity_id,
              milliseconds timeout = seconds(30)) {
  const auto deadline = Clock::now() + timeout;
  do {
    for (const Published& p : h->WaitFor(type, "firing", SIZE_MAX, milliseconds(200))) {
      if (p.entity_id == entity_id) return true;
    }
  } while (Clock::now() < deadline);
  return false;
}

class PostgresFaultsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // The cluster is shared with the tests that follow: leave it up and at its defaults.
    PgCluster& cluster = SharedCluster();
    if (!cluster.Exec("postgres", "SELECT 1").ok()) {
      Status s = cluster.Restart("fast");
      EXPECT_TRUE(s.ok()) << "restarting the shared cluster: " << s.ToString();
    }
    if (reset_wal_keep_size_) {
      EXPECT_TRUE(cluster.Exec("postgres", "ALTER SYSTEM RESET max_slot_wal_keep_size").ok());
      EXPECT_TRUE(cluster.Exec("postgres", "SELECT pg_reload_conf()").ok());
    }
  }

  // Starting on the lost slot fails with exit code 2 and a log naming the
  // slot, the cause and --resnapshot; `--resnapshot` then rebuilds from a
  // fresh snapshot (the faults made while down fire) and streams on.
  void ExpectFatalThenResnapshot(WalguardHarness* h, const std::string& cause) {
    ASSERT_OK(h->LaunchWalguard({}));
    EXPECT_EQ(h->WaitWalguardExit(seconds(30)), 2) << h->WalguardLogSinceStart();
    const std::string log = h->WalguardLogSinceStart();
    const size_t critical = log.find(" critical ");
    if (critical != std::string::npos) {
      std::cout << log.substr(critical + 1, log.find('\n', critical) - critical - 1) << "\n";
    }
    EXPECT_NE(log.find("replication slot " + h->slot() + " " + cause), std::string::npos) << log;
    EXPECT_NE(log.find("run `walguard run --resnapshot`"), std::string::npos) << log;

    ASSERT_OK(h->LaunchWalguard({"--resnapshot"}));
    ASSERT_OK(h->WaitStreaming());
    for (const char* type : kAllReserveRules) {
      EXPECT_FALSE(h->WaitFor(type, "firing", 1).empty()) << type << " (faulted while down) did not fire";
    }
    ASSERT_OK(h->Sql(MarkerSql(1)));
    EXPECT_TRUE(FiresFor(h, "high_reserved", MarkerTierId(1))) << "not streaming after --resnapshot\n"
                                                               << h->WalguardLogSinceStart();
    ASSERT_OK(h->CatchUp());
    // The rebuilt state continues what the old one published: over the whole
    // topic, alerts fixed while walguard was down are resolved, those still
    // true were not fired again with a new id, and the firing set is the
    // database's.
    const std::vector<Published> all = h->All();
    StreamSummary summary;
    EXPECT_EQ(CheckPublished(all, &summary), "");
    ExpectMatchesOracle(*h, FiringSetOf(all, 0), "whole topic after --resnapshot");
    EXPECT_EQ(h->StopWalguard(), 0);
  }

  // walguard streamed the ticketing incident and stopped; while it is down,
  // the reserve incident happens and one ticketing fault is fixed.
  void RunThenStopAndChangeWhileDown(WalguardHarness* h) {
    ASSERT_OK(h->SetUp());
    ASSERT_OK(h->StartWalguard());
    ASSERT_OK(h->Sql(kAllRulesIncident));
    ASSERT_EQ(h->WaitFor("stale_pending_orders", "firing", 1).size(), 1u) << h->WalguardLog();
    ASSERT_OK(h->CatchUp());
    ASSERT_EQ(h->StopWalguard(), 0);
    ASSERT_OK(h->Sql(kReserveIncident));
    ASSERT_OK(h->Sql(kAllRulesFixes[4]));
  }

  bool reset_wal_keep_size_ = false;
};

TEST_F(PostgresFaultsTest, ImmediateRestartMidStreamLosesNothing) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  Workload before(Traffic(h, 101));
  ASSERT_OK(before.Start());
  ASSERT_OK(h.StartWalguard());
  std::this_thread::sleep_for(milliseconds(1500));
  // Crash with transactions in flight, and stay down across a few reconnect attempts.
  ASSERT_OK(SharedCluster().Stop("immediate"));
  std::this_thread::sleep_for(seconds(2));
  ASSERT_OK(SharedCluster().Restart("fast"));
  const Status broken = before.Stop();
  EXPECT_FALSE(broken.ok()) << "the workload's connections should have died with the server";
  std::cout << "before the crash: " << before.stats().ToString() << "\n  workload: " << broken.ToString() << "\n";
  Workload after(Traffic(h, 102));
  ASSERT_OK(after.Start());
  std::this_thread::sleep_for(seconds(1));
  after.Pause();
  ASSERT_OK(h.CatchUp());
  ASSERT_OK(after.Stop());
  EXPECT_GT(before.stats().total_faults(), 0u);
  ExpectMatchesOracle(h, h.FiringSet(), "after an immediate restart");
  ExpectOneIdPerFiring(h.All());
  const std::string log = h.WalguardLogSinceStart();
  EXPECT_NE(log.find("reconnecting in 500 ms"), std::string::npos) << log;
  EXPECT_NE(log.find("retrying in 1000 ms"), std::string::npos) << "no growing backoff while Postgres was down\n"
                                                                << log;
  EXPECT_GE(Count(log, "streaming from slot"), 2u) << log;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST_F(PostgresFaultsTest, WalsenderCutUnderLoadLosesNothing) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  Workload traffic(Traffic(h, 201));
  ASSERT_OK(traffic.Start());
  ASSERT_OK(h.StartWalguard());
  const std::string where =
      " FROM pg_replication_slots WHERE slot_name = '" + h.slot() + "' AND active_pid IS NOT NULL";
  for (int cut = 1; cut <= 3; ++cut) {
    // Each time once walguard streams again, with transactions in flight.
    std::string active = "0";
    for (const auto deadline = Clock::now() + seconds(20); active == "0" && Clock::now() < deadline;) {
      std::this_thread::sleep_for(milliseconds(100));
      ASSERT_OK(h.Sql("SELECT count(*)" + where, &active));
    }
    ASSERT_EQ(active, "1") << "walguard did not stream again after cut " << cut - 1 << "\n"
                           << h.WalguardLogSinceStart();
    std::this_thread::sleep_for(milliseconds(500));
    std::string killed;
    ASSERT_OK(h.Sql("SELECT count(pg_terminate_backend(active_pid))" + where, &killed));
    ASSERT_EQ(killed, "1");
  }
  std::this_thread::sleep_for(seconds(1));
  traffic.Pause();
  ASSERT_OK(h.CatchUp());
  ASSERT_OK(traffic.Stop());
  EXPECT_GT(traffic.stats().total_faults(), 0u);
  ExpectMatchesOracle(h, h.FiringSet(), "after cut connections");
  ExpectOneIdPerFiring(h.All());
  EXPECT_GE(Count(h.WalguardLogSinceStart(), "reconnecting in"), 3u) << h.WalguardLogSinceStart();
  EXPECT_EQ(h.StopWalguard(), 0);
}

// The snapshot session is cut while it reads a table: the bootstrap is retried.
TEST_F(PostgresFaultsTest, SnapshotConnectionCutDuringBootstrapIsRetried) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  Workload traffic(Traffic(h, 301));
  ASSERT_OK(traffic.Start());
  std::this_thread::sleep_for(seconds(1));
  ASSERT_OK(traffic.Stop());
  // A healthy order big enough that the snapshot reads its tickets for a while.
  ASSERT_OK(h.Sql(R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e8000000-0000-4000-8000-000000000001', 'Big');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, issued_quantity)
VALUES ('78000000-0000-4000-8000-000000000001', 'e8000000-0000-4000-8000-000000000001', 'GA', 1, 100000, 50000);
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at)
VALUES ('0a800000-0000-4000-8000-000000000001', 'e8000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid',
        50000, now() - interval '1 hour', now() - interval '1 hour');
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
VALUES ('0a800000-0000-4000-8000-000000000001', '78000000-0000-4000-8000-000000000001', 50000, 1);
INSERT INTO ticketing.tickets (order_id, tier_id)
SELECT '0a800000-0000-4000-8000-000000000001', '78000000-0000-4000-8000-000000000001' FROM generate_series(1, 50000);
)SQL"));
  ASSERT_OK(h.LaunchWalguard({}));
  const std::string cut = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + h.db() +
                          "' AND pid <> pg_backend_pid() AND query LIKE '%row_to_json%'";
  std::string killed = "0";
  const auto deadline = Clock::now() + seconds(30);
  while (killed == "0" && Clock::now() < deadline &&
         h.WalguardLogSinceStart().find("streaming from slot") == std::string::npos) {
    ASSERT_OK(SharedCluster().Exec("postgres", cut, &killed));
    if (killed == "0") std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(killed, "1") << "could not catch the snapshot session reading\n" << h.WalguardLogSinceStart();
  ASSERT_OK(h.WaitStreaming(seconds(60)));
  ASSERT_OK(h.CatchUp());
  ExpectMatchesOracle(h, h.FiringSet(), "after a cut snapshot session");
  ExpectOneIdPerFiring(h.All());
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST_F(PostgresFaultsTest, WalSenderTimeoutWhileStoppedLosesNothing) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql("ALTER DATABASE \"" + h.db() + "\" SET wal_sender_timeout = '2s'"));
  ASSERT_OK(h.StartWalguard());
  // Healthy with the short timeout: keepalives are answered in time, busy or idle.
  ASSERT_OK(h.Sql(MarkerSql(1)));
  ASSERT_TRUE(FiresFor(&h, "high_reserved", MarkerTierId(1))) << h.WalguardLog();
  std::this_thread::sleep_for(milliseconds(2500));
  ASSERT_EQ(Count(h.WalguardLogSinceStart(), "reconnecting"), 0u) << h.WalguardLogSinceStart();

  h.SignalWalguard(SIGSTOP);
  ASSERT_OK(h.Sql(kAllRulesIncident));  // committed while walguard cannot read
  const std::string active = "SELECT active FROM pg_replication_slots WHERE slot_name = '" + h.slot() + "'";
  std::string is_active = "t";
  const auto stopped = Clock::now();
  while (is_active == "t" && Clock::now() - stopped < seconds(20)) {
    std::this_thread::sleep_for(milliseconds(200));
    ASSERT_OK(h.Sql(active, &is_active));
  }
  h.SignalWalguard(SIGCONT);
  ASSERT_EQ(is_active, "f") << "the server did not drop the stopped walguard";
  std::cout << "walsender dropped " << std::chrono::duration_cast<milliseconds>(Clock::now() - stopped).count()
            << " ms after SIGSTOP\n";

  for (const char* type : kAllTicketingRules) {
    EXPECT_FALSE(h.WaitFor(type, "firing", 1).empty()) << type << " did not fire after the timeout\n"
                                                       << h.WalguardLogSinceStart();
  }
  ASSERT_OK(h.CatchUp());
  ExpectMatchesOracle(h, h.FiringSet(), "after wal_sender_timeout");
  ExpectOneIdPerFiring(h.All());
  EXPECT_NE(h.WalguardLogSinceStart().find("reconnecting in"), std::string::npos) << h.WalguardLogSinceStart();
  EXPECT_EQ(h.StopWalguard(), 0);
}

// Defaults for walguard's role that would cancel its statements or end its
// sessions between statements must not reach walguard's own sessions.
TEST_F(PostgresFaultsTest, StatementAndIdleTimeoutsDoNotBreakTheBootstrap) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  Workload early(Traffic(h, 401));  // rows for the snapshot to read
  ASSERT_OK(early.Start());
  std::this_thread::sleep_for(seconds(1));
  ASSERT_OK(early.Stop());
  const std::string alter = std::string("ALTER ROLE ") + kWalguardRole + " IN DATABASE \"" + h.db() + "\" SET ";
  ASSERT_OK(h.Sql(alter + "statement_timeout = '1ms'"));
  ASSERT_OK(h.Sql(alter + "idle_in_transaction_session_timeout = '1ms'"));
  ASSERT_OK(h.StartWalguard());
  Workload late(Traffic(h, 402));  // and streaming under the same defaults
  ASSERT_OK(late.Start());
  std::this_thread::sleep_for(seconds(1));
  late.Pause();
  ASSERT_OK(h.CatchUp());
  ASSERT_OK(late.Stop());
  ExpectMatchesOracle(h, h.FiringSet(), "with statement and idle timeouts");
  const std::string log = h.WalguardLogSinceStart();
  EXPECT_EQ(log.find("reconnecting"), std::string::npos) << "a timeout reached walguard's sessions\n" << log;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST_F(PostgresFaultsTest, DroppedSlotIsFatalUntilResnapshot) {
  WalguardHarness h;
  ASSERT_NO_FATAL_FAILURE(RunThenStopAndChangeWhileDown(&h));
  ASSERT_OK(h.Sql("SELECT pg_drop_replication_slot('" + h.slot() + "')"));
  ASSERT_NO_FATAL_FAILURE(ExpectFatalThenResnapshot(&h, "does not exist"));
}

TEST_F(PostgresFaultsTest, InvalidatedSlotIsFatalUntilResnapshot) {
  WalguardHarness h;
  ASSERT_NO_FATAL_FAILURE(RunThenStopAndChangeWhileDown(&h));
  reset_wal_keep_size_ = true;
  ASSERT_OK(h.Sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'"));
  ASSERT_OK(h.Sql("SELECT pg_reload_conf()"));
  ASSERT_OK(h.Sql("CREATE TABLE public.filler (x text)"));
  const std::string status = "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + h.slot() + "'";
  std::string wal_status;
  for (int i = 0; i < 50 && wal_status != "lost"; ++i) {
    ASSERT_OK(h.Sql("INSERT INTO public.filler SELECT repeat('x', 100) FROM generate_series(1, 100)"));
    ASSERT_OK(h.Sql("SELECT pg_switch_wal()"));
    ASSERT_OK(h.Sql("CHECKPOINT"));
    ASSERT_OK(h.Sql(status, &wal_status));
  }
  ASSERT_EQ(wal_status, "lost");
  ASSERT_OK(h.Sql("ALTER SYSTEM RESET max_slot_wal_keep_size"));
  ASSERT_OK(h.Sql("SELECT pg_reload_conf()"));
  ASSERT_NO_FATAL_FAILURE(ExpectFatalThenResnapshot(&h, "is lost (invalidated"));
}

}  // namespace
}  // namespace walguard::testing

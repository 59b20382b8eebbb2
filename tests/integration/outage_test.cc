// Kafka outages and WAL retention, end to end.
//
// The outbox is durable, so a broker outage must neither lose nor reorder a
// message, and must not make the primary hoard WAL until the outbox reaches
// its bound; past it walguard stops reading and says so. While the monitored
// tables are idle and the server is busy elsewhere, the slot still follows
// the server; walguard measures its own lag and raises replication_lag.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>
#include <thread>

#include "tests/integration/environment.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kTiers = 20;

std::string TierId(int i) {
  char id[40];
  std::snprintf(id, sizeof(id), "7e000000-0000-4000-8000-%012d", i);
  return id;
}

// One event with kTiers healthy tiers.
std::string HealthyTiers() {
  std::string sql = "INSERT INTO ticketing.events (id, title) VALUES ('e0000000-0000-4000-8000-000000000001', 'x');";
  for (int i = 1; i <= kTiers; ++i) {
    sql += "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity) VALUES ('" + TierId(i) +
           "', 'e0000000-0000-4000-8000-000000000001', 'T" + std::to_string(i) + "', 1000, 1000);";
  }
  return sql;
}

// tier_reserved_drift fires (alert + command), then resolves: three messages
// with the tier's fingerprint as key, whose order consumers rely on.
Status DriftAndFix(WalguardHarness* h, int i) {
  WG_RETURN_IF_ERROR(h->Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = 3 WHERE id = '" + TierId(i) + "'"));
  return h->Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = 0 WHERE id = '" + TierId(i) + "'");
}

// Bytes between `lsn` and the slot's confirmed_flush_lsn (> 0: behind).
int64_t SlotBehind(WalguardHarness* h, const std::string& lsn) {
  std::string v;
  Status s = h->Sql("SELECT pg_wal_lsn_diff('" + lsn +
                        "'::pg_lsn, confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '" +
                        h->slot() + "'",
                    &v);
  return s.ok() && !v.empty() ? std::stoll(v) : INT64_MAX;
}

std::string CurrentLsn(WalguardHarness* h) {
  std::string lsn;
  EXPECT_TRUE(h->Sql("SELECT pg_current_wal_lsn()::text", &lsn).ok());
  return lsn;
}

// Waits until the slot confirms `lsn`; false after `timeout`.
bool WaitConfirmed(WalguardHarness* h, const std::string& lsn, seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (SlotBehind(h, lsn) <= 0) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

bool WaitForLog(WalguardHarness* h, const std::string& text, seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (h->WalguardLog().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

// A few MB of WAL in a table walguard does not read.
Status WriteElsewhere(WalguardHarness* h, int rows) {
  return h->Sql(
      "CREATE TABLE IF NOT EXISTS public.scratch (id bigserial PRIMARY KEY, pad text);"
      "INSERT INTO public.scratch (pad) SELECT repeat('x', 200) FROM generate_series(1, " +
      std::to_string(rows) + ")");
}

TEST(OutageTest, BrokerOutageKeepsEveryMessageInOrderAndBoundsTheOutbox) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  // 20 tiers x 3 messages = 60 > 40: the second half of the faults meets the bound.
  ASSERT_OK(
      h.StartWalguard("outbox_max_messages = 40\n"
                      "[postgres]\nstatus_interval_ms = 300\nmonitor_interval_s = 1\n"
                      "[rules.walguard]\nreplication_lag_bytes = 500000\nreplication_lag_seconds = 0\n"));
  ASSERT_OK(h.Sql(HealthyTiers()));
  ASSERT_OK(h.CatchUp());

  h.SignalBroker(SIGUSR1);
  std::this_thread::sleep_for(milliseconds(300));
  for (int i = 1; i <= kTiers / 2; ++i) ASSERT_OK(DriftAndFix(&h, i));
  // 30 messages wait in the durable outbox; the slot moves on regardless.
  const std::string first_half = CurrentLsn(&h);
  EXPECT_TRUE(WaitConfirmed(&h, first_half, seconds(15))) << "the slot did not advance while the broker was down\n"
                                                          << h.WalguardLog();

  for (int i = kTiers / 2 + 1; i <= kTiers; ++i) ASSERT_OK(DriftAndFix(&h, i));
  ASSERT_TRUE(WaitForLog(&h, "Stopped reading the WAL", seconds(15))) << h.WalguardLog();
  // Paused: WAL written now (4+ MB elsewhere) is not confirmed, and the
  // monitor reports the lag as an alert, queued behind the others.
  ASSERT_OK(WriteElsewhere(&h, 20000));
  const std::string paused_at = CurrentLsn(&h);
  std::this_thread::sleep_for(seconds(3));
  EXPECT_GT(SlotBehind(&h, paused_at), 0) << "walguard kept reading past the outbox bound";
  ASSERT_TRUE(WaitForLog(&h, "replication_lag firing", seconds(10))) << h.WalguardLog();

  h.SignalBroker(SIGUSR2);
  ASSERT_OK(h.CatchUp(seconds(60)));
  EXPECT_TRUE(WaitForLog(&h, "reading the WAL again", seconds(5))) << h.WalguardLog();
  EXPECT_FALSE(h.WaitFor("replication_lag", "resolved", 1, seconds(20)).empty()) << h.WalguardLog();

  // Every tier: firing, then resolved, same id, exactly once each (no crash,
  // so no redelivery); the command names the firing.
  std::map<std::string, std::vector<Published>> alerts;
  std::map<std::string, std::vector<Published>> commands;
  size_t dead_letters = 0;
  for (const Published& p : h.All()) {
    if (p.topic == "walguard.alerts") alerts[p.key].push_back(p);
    if (p.topic == "walguard.commands") commands[p.key].push_back(p);
    if (p.topic == "walguard.deadletter") ++dead_letters;
  }
  EXPECT_EQ(dead_letters, 0u);
  for (int i = 1; i <= kTiers; ++i) {
    const std::string fp = "tier_reserved_drift:tier:" + TierId(i);
    const std::vector<Published>& seq = alerts[fp];
    ASSERT_EQ(seq.size(), 2u) << fp;
    EXPECT_EQ(seq[0].state, "firing") << fp;
    EXPECT_EQ(seq[1].state, "resolved") << fp;
    EXPECT_EQ(seq[0].alert_id, seq[1].alert_id) << fp;
    ASSERT_EQ(commands[fp].size(), 1u) << fp;
    EXPECT_EQ(commands[fp][0].caused_by, seq[0].alert_id) << fp;
  }
  const std::vector<Published>& lag = alerts["replication_lag:slot:" + h.slot()];
  ASSERT_GE(lag.size(), 2u);
  EXPECT_EQ(lag[0].state, "firing");
  EXPECT_NE(lag[0].details.find("\"lag_bytes\":"), std::string::npos) << lag[0].details;
  EXPECT_EQ(lag.back().state, "resolved");
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(OutageTest, IdleSlotFollowsWalWrittenElsewhere) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[postgres]\nstatus_interval_ms = 300\n"));
  // Busy elsewhere: another database and a table walguard does not read.
  const std::string other = CreateTestDatabase();
  ASSERT_OK(SharedCluster().Exec(other,
                                 "CREATE TABLE t (pad text); INSERT INTO t SELECT repeat('y', 200) "
                                 "FROM generate_series(1, 20000)"));
  ASSERT_OK(WriteElsewhere(&h, 5000));
  const std::string lsn = CurrentLsn(&h);
  EXPECT_TRUE(WaitConfirmed(&h, lsn, seconds(10)))
      << "confirmed_flush_lsn stayed " << SlotBehind(&h, lsn) << " bytes behind\n"
      << h.WalguardLog();
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(OutageTest, HeartbeatsReachTheStreamAndMoveTheSlot) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[postgres]\nstatus_interval_ms = 300\nheartbeat_interval_s = 1\n"));
  // Each heartbeat is a transaction of its own in the slot's database.
  std::string count;
  for (auto deadline = Clock::now() + seconds(15); Clock::now() < deadline;) {
    std::this_thread::sleep_for(milliseconds(500));
    const std::string log = h.WalguardLog();
    const size_t at = log.rfind("heartbeats=");
    if (at == std::string::npos) continue;
    count = log.substr(at + 11, log.find('/', at) - at - 11);
    if (std::stoi(count) >= 3) break;
  }
  ASSERT_FALSE(count.empty()) << h.WalguardLog();
  EXPECT_GE(std::stoi(count), 3) << "heartbeats received\n" << h.WalguardLog();
  std::string messages;
  ASSERT_OK(h.Sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'walguard-monitor' AND datname = '" +
                      h.db() + "'",
                  &messages));
  EXPECT_EQ(messages, "1");
  EXPECT_TRUE(WaitConfirmed(&h, CurrentLsn(&h), seconds(5))) << h.WalguardLog();
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

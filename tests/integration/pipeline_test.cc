// End to end: real Postgres 15 + wal2json -> `walguard run` -> embedded
// Kafka broker -> a real consumer. Each test has its own database, slot,
// broker and state directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>
#include <thread>

#include "core/archive_record.h"
#include "ingest/archive.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::seconds;

// Every firing of a fingerprint is later resolved with the same alert_id.
void ExpectResolvedPairs(const std::vector<Published>& all) {
  std::map<std::string, std::string> open;
  for (const Published& p : all) {
    if (p.topic != "walguard.alerts") continue;
    if (p.state == "firing") {
      EXPECT_EQ(open.count(p.fingerprint), 0u) << "fired twice without resolving: " << p.fingerprint;
      open[p.fingerprint] = p.alert_id;
    } else {
      ASSERT_EQ(open.count(p.fingerprint), 1u) << "resolved without firing: " << p.fingerprint;
      EXPECT_EQ(open[p.fingerprint], p.alert_id) << p.fingerprint;
      open.erase(p.fingerprint);
    }
  }
  EXPECT_TRUE(open.empty()) << open.size() << " alert(s) never resolved, e.g. " << open.begin()->first;
}

const Published* FindCommand(const std::vector<Published>& all, const std::string& type) {
  for (const Published& p : all) {
    if (p.topic == "walguard.commands" && p.command_type == type) return &p;
  }
  return nullptr;
}

// t1's stuck_holds alert names the event and the tier, from the rows of
// ticketing.events and ticket_tiers (CONTRACT 3.1), and its stuck holds.
void ExpectStuckHoldsContext(const std::vector<Published>& all) {
  const Published* stuck = nullptr;
  for (const Published& p : all) {
    if (p.type == "stuck_holds" && p.state == "firing") stuck = &p;
  }
  ASSERT_NE(stuck, nullptr);
  EXPECT_NE(stuck->payload.find(R"("context":{"event_title":"Summer Fest","tier_name":"GA","price_cents":5000,)"
                                R"("stuck_hold_count":17,"oldest_expired_at":")"),
            std::string::npos)
      << stuck->payload;
}

TEST(PipelineTest, EveryTicketingRuleFiresAndResolves) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kAllRulesIncident));
  for (const char* type : kAllTicketingRules) {
    EXPECT_FALSE(h.WaitFor(type, "firing", 1).empty()) << type << " did not fire\n" << h.WalguardLog();
  }
  std::vector<Published> fired = h.All();
  ExpectStuckHoldsContext(fired);
  const Published* cleanup = FindCommand(fired, "cleanup_expired_ticket_holds");
  ASSERT_NE(cleanup, nullptr);
  EXPECT_EQ(cleanup->args, R"({"event_id":"e1000000-0000-4000-8000-000000000001"})");
  const Published* ensure = FindCommand(fired, "ensure_tickets");
  ASSERT_NE(ensure, nullptr);
  EXPECT_EQ(ensure->args, R"({"order_id":"0a200000-0000-4000-8000-000000000002"})");
  for (const Published& p : fired) {
    if (p.topic != "walguard.commands") continue;
    bool caused_by_alert = std::any_of(fired.begin(), fired.end(), [&](const Published& a) {
      return a.alert_id == p.caused_by && a.fingerprint == p.key;
    });
    EXPECT_TRUE(caused_by_alert) << p.payload;
  }

  for (const char* fix : kAllRulesFixes) ASSERT_OK(h.Sql(fix));
  for (const char* type : kAllTicketingRules) {
    size_t fired_count = h.WaitFor(type, "firing", 1).size();
    EXPECT_EQ(h.WaitFor(type, "resolved", fired_count).size(), fired_count) << type << " did not resolve";
  }
  std::vector<Published> all = h.All();
  ExpectResolvedPairs(all);
  std::vector<int64_t> latencies = CommitToAlertLatencies(all);
  std::sort(latencies.begin(), latencies.end());
  ASSERT_FALSE(latencies.empty());
  std::cout << "commit-to-alert latency over " << latencies.size()
            << " alerts: p50=" << latencies[latencies.size() / 2] / 1000.0 << " ms max=" << latencies.back() / 1000.0
            << " ms\n";
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(PipelineTest, RowsWrittenBeforeTheFirstStartAreSeenThroughTheSnapshot) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(kAllRulesIncident));
  ASSERT_OK(h.StartWalguard());
  for (const char* type : kAllTicketingRules) {
    EXPECT_EQ(h.WaitFor(type, "firing", 1).size(),
              type == std::string("high_reserved") || type == std::string("false_sold_out") ? 2u : 1u)
        << type;
  }
  ExpectStuckHoldsContext(h.All());
  // The stream picks up right after the snapshot: no gap, no overlap.
  ASSERT_OK(h.Sql(kAllRulesFixes[0]));
  EXPECT_EQ(h.WaitFor("stuck_holds", "resolved", 1).size(), 1u) << h.WalguardLog();
  std::vector<Published> all = h.All();
  EXPECT_EQ(FiringIdsByFingerprint(all).size(), 12u);
  EXPECT_EQ(h.StopWalguard(), 0);
}

// A database without the context-only table and columns (no
// ticketing.events, no ticket_tiers.name, no orders.user_id): the snapshot
// and the stream work as before, no rule is disabled, the context says null.
TEST(PipelineTest, ContextTablesAndColumnsAreOptional) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(
      h.Sql("DROP TABLE ticketing.events CASCADE; ALTER TABLE ticketing.ticket_tiers DROP COLUMN name; "
            "ALTER TABLE ticketing.orders DROP COLUMN user_id;"));
  auto tier = [](const std::string& id) {
    return "INSERT INTO ticketing.ticket_tiers (id, event_id, price_cents, quantity, reserved_quantity, "
           "issued_quantity) VALUES ('" +
           id + "', 'e1000000-0000-4000-8000-000000000001', 5000, 10, 5, 0)";
  };
  ASSERT_OK(h.Sql(tier("71000000-0000-4000-8000-000000000001")));  // seen through the snapshot
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(tier("72000000-0000-4000-8000-000000000002")));  // seen in the stream
  std::vector<Published> fired = h.WaitFor("high_reserved", "firing", 2);
  ASSERT_EQ(fired.size(), 2u) << h.WalguardLog();
  for (const Published& p : fired) {
    EXPECT_NE(p.payload.find(R"("context":{"event_title":null,"tier_name":null,"price_cents":5000})"),
              std::string::npos)
        << p.payload;
  }
  for (const Published& p : h.All()) {
    EXPECT_NE(p.type, "rule_disabled") << p.payload;
    EXPECT_NE(p.topic, "walguard.deadletter") << p.payload;
  }
  EXPECT_EQ(h.StopWalguard(), 0);
}

// The archive a clean stop leaves under <state_dir>/archive (the harness's
// state dir is <its work dir>/state): segments that read and decode, whose
// seqs run from 1 without gap or repeat across restarts, starting with the
// thresholds and the snapshot.
void ExpectArchiveOfCleanRuns(const WalguardHarness& h) {
  const std::string dir = "/tmp/walguard-it-" + h.db() + "-" + std::to_string(getpid()) + "/state/archive";
  std::vector<SegmentInfo> segments;
  ASSERT_OK(ListSegments(dir, &segments));
  ASSERT_FALSE(segments.empty()) << "no segment in " << dir;
  uint64_t next_seq = 1;
  std::vector<ArchiveRecordKind> kinds;
  for (const SegmentInfo& segment : segments) {
    ASSERT_OK(ReadSegment(segment, [&](uint64_t seq, std::string_view bytes) {
      EXPECT_EQ(seq, next_seq++);
      ArchiveRecord record;
      WG_RETURN_IF_ERROR(DecodeArchiveRecord(bytes, &record));
      kinds.push_back(record.kind);
      return Status::OK();
    }));
  }
  ASSERT_GE(kinds.size(), 2u);
  // The thresholds in effect come first (the --diff baseline), then the snapshot.
  EXPECT_EQ(kinds[0], ArchiveRecordKind::kThresholds);
  EXPECT_EQ(kinds[1], ArchiveRecordKind::kSnapshotBegin);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), ArchiveRecordKind::kSnapshotEnd), 1);
  EXPECT_GE(std::count(kinds.begin(), kinds.end(), ArchiveRecordKind::kTransaction), 2);
}

TEST(PipelineTest, RestartResumesFromTheCheckpointAndRepeatsNothing) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kAllRulesIncident));
  ASSERT_EQ(h.WaitFor("stale_pending_orders", "firing", 1).size(), 1u);
  size_t before = h.All(seconds(1)).size();
  ASSERT_EQ(h.StopWalguard(), 0);

  // Changes made while walguard is down are picked up on restart.
  ASSERT_OK(h.Sql(kAllRulesFixes[4]));
  ASSERT_OK(h.StartWalguard());
  ASSERT_EQ(h.WaitFor("stale_pending_orders", "resolved", 1).size(), 1u) << h.WalguardLog();
  std::vector<Published> all = h.All(seconds(2));
  EXPECT_EQ(all.size(), before + 1) << "a restart repeated or invented messages";
  for (const auto& [fingerprint, ids] : FiringIdsByFingerprint(all)) {
    EXPECT_EQ(ids.size(), 1u) << fingerprint;
  }
  EXPECT_NE(h.WalguardLog().find("streaming from slot"), std::string::npos);
  EXPECT_EQ(h.StopWalguard(), 0);
  ExpectArchiveOfCleanRuns(h);
}

TEST(PipelineTest, KillNineThenRestartNeverChangesAnAlertId) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kAllRulesIncident));
  ASSERT_EQ(h.WaitFor("revenue_mismatch", "firing", 1).size(), 1u);
  h.KillWalguard();
  ASSERT_OK(h.Sql(kAllRulesFixes[3]));
  ASSERT_OK(h.StartWalguard());
  ASSERT_EQ(h.WaitFor("revenue_mismatch", "resolved", 1).size(), 1u) << h.WalguardLog();
  std::vector<Published> all = h.All(seconds(1));
  for (const auto& [fingerprint, ids] : FiringIdsByFingerprint(all)) {
    std::set<std::string> distinct(ids.begin(), ids.end());
    EXPECT_EQ(distinct.size(), 1u) << fingerprint << " fired with a new id after a crash";
  }
  for (const char* type : kAllTicketingRules) EXPECT_FALSE(h.WaitFor(type, "firing", 1).empty()) << type;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(PipelineTest, AnUpdateOmittingAToastedColumnChangesNothingElse) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  // A description far beyond the TOAST threshold, random so it is stored out of line.
  ASSERT_OK(h.Sql(R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e2000000-0000-4000-8000-000000000001', 'Toast');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, description, price_cents, quantity, reserved_quantity, issued_quantity)
SELECT '74000000-0000-4000-8000-000000000004', 'e2000000-0000-4000-8000-000000000001', 'GA',
       string_agg(md5(random()::text), ''), 5000, 10, 0, 0 FROM generate_series(1, 3000);)SQL"));
  ASSERT_OK(h.Sql("SELECT pg_create_logical_replication_slot('toast_peek', 'wal2json')"));
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(
      "UPDATE ticketing.ticket_tiers SET issued_quantity = 11 WHERE id = '74000000-0000-4000-8000-000000000004'"));
  std::vector<Published> negative = h.WaitFor("negative_available", "firing", 1);
  ASSERT_EQ(negative.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(negative[0].details, R"({"available":-1,"quantity":10,"reserved_quantity":0,"issued_quantity":11})");
  // The situation under test exists: wal2json left the unchanged TOASTed column out.
  // (Peeked after walguard saw the update: the test cluster runs synchronous_commit=off.)
  std::string peeked;
  ASSERT_OK(
      h.Sql("SELECT string_agg(data, '') FROM pg_logical_slot_peek_changes('toast_peek', NULL, NULL, "
            "'format-version', '2')",
            &peeked));
  EXPECT_NE(peeked.find("issued_quantity"), std::string::npos) << peeked.substr(0, 300);
  EXPECT_EQ(peeked.find("description"), std::string::npos) << peeked.substr(0, 300);
  ASSERT_OK(h.Sql("SELECT pg_drop_replication_slot('toast_peek')"));
  for (const Published& p : h.All()) EXPECT_NE(p.topic, "walguard.deadletter") << p.payload;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(PipelineTest, TablesOutsideTheContractAreIgnored) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(R"SQL(
CREATE TABLE public.audit_log (id bigserial PRIMARY KEY, msg text, amount numeric(14,2));
CREATE TABLE ticketing.ticket_holds_archive (LIKE ticketing.ticket_holds);
INSERT INTO public.audit_log (msg, amount) SELECT 'x', 1.5 FROM generate_series(1, 100);
INSERT INTO ticketing.ticket_holds_archive (id, tier_id, quantity, status, created_at, expires_at)
SELECT gen_random_uuid(), gen_random_uuid(), 5, 'active', now() - interval '2 hours', now() - interval '1 hour'
FROM generate_series(1, 10);
INSERT INTO ticketing.events (id, title) VALUES ('e3000000-0000-4000-8000-000000000001', 'Ignored');
UPDATE public.audit_log SET msg = 'y';
DELETE FROM public.audit_log;)SQL"));
  // A marker the monitored tables do produce, after everything above.
  ASSERT_OK(
      h.Sql("INSERT INTO ticketing.ticket_tiers (event_id, name, price_cents, quantity, reserved_quantity) "
            "VALUES ('e3000000-0000-4000-8000-000000000001', 'marker', 1, 10, 5)"));
  ASSERT_FALSE(h.WaitFor("high_reserved", "firing", 1).empty()) << h.WalguardLog();
  std::vector<Published> all = h.All(seconds(1));
  for (const Published& p : all) {
    EXPECT_NE(p.topic, "walguard.deadletter") << p.payload;
    if (p.topic == "walguard.alerts") {
      EXPECT_TRUE(p.type == "high_reserved" || p.type == "tier_reserved_drift") << p.payload;
    }
  }
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(PipelineTest, DeadlinesFireFromTheWalClockWhileTheDatabaseIsIdle) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[rules.ticketing]\nstuck_hold_after_seconds = 2\n"));
  ASSERT_OK(h.Sql(R"SQL(
INSERT INTO ticketing.events (id, title) VALUES ('e4000000-0000-4000-8000-000000000001', 'Idle');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity)
VALUES ('75000000-0000-4000-8000-000000000005', 'e4000000-0000-4000-8000-000000000001', 'GA', 1, 100, 5);
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, expires_at)
VALUES ('75000000-0000-4000-8000-000000000005', 5, 'active', now() + interval '1 second');)SQL"));
  std::string expires;
  ASSERT_OK(
      h.Sql("SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
            "FROM ticketing.ticket_holds",
            &expires));
  // No transaction touches the database after this point.
  std::vector<Published> stuck = h.WaitFor("stuck_holds", "firing", 1, seconds(30));
  ASSERT_EQ(stuck.size(), 1u) << h.WalguardLog();
  // The WAL clock (commit_time of a clock-driven alert) is past expires_at + 2 s.
  EXPECT_GT(stuck[0].commit_time, expires) << stuck[0].payload;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(PipelineTest, ReconnectsWithBackoffWhenTheConnectionIsCut) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  const std::string slot = "wg_" + h.db();
  std::string killed;
  for (int i = 0; i < 3; ++i) {  // cut it repeatedly, also while it reconnects
    ASSERT_OK(
        h.Sql("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots "
              "WHERE slot_name = '" +
                  slot + "' AND active_pid IS NOT NULL",
              &killed));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_OK(h.Sql(kAllRulesIncident));
  for (const char* type : kAllTicketingRules) {
    EXPECT_FALSE(h.WaitFor(type, "firing", 1, seconds(40)).empty()) << type << "\n" << h.WalguardLog();
  }
  EXPECT_NE(h.WalguardLog().find("reconnecting"), std::string::npos);
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

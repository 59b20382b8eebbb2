// Crash consistency: walguard killed with SIGKILL at random moments, again
// and again, while the randomized workload runs, loses and invents nothing.
//
// The database is pre-populated so that the initial snapshot takes a while;
// the workload injects faults before walguard first starts (the snapshot
// must find them) and all along, pg_cron's (plain tables of its shape) among
// them: some cron alerts must have fired. A reference walguard with its own slot,
// state and broker streams the same database and is never killed. The
// victim is first killed several times inside its initial snapshot, then
// restarted at once and killed after a random 0-1.5 s, repeatedly. Once the
// workload stops and both caught up, the victim's firing set must equal the
// SQL oracle's and the reference's, its messages must be consistent per
// fingerprint (a redelivery repeats the alert_id; a resolved closes the open
// firing; commands point at published firings) and nothing is dead-lettered.
//
// WALGUARD_CRASH_SEED (default fixed) seeds the kill delays and the
// workload; WALGUARD_CRASH_SECONDS (default 25) is how long the kill loop
// runs at least; WALGUARD_CRASH_KILLS (default 20) the fewest kills;
// WALGUARD_CRASH_FILLER (default 5000) the pre-populated rows per table;
// WALGUARD_CRASH_OPS_PER_SECOND (default 75) caps each of the 4 workers.
// By hand: WALGUARD_CRASH_SECONDS=300 WALGUARD_CRASH_SEED=7
//   build/tests/integration_tests --gtest_filter='CrashTest.*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/crash_checks.h"
#include "tests/integration/environment.h"
#include "tests/integration/firing_compare.h"
#include "tests/integration/replay_compare.h"
#include "tests/integration/sql_oracle.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "workload/cron_tables.h"
#include "workload/random.h"
#include "workload/workload.h"

namespace walguard::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kSnapshotKillsWanted = 4;
constexpr int kSnapshotKillsRequired = 3;
constexpr int kSnapshotAttempts = 12;
constexpr int64_t kMaxKillDelayMs = 1500;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Healthy, contract-valid rows in every monitored table, :n per table
// (tickets 4n, ledger entries 2n, calendar nights 90 per unit), so that the
// snapshot has something to read. Ids are md5-derived, apart from the
// workload's random ones; timestamps are a day old, far from every deadline.
constexpr char kFillerSql[] = R"SQL(
INSERT INTO ticketing.events (id, title)
  SELECT md5('f-event-' || e)::uuid, 'filler ' || e FROM generate_series(1, :events) e;
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity)
  SELECT md5('f-tier-' || t)::uuid, md5('f-event-' || (t % :events + 1))::uuid, 'filler', 2500, 100, 0, 4
  FROM generate_series(1, :n) t;
INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents, created_at, paid_at)
  SELECT md5('f-order-' || t)::uuid, md5('f-event-' || (t % :events + 1))::uuid, md5('f-user-' || t)::uuid,
         'paid', 10000, now() - interval '1 day', now() - interval '1 day'
  FROM generate_series(1, :n) t;
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
  SELECT md5('f-order-' || t)::uuid, md5('f-tier-' || t)::uuid, 4, 2500 FROM generate_series(1, :n) t;
INSERT INTO ticketing.tickets (order_id, tier_id, status, created_at)
  SELECT md5('f-order-' || t)::uuid, md5('f-tier-' || t)::uuid, 'issued', now() - interval '1 day'
  FROM generate_series(1, :n) t, generate_series(1, 4) k;
INSERT INTO ticketing.ticket_holds (tier_id, quantity, status, created_at, expires_at)
  SELECT md5('f-tier-' || t)::uuid, 4, 'converted', now() - interval '1 day', now() - interval '1 day' + interval '15 minutes'
  FROM generate_series(1, :n) t;
INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status)
  SELECT md5('f-intent-' || t)::uuid, md5('f-unit-' || (t % :units + 1))::uuid, current_date - 30, current_date - 28,
         'completed'
  FROM generate_series(1, :n) t;
INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
  SELECT md5('f-intent-' || t)::uuid, md5('f-unit-' || (t % :units + 1))::uuid, current_date - 30, current_date - 28,
         'checked_out'
  FROM generate_series(1, :n) t;
INSERT INTO reserve.payments (booking_intent_id, provider, method, status, amount, created_at, succeeded_at)
  SELECT md5('f-intent-' || t)::uuid, (ARRAY['stripe', 'mercadopago', 'openpix'])[t % 3 + 1], 'card', 'succeeded',
         450.00, now() - interval '1 day', now() - interval '1 day'
  FROM generate_series(1, :n) t;
INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount, created_at)
  SELECT md5('f-ledger-' || t)::uuid, leg.account, leg.direction, 450.00, now() - interval '1 day'
  FROM generate_series(1, :n) t,
       (VALUES ('guest_receivable', 'debit'), ('host_payable', 'credit')) AS leg(account, direction);
INSERT INTO reserve.availability_calendar (unit_id, date, allotment, bookings_count)
  SELECT md5('f-unit-' || u)::uuid, current_date + d, 1, 0 FROM generate_series(1, :units) u, generate_series(0, 89) d;
INSERT INTO reserve.processed_webhooks (provider, event_id, event_type, status, received_at)
  SELECT (ARRAY['stripe', 'mercadopago', 'openpix'])[t % 3 + 1], 'evt_f_' || t, 'payment.succeeded', 'completed',
         now() - interval '1 day'
  FROM generate_series(1, :n) t;
ANALYZE;
)SQL";

std::string FillerSql(uint64_t n) {
  const std::map<std::string, uint64_t> values = {{":events", n / 50 + 1}, {":units", n / 100 + 1}, {":n", n}};
  std::string sql = kFillerSql;
  for (const auto& [key, value] : values) {
    for (size_t at = sql.find(key); at != std::string::npos; at = sql.find(key, at)) {
      sql.replace(at, key.size(), std::to_string(value));
    }
  }
  return sql;
}

// Where a run was when it was killed, from its log.
enum class Phase { kStartup, kSnapshot, kStreaming };

Phase PhaseOf(const std::string& run_log) {
  if (run_log.find("streaming from slot") != std::string::npos) return Phase::kStreaming;
  // "bootstrap: N snapshot rows applied" follows the commit: from there on
  // the next start resumes instead of redoing the snapshot.
  if (run_log.find("bootstrap:") != std::string::npos && run_log.find("snapshot rows applied") == std::string::npos) {
    return Phase::kSnapshot;
  }
  return Phase::kStartup;
}

struct KillStats {
  int total = 0, snapshot = 0, startup = 0, streaming = 0;
  // Of the restart loop's random delays (the snapshot kills aim at a window).
  int64_t min_delay_ms = kMaxKillDelayMs, max_delay_ms = 0, sum_delay_ms = 0;
  int delays = 0;

  void Record(Phase phase) {
    ++total;
    ++(phase == Phase::kSnapshot ? snapshot : phase == Phase::kStreaming ? streaming : startup);
  }
  void RecordDelay(int64_t delay_ms) {
    min_delay_ms = std::min(min_delay_ms, delay_ms);
    max_delay_ms = std::max(max_delay_ms, delay_ms);
    sum_delay_ms += delay_ms;
    ++delays;
  }
  std::string ToString() const {
    return std::to_string(total) + " (snapshot=" + std::to_string(snapshot) + " startup=" + std::to_string(startup) +
           " streaming=" + std::to_string(streaming) + "; restart delays " + std::to_string(min_delay_ms) + "-" +
           std::to_string(max_delay_ms) + " ms, mean " + std::to_string(delays ? sum_delay_ms / delays : 0) + " ms)";
  }
};

// Waits until the current run's log contains `marker`.
Status WaitForLog(WalguardHarness* h, const std::string& marker, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (h->WalguardLogSinceStart().find(marker) != std::string::npos) return Status::OK();
    if (Clock::now() >= deadline) return Status::IOError("no '" + marker + "' in:\n" + h->WalguardLogSinceStart());
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// Kills and classifies the current run.
void Kill(WalguardHarness* h, KillStats* kills) {
  h->KillWalguard();
  kills->Record(PhaseOf(h->WalguardLogSinceStart()));
}

// The consistent point of the last completed bootstrap in `log`.
Lsn SnapshotPoint(const std::string& log) {
  static const std::regex kLine(R"(snapshot rows applied.*streaming from ([0-9A-F]+/[0-9A-F]+))");
  Lsn lsn = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kLine); it != std::sregex_iterator(); ++it) {
    ParseLsn((*it)[1].str(), &lsn);
  }
  return lsn;
}

// Restarts that found undelivered messages in the outbox, and how many.
std::pair<int, uint64_t> OutboxResends(const std::string& log) {
  static const std::regex kLine(R"(outbox: re-sending (\d+) undelivered)");
  std::pair<int, uint64_t> out{0, 0};
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kLine); it != std::sregex_iterator(); ++it) {
    ++out.first;
    out.second += std::stoull((*it)[1].str());
  }
  return out;
}

// The reference's bootstrap, timed from its first log line to the commit.
Status StartReference(WalguardHarness* reference, Clock::duration* snapshot_time) {
  WG_RETURN_IF_ERROR(reference->LaunchWalguard({}));
  WG_RETURN_IF_ERROR(WaitForLog(reference, "bootstrap:", std::chrono::seconds(30)));
  const auto began = Clock::now();
  WG_RETURN_IF_ERROR(WaitForLog(reference, "snapshot rows applied", std::chrono::seconds(120)));
  *snapshot_time = Clock::now() - began;
  return reference->WaitStreaming(std::chrono::seconds(30));
}

// Kills the victim inside its initial snapshot until kSnapshotKillsWanted
// kills landed there (the log tells), early in the reference's window: the
// victim shares the cores with the streaming reference, so it is slower.
// Stops early once a run completed the snapshot (none will start again).
Status KillDuringSnapshot(WalguardHarness* victim, Clock::duration window, workload::Rng* rng, KillStats* kills) {
  const int64_t window_ms = std::chrono::duration_cast<milliseconds>(window).count();
  for (int attempt = 0; attempt < kSnapshotAttempts && kills->snapshot < kSnapshotKillsWanted; ++attempt) {
    WG_RETURN_IF_ERROR(victim->LaunchWalguard({}));
    WG_RETURN_IF_ERROR(WaitForLog(victim, "bootstrap:", std::chrono::seconds(30)));
    const int64_t delay_ms = rng->Range(window_ms / 20, window_ms / 2);
    std::this_thread::sleep_for(milliseconds(delay_ms));
    Kill(victim, kills);
    if (victim->WalguardLogSinceStart().find("snapshot rows applied") != std::string::npos) break;
  }
  return Status::OK();
}

// Restarts and kills the victim after random delays until `duration` passed
// and at least `min_kills` kills were made in all. The first run completes
// its snapshot before its delay starts.
Status KillWhileStreaming(WalguardHarness* victim, Clock::duration duration, int min_kills, workload::Rng* rng,
                          KillStats* kills) {
  const auto until = Clock::now() + duration;
  for (bool first = true; Clock::now() < until || kills->total < min_kills; first = false) {
    WG_RETURN_IF_ERROR(victim->LaunchWalguard({}));
    if (first) WG_RETURN_IF_ERROR(victim->WaitStreaming(std::chrono::seconds(120)));
    const int64_t delay_ms = rng->Range(0, kMaxKillDelayMs);
    std::this_thread::sleep_for(milliseconds(delay_ms));
    Kill(victim, kills);
    kills->RecordDelay(delay_ms);
  }
  return Status::OK();
}

std::string FaultCounts(const WorkloadStats& stats) {
  std::string out;
  for (int k = 0; k < kFaultKindCount; ++k) {
    out += std::string(out.empty() ? "" : ", ") + FaultName(static_cast<FaultKind>(k)) + "=" +
           std::to_string(stats.faults[k]);
  }
  return out;
}

// Victim and reference firing sets: fingerprints firing on one side only,
// outside the oracle's deadline boundary.
std::string CompareFiringSets(const std::string& db, const std::map<std::string, Published>& victim,
                              const std::map<std::string, Published>& reference, size_t* tolerated) {
  std::set<std::string> near;
  Status s = NearDeadline(db, OracleOptions{}, &near);
  if (!s.ok()) return "oracle: " + s.ToString();
  std::string report;
  auto one_sided = [&](const std::map<std::string, Published>& x, const std::map<std::string, Published>& y,
                       bool x_is_victim) {
    for (const auto& [fp, alert] : x) {
      if (y.count(fp) != 0) continue;
      if (near.count(fp) != 0) {
        ++*tolerated;
        continue;
      }
      const std::string figures = "details " + alert.details + ", alert_id " + alert.alert_id + ", lsn " + alert.lsn;
      report += x_is_victim ? DescribeFiring(fp, "victim", &alert, "reference", nullptr)
                            : DescribeFiring(fp, "victim", nullptr, "reference", &figures);
    }
  };
  one_sided(victim, reference, true);
  one_sided(reference, victim, false);
  return report;
}

// Everything the test requires once both walguards caught up; appends the
// figures of the summary line to *summary.
void Verify(WalguardHarness* victim, WalguardHarness* reference, uint64_t seed, std::string* summary) {
  const std::string rerun =
      " (seed " + std::to_string(seed) + ", rerun with WALGUARD_CRASH_SEED=" + std::to_string(seed) + "):\n";
  const std::vector<Published> victim_all = victim->All(), reference_all = reference->All();
  const std::map<std::string, Published> victim_firing = victim->FiringSet(), reference_firing = reference->FiringSet();

  OracleComparison oracle;
  ASSERT_OK(CompareWithOracle(victim->db(), OracleOptions{}, victim_firing, &oracle));
  EXPECT_TRUE(oracle.report.empty()) << "the killed walguard and SQL disagree" << rerun << oracle.report;
  if (!oracle.tolerated.empty())
    std::cout << "within " << kBoundarySeconds << " s of a deadline:\n" << oracle.tolerated;

  size_t tolerated = 0;
  const std::string sets = CompareFiringSets(victim->db(), victim_firing, reference_firing, &tolerated);
  EXPECT_TRUE(sets.empty()) << "the killed and the uninterrupted walguard disagree" << rerun << sets;
  // An alert_id hashes its step's LSN and commit time: a firing caused by the
  // same commit has the same id in both runs, however they were killed.
  const IdComparison ids = CompareAlertIds(victim_firing, reference_firing);
  EXPECT_EQ(ids.equal_ids, ids.same_step) << "same step, different alert_id" << rerun << ids.different;
  size_t transitions = 0;
  const Lsn after = SnapshotPoint(victim->WalguardLog());
  const std::string history = CompareTransitions(victim_all, "victim", reference_all, "reference", after, &transitions);
  EXPECT_TRUE(history.empty()) << "alert transitions after the victim's snapshot (" << FormatLsn(after) << ") differ"
                               << rerun << history;

  StreamSummary v, r;
  const std::string stream = CheckPublished(victim_all, &v);
  EXPECT_TRUE(stream.empty()) << "the killed walguard's messages are inconsistent" << rerun << stream;
  const std::string reference_stream = CheckPublished(reference_all, &r);
  EXPECT_TRUE(reference_stream.empty()) << "the reference's messages are inconsistent" << rerun << reference_stream;
  EXPECT_EQ(r.duplicates, 0u) << "the uninterrupted walguard published duplicates" << rerun;
  EXPECT_EQ(v.dead_letters + r.dead_letters, 0u) << "records were dead-lettered" << rerun;

  *summary += "alerts=" + std::to_string(v.firings) + " firing/" + std::to_string(v.resolutions) +
              " resolved commands=" + std::to_string(v.commands) +
              " duplicates_redelivered=" + std::to_string(v.duplicates) +
              " dead_letters=" + std::to_string(v.dead_letters) +
              " | oracle: " + (oracle.report.empty() ? "equal" : "DIFFERENT") + " (" + std::to_string(oracle.expected) +
              " firing) | reference: " + (sets.empty() ? "equal" : "DIFFERENT") + " (" +
              std::to_string(reference_firing.size()) + " firing, " + std::to_string(tolerated) +
              " near a deadline), alert_ids equal " + std::to_string(ids.equal_ids) + "/" +
              std::to_string(ids.same_step) + " fired by the same step (" + std::to_string(ids.other_step) +
              " by different steps), transitions " + (history.empty() ? "equal" : "DIFFERENT") + " (" +
              std::to_string(transitions) + ") | messages: " + (stream.empty() ? "consistent" : "INCONSISTENT");
}

// Distinct firing messages of the cron rules, by type.
std::map<std::string, uint64_t> CronFirings(const std::vector<Published>& all) {
  std::set<std::string> alert_ids;
  std::map<std::string, uint64_t> counts;
  for (const Published& p : all) {
    if (p.topic != "walguard.alerts" || p.state != "firing" || p.type.rfind("cron_job_", 0) != 0) continue;
    if (alert_ids.insert(p.alert_id).second) ++counts[p.type];
  }
  return counts;
}

WorkloadOptions WorkloadFor(const std::string& db, uint64_t seed) {
  WorkloadOptions options;
  options.conninfo = SharedCluster().ConnInfo(db);
  options.seed = seed;
  options.fault_rate = 0.05;
  // Capped, so that both walguards and their restarts share the cores with
  // the workload rather than trail it by ever more (CI has two).
  options.max_ops_per_second = static_cast<int>(EnvOr("WALGUARD_CRASH_OPS_PER_SECOND", 75));
  return options;
}

}  // namespace

TEST(CrashTest, SigkillLoopMatchesOracleAndUninterruptedRun) {
  const uint64_t seed = EnvOr("WALGUARD_CRASH_SEED", 20260315);
  const auto duration = std::chrono::seconds(EnvOr("WALGUARD_CRASH_SECONDS", 25));
  const int min_kills = static_cast<int>(EnvOr("WALGUARD_CRASH_KILLS", 20));
  const auto started = Clock::now();
  WalguardHarness victim, reference;
  ASSERT_OK(victim.SetUp());
  ASSERT_OK(victim.Sql(workload::kPlainCronTables));
  ASSERT_OK(reference.Attach(victim, "ref"));
  ASSERT_OK(victim.Sql(FillerSql(EnvOr("WALGUARD_CRASH_FILLER", 5000))));
  Workload workload(WorkloadFor(victim.db(), seed));
  ASSERT_OK(workload.Start());
  // Faults committed before either walguard starts are found by the snapshots.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const uint64_t early_faults = workload.stats().total_faults();

  Clock::duration snapshot_time{};
  ASSERT_OK(StartReference(&reference, &snapshot_time));
  workload::Rng rng(seed, /*stream=*/1000);
  KillStats kills;
  ASSERT_OK(KillDuringSnapshot(&victim, snapshot_time, &rng, &kills));
  ASSERT_GE(kills.snapshot, kSnapshotKillsRequired)
      << "only " << kills.snapshot << " of " << kills.total << " kills landed in the snapshot (reference's took "
      << Seconds(snapshot_time) << " s; seed " << seed << ")\n"
      << victim.WalguardLog();
  ASSERT_OK(KillWhileStreaming(&victim, duration, min_kills, &rng, &kills));
  ASSERT_OK(workload.Stop());
  const auto stopped = Clock::now();
  ASSERT_OK(victim.LaunchWalguard({}));
  ASSERT_OK(victim.WaitStreaming(std::chrono::seconds(120)));
  ASSERT_OK(victim.CatchUp(std::chrono::seconds(120)));
  ASSERT_OK(reference.CatchUp(std::chrono::seconds(120)));

  const WorkloadStats stats = workload.stats();
  const auto [resending_starts, resent] = OutboxResends(victim.WalguardLog());
  std::string summary = "crash run: seed=" + std::to_string(seed) + " kills=" + kills.ToString() +
                        " transactions=" + std::to_string(stats.transactions) +
                        " faults=" + std::to_string(stats.total_faults()) + " (" + std::to_string(early_faults) +
                        " before the snapshots) restarts_resending_outbox=" + std::to_string(resending_starts) + " (" +
                        std::to_string(resent) +
                        " messages) reference_snapshot=" + std::to_string(Seconds(snapshot_time)) +
                        "s final_catch_up=" + std::to_string(Seconds(Clock::now() - stopped)) + "s ";
  Verify(&victim, &reference, seed, &summary);
  std::cout << summary << " elapsed=" << Seconds(Clock::now() - started) << "s\n  faults tried: " << FaultCounts(stats)
            << std::endl;
  // The cron rules went through the kills too: some of their alerts fired.
  const std::map<std::string, uint64_t> cron_firings = CronFirings(victim.All());
  std::cout << "  cron alerts fired:";
  for (const auto& [type, n] : cron_firings) std::cout << " " << type << "=" << n;
  std::cout << std::endl;
  EXPECT_FALSE(cron_firings.empty()) << "no cron alert fired (seed " << seed << ")";
  EXPECT_EQ(victim.StopWalguard(), 0);
  EXPECT_EQ(reference.StopWalguard(), 0);
  // After every kill the archive held exactly the steps whose effects the
  // state held: replaying it gives back what the victim published.
  std::vector<Published> replayed;
  EXPECT_OK(victim.Replay(&replayed));
  size_t compared = 0;
  const std::string diff = CompareReplayWithLive(victim.All(), replayed, &compared);
  EXPECT_TRUE(diff.empty()) << "the victim's archive replays differently from what it published:\n" << diff;
  std::cout << "  replay of the victim's archive: " << compared << " messages equal" << std::endl;
  EXPECT_OK(victim.DropSlot());
  EXPECT_OK(reference.DropSlot());
}

}  // namespace walguard::testing

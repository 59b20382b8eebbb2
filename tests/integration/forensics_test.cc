// Forensics end to end (docs/reference.md section 6, issue 9 "Tests"): what
// `walguard inspect` and `walguard replay` tell an engineer after the live
// run, checked against what the live run published.
//   - Inspect finds the breaking commit: for faults of several kinds, the
//     first step at which `inspect --json` shows the rule true is the alert's
//     LSN, and the step before it showed the rule false.
//   - `--input` equals live: a pg_recvlogical capture of the same WAL, with
//     walguard's plugin options, replays to the live run's alerts.
//   - Retention and damage: a damaged segment is reported with its range and
//     skipped; with the oldest segments gone, replay says where history starts.
//   - Retention cuts at a state checkpoint it forced: replay starts from the
//     checkpoint, says so, and its alerts after it equal live's.
// Only rules without deadlines: a capture carries no clock ticks.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ingest/archive.h"
#include "ingest/archive_checkpoint.h"
#include "tests/integration/environment.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_assert.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard::testing {
namespace {

// Healthy rows first, one transaction each, so that every entity exists
// (with its rules false) before the commit that breaks it.
constexpr const char* kHealthy[] = {
    R"SQL(INSERT INTO ticketing.events (id, title) VALUES ('e9000000-0000-4000-8000-000000000001', 'Forensics');
INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, reserved_quantity, issued_quantity)
VALUES ('79000000-0000-4000-8000-000000000001', 'e9000000-0000-4000-8000-000000000001', 'GA', 5000, 100, 0, 0);)SQL",
    R"SQL(INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount) VALUES
 ('1e900000-0000-4000-8000-000000000001', 'cash', 'debit', 50.00),
 ('1e900000-0000-4000-8000-000000000001', 'revenue', 'credit', 50.00);)SQL",
    R"SQL(INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
VALUES (gen_random_uuid(), 'a9000000-0000-4000-8000-000000000001', '2027-01-10', '2027-01-13', 'confirmed');)SQL",
    R"SQL(INSERT INTO ticketing.orders (id, event_id, user_id, status, total_cents)
VALUES ('0a900000-0000-4000-8000-000000000001', 'e9000000-0000-4000-8000-000000000001', gen_random_uuid(), 'paid', 5000);
INSERT INTO ticketing.order_items (order_id, tier_id, quantity, unit_price_cents)
VALUES ('0a900000-0000-4000-8000-000000000001', '79000000-0000-4000-8000-000000000001', 1, 5000);
INSERT INTO ticketing.tickets (order_id, tier_id)
VALUES ('0a900000-0000-4000-8000-000000000001', '79000000-0000-4000-8000-000000000001');
UPDATE ticketing.ticket_tiers SET issued_quantity = 1 WHERE id = '79000000-0000-4000-8000-000000000001';)SQL",
};

// One fault per transaction, each of another kind, none deadline-based.
struct Fault {
  const char* type;  // the alert it raises
  const char* sql;
};
constexpr Fault kFaults[] = {
    {"tier_reserved_drift",
     "UPDATE ticketing.ticket_tiers SET reserved_quantity = 7 WHERE id = '79000000-0000-4000-8000-000000000001';"},
    {"ledger_imbalance", R"SQL(INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount)
VALUES ('1e900000-0000-4000-8000-000000000001', 'fees', 'credit', 25.00);)SQL"},
    {"overbooking", R"SQL(INSERT INTO reserve.reservations (booking_intent_id, unit_id, check_in, check_out, status)
VALUES (gen_random_uuid(), 'a9000000-0000-4000-8000-000000000001', '2027-01-12', '2027-01-15', 'confirmed');)SQL"},
    {"order_overissued", R"SQL(INSERT INTO ticketing.tickets (id, order_id, tier_id)
VALUES ('7c900000-0000-4000-8000-000000000002', '0a900000-0000-4000-8000-000000000001',
        '79000000-0000-4000-8000-000000000001');
UPDATE ticketing.ticket_tiers SET issued_quantity = 2 WHERE id = '79000000-0000-4000-8000-000000000001';)SQL"},
};

// The fixes, one transaction each: every alert above resolves.
constexpr const char* kFixes[] = {
    "UPDATE ticketing.ticket_tiers SET reserved_quantity = 0 WHERE id = '79000000-0000-4000-8000-000000000001';",
    "DELETE FROM reserve.ledger_entries WHERE account = 'fees';",
    "UPDATE reserve.reservations SET status = 'cancelled' WHERE check_in = '2027-01-12';",
    R"SQL(UPDATE ticketing.tickets SET status = 'void' WHERE id = '7c900000-0000-4000-8000-000000000002';
UPDATE ticketing.ticket_tiers SET issued_quantity = 1 WHERE id = '79000000-0000-4000-8000-000000000001';)SQL",
};

// One line of `inspect --json`: the step's LSN and each rule's verdict.
struct InspectLine {
  std::string lsn;
  std::map<std::string, bool> rules;
};

Status ParseInspect(const std::string& text, std::vector<InspectLine>* out) {
  std::istringstream in(text);
  simdjson::ondemand::parser parser;
  for (std::string line; std::getline(in, line);) {
    simdjson::padded_string json(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    simdjson::ondemand::object rules;
    std::string_view lsn;
    if (parser.iterate(json).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS ||
        obj.find_field_unordered("lsn").get_string().get(lsn) != simdjson::SUCCESS ||
        obj.find_field_unordered("rules").get_object().get(rules) != simdjson::SUCCESS) {
      return Status::Corruption("inspect --json line is not a step: " + line);
    }
    InspectLine parsed{std::string(lsn), {}};
    for (auto field : rules) {
      std::string_view key;
      bool holds = false;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
          field.value().get_bool().get(holds) != simdjson::SUCCESS) {
        return Status::Corruption("inspect --json rules are not booleans: " + line);
      }
      parsed.rules[std::string(key)] = holds;
    }
    out->push_back(std::move(parsed));
  }
  return Status::OK();
}

TEST(Forensics, InspectFindsTheBreakingCommit) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard());
  for (const char* sql : kHealthy) ASSERT_OK(h.Sql(sql));
  for (const Fault& fault : kFaults) ASSERT_OK(h.Sql(fault.sql));
  std::vector<Published> alerts;
  for (const Fault& fault : kFaults) {
    std::vector<Published> fired = h.WaitFor(fault.type, "firing", 1);
    ASSERT_EQ(fired.size(), 1u) << fault.type << " did not fire:\n" << h.WalguardLog();
    alerts.push_back(fired[0]);
  }
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();

  for (const Published& alert : alerts) {
    SCOPED_TRACE(alert.type + " on " + alert.entity_kind + ":" + alert.entity_id + " at " + alert.lsn);
    std::string out, err;
    ASSERT_OK(h.RunCommand({"inspect", "--archive", h.state_dir() + "/archive", "--config", h.config_path(), "--entity",
                            alert.entity_kind + ":" + alert.entity_id, "--json"},
                           &out, &err));
    std::vector<InspectLine> steps;
    ASSERT_OK(ParseInspect(out, &steps));
    size_t first_true = steps.size();
    for (size_t i = 0; i < steps.size(); ++i) {
      auto rule = steps[i].rules.find(alert.type);
      ASSERT_NE(rule, steps[i].rules.end()) << "step " << steps[i].lsn << " lists no " << alert.type << ":\n" << out;
      if (rule->second) {
        first_true = i;
        break;
      }
    }
    ASSERT_LT(first_true, steps.size()) << "no step shows the rule true:\n" << out << err;
    EXPECT_EQ(steps[first_true].lsn, alert.lsn) << out;
    // Every entity here existed before its fault, with the rule false.
    ASSERT_GT(first_true, 0u) << "the entity's first step already breaks it:\n" << out;
    EXPECT_FALSE(steps[first_true - 1].rules.at(alert.type)) << out;
  }
  EXPECT_OK(h.DropSlot());
}

// The alert messages per fingerprint, in order: what must match between a
// live run and a replay (alert_id hashes lsn and commit time).
std::map<std::string, std::vector<std::string>> AlertSteps(const std::vector<Published>& all) {
  std::map<std::string, std::vector<std::string>> steps;
  for (const Published& p : all) {
    if (p.topic != "walguard.alerts") continue;
    steps[p.fingerprint].push_back(p.state + " " + p.alert_id + " lsn=" + p.lsn + " commit_time=" + p.commit_time);
  }
  return steps;
}

constexpr const char* kPgRecvLogical = "/usr/lib/postgresql/15/bin/pg_recvlogical";
// The plugin options `walguard run` streams with (README "Forensics").
constexpr const char* kPluginOptions[] = {
    "format-version=2",
    "include-xids=1",
    "include-timestamp=1",
    "include-lsn=1",
    "include-pk=1",
    "include-types=0",
    "include-type-oids=1",
    "add-msg-prefixes=walguard.heartbeat",
    "add-tables=ticketing.ticket_tiers,ticketing.ticket_holds,ticketing.orders,ticketing.order_items,"
    "ticketing.tickets,reserve.payments,reserve.reservations,reserve.ledger_entries,reserve.availability_calendar,"
    "reserve.processed_webhooks,ticketing.events,reserve.booking_intents",
};

// Drops a slot at scope exit, even when an assertion ends the test early: a
// slot left behind pins WAL on the shared cluster.
struct SlotDropper {
  WalguardHarness* h;
  std::string slot;
  ~SlotDropper() {
    Status s =
        h->Sql("SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = '" +
               slot + "' AND NOT active");
    EXPECT_OK(s);
  }
};

TEST(Forensics, InputCaptureEqualsLive) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  // The capture's own slot, before anything the scenario writes: a capture
  // has no snapshot, so it must see every row from its creation.
  const std::string capture_slot = "cap_" + h.db();
  ASSERT_OK(h.Sql("SELECT pg_create_logical_replication_slot('" + capture_slot + "', 'wal2json')"));
  const SlotDropper drop_capture_slot{&h, capture_slot};
  ASSERT_OK(h.StartWalguard());
  for (const char* sql : kHealthy) ASSERT_OK(h.Sql(sql));
  for (const Fault& fault : kFaults) ASSERT_OK(h.Sql(fault.sql));
  for (const char* sql : kFixes) ASSERT_OK(h.Sql(sql));
  ASSERT_OK(h.CatchUp());
  const std::vector<Published> live = h.All();
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();

  // Read the slot up to the end of the scenario, as README "Forensics" says.
  std::string endpos;
  ASSERT_OK(h.Sql("SELECT pg_current_wal_lsn()::text", &endpos));
  // WAL past endpos, so pg_recvlogical sees it reached the end at once.
  ASSERT_OK(h.Sql("SELECT pg_logical_emit_message(false, 'forensics.nudge', 'x')"));
  const std::string capture = h.work_dir() + "/wal.jsonl";
  std::vector<std::string> argv = {
      kPgRecvLogical, "-d",  SharedCluster().ConnInfo(h.db()), "--slot", capture_slot, "--start", "-f", capture,
      "--endpos",     endpos};
  for (const char* option : kPluginOptions) argv.insert(argv.end(), {"-o", option});
  ChildProcess recv;
  ASSERT_OK(recv.Start(argv, h.work_dir() + "/pg_recvlogical.log"));
  ASSERT_EQ(recv.Wait(std::chrono::seconds(30)), 0) << "pg_recvlogical did not stop at --endpos " << endpos;

  std::vector<Published> replayed;
  std::string notes;
  ASSERT_OK(h.ReplayFrom({"--input", capture}, &replayed, &notes));
  EXPECT_NE(notes.find("no snapshot"), std::string::npos) << notes;
  const auto live_steps = AlertSteps(live);
  // Every fault fired and resolved live: the comparison is not vacuous.
  ASSERT_EQ(live_steps.size(), std::size(kFaults));
  for (const auto& [fingerprint, steps] : live_steps) EXPECT_EQ(steps.size(), 2u) << fingerprint;
  EXPECT_EQ(AlertSteps(replayed), live_steps) << notes;
  EXPECT_OK(h.DropSlot());
}

// Enough transactions, sealed a second apart, for several segments.
Status WriteSegments(WalguardHarness* h, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    std::string sql;
    for (int i = 0; i < 20; ++i) {
      // A volatile CTE is computed once: both entries share the transaction id.
      sql +=
          "BEGIN; WITH t AS (SELECT gen_random_uuid() AS id) "
          "INSERT INTO reserve.ledger_entries (transaction_id, account, direction, amount) "
          "SELECT id, 'cash', 'debit', 10.00 FROM t UNION ALL SELECT id, 'revenue', 'credit', 10.00 FROM t; "
          "COMMIT;\n";
    }
    WG_RETURN_IF_ERROR(h->Sql(sql));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  }
  return Status::OK();
}

void FlipMiddleByte(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff middle = f.tellg() / 2;
  char byte = 0;
  f.seekg(middle);
  f.read(&byte, 1);
  byte = static_cast<char>(byte ^ 0x5a);
  f.seekp(middle);
  f.write(&byte, 1);
}

TEST(Forensics, DamagedAndRetainedSegmentsAreReported) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[archive]\nsegment_bytes = 4096\nseal_interval_s = 1\n"));
  ASSERT_OK(WriteSegments(&h, 5));
  ASSERT_OK(h.CatchUp());
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();
  const std::string archive = h.state_dir() + "/archive";
  std::vector<SegmentInfo> segments;
  ASSERT_OK(ListSegments(archive, &segments));
  ASSERT_GE(segments.size(), 6u);

  // (a) One byte of a middle segment: reported with its range, the rest read.
  const SegmentInfo& damaged = segments[segments.size() / 2];
  FlipMiddleByte(damaged.path);
  std::vector<Published> replayed;
  std::string notes;
  ASSERT_OK(h.ReplayFrom({"--archive", archive}, &replayed, &notes));
  const std::string range = "records " + std::to_string(damaged.first_seq) + ".." + std::to_string(damaged.last_seq) +
                            ", LSN " + FormatLsn(damaged.first_lsn) + ".." + FormatLsn(damaged.last_lsn);
  EXPECT_NE(notes.find("damaged segment skipped (" + range + ")"), std::string::npos) << notes;
  EXPECT_NE(notes.find(std::filesystem::path(damaged.path).filename().string()), std::string::npos) << notes;

  // (b) The two oldest gone (the snapshot with them): history starts later.
  std::filesystem::remove(segments[0].path);
  std::filesystem::remove(segments[1].path);
  ASSERT_OK(h.ReplayFrom({"--archive", archive}, &replayed, &notes));
  EXPECT_NE(notes.find("history starts at LSN " + FormatLsn(segments[2].first_lsn)), std::string::npos) << notes;

  // (c) walguard's own retention: with max_bytes at its minimum, the next
  // seals force a state checkpoint and delete everything before it.
  constexpr uint64_t kMaxBytes = 4096;
  ASSERT_OK(h.StartWalguard(
      "[archive]\nsegment_bytes = 4096\nseal_interval_s = 1\nmax_bytes = " + std::to_string(kMaxBytes) + "\n"));
  ASSERT_OK(WriteSegments(&h, 1));
  ASSERT_OK(h.CatchUp());
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();
  std::vector<SegmentInfo> retained;
  ASSERT_OK(ListSegments(archive, &retained));
  ASSERT_FALSE(retained.empty());
  EXPECT_GT(retained.front().first_seq, segments[2].first_seq) << "retention deleted nothing";
  EXPECT_GT(retained.back().last_seq, segments.back().last_seq) << "the new run sealed nothing";
  std::vector<StateCheckpointInfo> checkpoints;
  ASSERT_OK(ListStateCheckpoints(archive, &checkpoints));
  ASSERT_FALSE(checkpoints.empty()) << "retention forced no checkpoint:\n" << h.WalguardLog();
  EXPECT_EQ(retained.front().first_seq, checkpoints.front().next_seq) << "the cut is at a start point";
  ASSERT_OK(h.ReplayFrom({"--archive", archive}, &replayed, &notes));
  EXPECT_NE(notes.find("starting from the state checkpoint at LSN " + FormatLsn(checkpoints.front().lsn)),
            std::string::npos)
      << notes;
  EXPECT_OK(h.DropSlot());
}

// The alert steps of `all` past `lsn`.
std::map<std::string, std::vector<std::string>> AlertStepsAfter(const std::vector<Published>& all, Lsn lsn) {
  std::vector<Published> after;
  for (const Published& p : all) {
    Lsn at = 0;
    if (ParseLsn(p.lsn, &at) && at > lsn) after.push_back(p);
  }
  return AlertSteps(after);
}

TEST(Forensics, RetentionCutsAtAForcedCheckpointAndReplayFromItEqualsLive) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  // No periodic checkpoint: each one here is retention's doing. The faults
  // fire, then the archive outgrows its limit: checkpoints are forced and
  // the history before them deleted.
  ASSERT_OK(h.StartWalguard(
      "[archive]\nsegment_bytes = 4096\nseal_interval_s = 1\ncheckpoint_interval_s = 0\nmax_bytes = 4096\n"));
  for (const char* sql : kHealthy) ASSERT_OK(h.Sql(sql));
  for (const Fault& fault : kFaults) ASSERT_OK(h.Sql(fault.sql));
  for (const Fault& fault : kFaults) ASSERT_EQ(h.WaitFor(fault.type, "firing", 1).size(), 1u) << fault.type;
  ASSERT_OK(WriteSegments(&h, 3));
  ASSERT_OK(h.CatchUp());
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();
  // Without a size limit from here on, so the fixes stay after the checkpoint.
  ASSERT_OK(h.StartWalguard("[archive]\nsegment_bytes = 4096\nseal_interval_s = 1\ncheckpoint_interval_s = 0\n"));
  for (const char* sql : kFixes) ASSERT_OK(h.Sql(sql));
  ASSERT_OK(WriteSegments(&h, 1));
  ASSERT_OK(h.CatchUp());
  const std::vector<Published> live = h.All();
  ASSERT_EQ(h.StopWalguard(), 0) << h.WalguardLog();

  const std::string archive = h.state_dir() + "/archive";
  std::vector<SegmentInfo> segments;
  std::vector<StateCheckpointInfo> checkpoints;
  ASSERT_OK(ListSegments(archive, &segments));
  ASSERT_OK(ListStateCheckpoints(archive, &checkpoints));
  ASSERT_FALSE(checkpoints.empty()) << h.WalguardLog();
  ASSERT_FALSE(segments.empty());
  ASSERT_GT(segments.front().first_seq, 1u) << "retention deleted nothing:\n" << h.WalguardLog();
  // The replay starts at the first checkpoint the retained segments follow.
  const StateCheckpointInfo* start = nullptr;
  for (const StateCheckpointInfo& c : checkpoints) {
    if (start == nullptr && c.next_seq >= segments.front().first_seq) start = &c;
  }
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->next_seq, segments.front().first_seq) << "retention cut at the start point";

  std::vector<Published> replayed;
  std::string notes;
  ASSERT_OK(h.ReplayFrom({"--archive", archive}, &replayed, &notes));
  EXPECT_NE(notes.find("history before LSN " + FormatLsn(start->lsn) +
                       " was removed by retention; starting from the state checkpoint at LSN " + FormatLsn(start->lsn) +
                       ", commit time " + FormatTimestamp(start->time)),
            std::string::npos)
      << notes;
  EXPECT_EQ(notes.find("state before it is unknown"), std::string::npos) << notes;
  // Every fault was fixed after the checkpoint: each resolution (with the id
  // it fired with, which only the checkpoint's firing set gives) is compared.
  const auto live_after = AlertStepsAfter(live, start->lsn);
  ASSERT_EQ(live_after.size(), std::size(kFaults))
      << "the fixes are not all after the checkpoint at " << FormatLsn(start->lsn) << " (seq " << start->next_seq
      << ", " << checkpoints.size() << " checkpoints, segments from seq " << segments.front().first_seq << "):\n"
      << h.WalguardLog();
  EXPECT_EQ(AlertStepsAfter(replayed, start->lsn), live_after) << notes;
  EXPECT_OK(h.DropSlot());
}

}  // namespace
}  // namespace walguard::testing

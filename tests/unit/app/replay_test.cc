// walguard replay and inspect over record sources: a pg_recvlogical file
// (--input) and records held in memory, with no Postgres and no broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/inspect_command.h"
#include "app/record_source.h"
#include "app/replay_command.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The tier's alert moves: drift fires at the second commit, resolves at the third.
TEST(ReplayInput, EmitsTheFiringAndTheCommandAtTheBreakingCommit) {
  TempDir dir;
  Notes notes;
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(
      Replay(InputSource(dir.Write("wal.jsonl", kTierDriftWal), notes.file()), ReplayOptions(), Collect(&out), &summary)
          .ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].topic, Topic::kAlerts);
  EXPECT_EQ(out[0].key, "tier_reserved_drift:tier:" + kTier);
  EXPECT_THAT(out[0].payload, HasSubstr(R"("state":"firing")"));
  EXPECT_THAT(out[0].payload, HasSubstr(R"("lsn":"0/2000130","commit_time":"2026-11-21T16:01:00.000001Z",)"
                                        R"("detected_at":"2026-11-21T16:01:00.000001Z")"));
  EXPECT_THAT(out[0].payload, HasSubstr(R"("event_id":")" + kEvent));
  EXPECT_EQ(out[1].topic, Topic::kCommands);
  EXPECT_THAT(out[1].payload, HasSubstr(R"("type":"reconcile_event_tickets","args":{"event_id":")" + kEvent));
  EXPECT_THAT(out[2].payload, HasSubstr(R"("state":"resolved")"));
  EXPECT_THAT(out[2].payload, HasSubstr(R"("lsn":"0/3000130")"));
  EXPECT_EQ(AlertId(out[0]), AlertId(out[2]));

  EXPECT_EQ(summary.source.records, 3u);
  EXPECT_EQ(summary.source.undecodable_lines, 1u);  // the damaged line of the fixture
  EXPECT_EQ(summary.changes, 4u);
  EXPECT_EQ(summary.messages, 3u);
  EXPECT_THAT(SummaryLine(summary), HasSubstr("3 records, 4 changes, 3 messages"));
  const std::string said = notes.Read();
  EXPECT_THAT(said, HasSubstr("history starts at LSN 0/1000000"));
  EXPECT_THAT(said, HasSubstr("the state starts empty"));
  EXPECT_THAT(said, HasSubstr("wal.jsonl:9: skipped"));
}

TEST(ReplayInput, LinesNameTheTopicTheKeyAndCarryThePayloadVerbatim) {
  OutMessage m{Topic::kCommands, "stuck_holds:tier:x", R"({"command_id":"c"})"};
  KafkaConfig topics;
  topics.commands_topic = "ops.commands";
  EXPECT_EQ(ReplayLine(m, topics), R"({"topic":"ops.commands","key":"stuck_holds:tier:x","value":{"command_id":"c"}})");
}

TEST(ReplayInput, FromLsnFiltersTheOutputButStateIsRebuiltFromTheStart) {
  TempDir dir;
  Notes notes;
  const std::string path = dir.Write("wal.jsonl", kTierDriftWal);
  std::vector<OutMessage> all, late;
  ReplaySummary summary;
  ASSERT_TRUE(Replay(InputSource(path, notes.file()), ReplayOptions(), Collect(&all), &summary).ok());
  ReplayOptions options;
  options.from_lsn = 0x3000000;
  ASSERT_TRUE(Replay(InputSource(path, notes.file()), options, Collect(&late), &summary).ok());
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].payload, all[2].payload);  // the resolution, with the id it fired with
  EXPECT_EQ(summary.source.records, 3u);
}

TEST(ReplayInput, UntilLsnAndUntilTimeStopApplying) {
  TempDir dir;
  Notes notes;
  const std::string path = dir.Write("wal.jsonl", kTierDriftWal);
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ReplayOptions options;
  options.until_lsn = 0x2000130;
  ASSERT_TRUE(Replay(InputSource(path, notes.file()), options, Collect(&out), &summary).ok());
  EXPECT_EQ(out.size(), 2u);  // firing + command, no resolution
  EXPECT_EQ(summary.source.records, 2u);

  out.clear();
  options = ReplayOptions();
  options.until_time = kT0 + 30 * kMicrosPerSecond;  // after the first commit only
  ASSERT_TRUE(Replay(InputSource(path, notes.file()), options, Collect(&out), &summary).ok());
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(summary.source.records, 1u);
}

TEST(ReplayInput, AMissingFileIsBadInput) {
  Notes notes;
  std::vector<OutMessage> out;
  ReplaySummary summary;
  const Status s =
      Replay(InputSource("/nonexistent/wal.jsonl", notes.file()), ReplayOptions(), Collect(&out), &summary);
  EXPECT_EQ(ExitCodeOf(s), 1) << s.ToString();
  EXPECT_EQ(ExitCodeOf(Status::Corruption("damaged")), 2);
  EXPECT_EQ(ExitCodeOf(Status::OK()), 0);
}

TEST(ReplayDiff, ListsTheTransitionsOfOneRunOnly) {
  TempDir dir;
  Notes notes;
  ReplayOptions what_if;
  what_if.thresholds.high_reserved_percent = 6;  // reserved 9 of 100 is high; 5 is not
  std::vector<AlertDifference> differences;
  ReplaySummary summary;
  ASSERT_TRUE(ReplayDiff(InputSource(dir.Write("wal.jsonl", kTierDriftWal), notes.file()), what_if, Thresholds(),
                         &differences, &summary)
                  .ok());
  ASSERT_EQ(differences.size(), 2u);
  EXPECT_EQ(differences[0].run, "what-if");
  EXPECT_EQ(differences[0].fingerprint, "high_reserved:tier:" + kTier);
  EXPECT_EQ(differences[0].state, "firing");
  EXPECT_EQ(differences[0].lsn, "0/2000130");
  EXPECT_EQ(differences[1].state, "resolved");
  EXPECT_EQ(differences[1].lsn, "0/3000130");

  // The same thresholds on both sides: nothing differs.
  ASSERT_TRUE(ReplayDiff(InputSource(dir.Write("wal.jsonl", kTierDriftWal), notes.file()), ReplayOptions(),
                         Thresholds(), &differences, &summary)
                  .ok());
  EXPECT_THAT(differences, IsEmpty());
}

TEST(Inspect, ShowsTheRuleFalseThenTrueAtTheBreakingCommitThenFalse) {
  TempDir dir;
  Notes notes;
  std::vector<std::string> lines;
  ASSERT_TRUE(InspectTierJson(InputSource(dir.Write("wal.jsonl", kTierDriftWal), notes.file()), &lines).ok());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr(R"({"lsn":"0/1000130","xid":901,"commit_time":"2026-11-21T16:00:00.000000Z",)"));
  EXPECT_THAT(lines[0], HasSubstr(R"("changes":[{"table":"ticketing.ticket_tiers","action":"I","row":{"id":")" + kTier +
                                  R"(","event_id":")" + kEvent + R"(","quantity":100,"reserved_quantity":5,)"));
  EXPECT_THAT(lines[0], HasSubstr(R"({"table":"ticketing.ticket_holds","action":"I")"));
  EXPECT_THAT(lines[0], HasSubstr(R"("figures":{"quantity":100,"reserved":5,"issued":0,"available":95,)"));
  EXPECT_THAT(lines[0], HasSubstr(R"("tier_reserved_drift":false)"));
  EXPECT_THAT(lines[1], HasSubstr(R"({"lsn":"0/2000130","xid":902,)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("action":"U","row":{"id":")" + kTier + R"(","event_id":")" + kEvent +
                                  R"(","quantity":100,"reserved_quantity":9,)"));
  EXPECT_THAT(lines[1], HasSubstr(R"("tier_reserved_drift":true)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("tier_reserved_drift":false)"));
  EXPECT_THAT(lines[2], HasSubstr(R"("rules":{"stuck_holds":false,"tier_reserved_drift":false,)"));
}

// The context an alert of the entity would carry (docs/reference.md 4.1.1),
// as the state stands at each step: null before its rows are seen, their
// values after, and the new name once renamed.
TEST(Inspect, ShowsTheEntitysContextAtEachStep) {
  std::string wal = kTierDriftWal;
  const std::string plain = R"({"name":"status","typeoid":25,"value":"on_sale"}])";
  const std::string named =
      R"({"name":"status","typeoid":25,"value":"on_sale"},{"name":"name","typeoid":25,"value":"Pista"},)"
      R"({"name":"price_cents","typeoid":23,"value":25000}])";
  // The tier gets its name and price at the breaking commit (xid 902) only.
  const size_t at = wal.find(plain, wal.find(R"("xid":902)"));
  ASSERT_NE(at, std::string::npos);
  wal.replace(at, plain.size(), named);
  TempDir dir;
  Notes notes;
  std::vector<std::string> lines;
  ASSERT_TRUE(InspectTierJson(InputSource(dir.Write("wal.jsonl", wal), notes.file()), &lines).ok());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr(R"(},"context":{"event_title":null,"tier_name":null,"price_cents":null},"rules":{)"));
  EXPECT_THAT(lines[1],
              HasSubstr(R"(},"context":{"event_title":null,"tier_name":"Pista","price_cents":25000},"rules":{)"));

  std::vector<InspectStep> steps;
  SourceReport report;
  auto keep = [&](const InspectStep& step) {
    steps.push_back(step);
    return Status::OK();
  };
  ASSERT_TRUE(Inspect(InputSource(dir.Write("wal2.jsonl", wal), notes.file()), Thresholds(), EntityKind::kTier, kTier,
                      0, keep, &report)
                  .ok());
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_THAT(InspectText(steps[1]),
              HasSubstr("\n  context {\"event_title\":null,\"tier_name\":\"Pista\",\"price_cents\":25000}\n  rules"));
}

TEST(Inspect, UntilLsnEndsTheTimelineAndOtherEntitiesAreNotShown) {
  TempDir dir;
  Notes notes;
  const std::string path = dir.Write("wal.jsonl", kTierDriftWal);
  std::vector<InspectStep> steps;
  SourceReport report;
  auto keep = [&](const InspectStep& step) {
    steps.push_back(step);
    return Status::OK();
  };
  ASSERT_TRUE(
      Inspect(InputSource(path, notes.file()), Thresholds(), EntityKind::kTier, kTier, 0x2000130, keep, &report).ok());
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_THAT(InspectText(steps[1]), HasSubstr("tier_reserved_drift=TRUE"));
  steps.clear();
  ASSERT_TRUE(
      Inspect(InputSource(path, notes.file()), Thresholds(), EntityKind::kTier, "no-such-tier", 0, keep, &report).ok());
  EXPECT_THAT(steps, IsEmpty());
}

TEST(Inspect, ParsesKindColonId) {
  EntityKind kind;
  std::string id;
  ASSERT_TRUE(ParseEntity("unit_date:u1/2026-12-01", &kind, &id));
  EXPECT_EQ(kind, EntityKind::kUnitDate);
  EXPECT_EQ(id, "u1/2026-12-01");
  EXPECT_FALSE(ParseEntity("tier:", &kind, &id));
  EXPECT_FALSE(ParseEntity("galaxy:1", &kind, &id));
  EXPECT_FALSE(ParseEntity("tier", &kind, &id));
}

TEST(ReplayMemory, AStopRequestEndsTheReplayCleanlyAndSaysWhere) {
  std::atomic<bool> stop{false};
  Notes notes;
  std::vector<OutMessage> out;
  ReplaySummary summary;
  const RecordSource source = Interruptible(MemorySource(SnapshotRecords(0x5000000, 9, {})), &stop, notes.file());
  int seen = 0;
  ASSERT_TRUE(Replay(
                  source, ReplayOptions(),
                  [&](const OutMessage&) {
                    ++seen;
                    return Status::OK();
                  },
                  &summary)
                  .ok());
  EXPECT_EQ(seen, 2);  // uninterrupted: firing + command
  EXPECT_EQ(notes.Read(), "");

  stop = true;
  ASSERT_TRUE(Replay(source, ReplayOptions(), Collect(&out), &summary).ok());
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(summary.source.records, 0u);
  EXPECT_THAT(notes.Read(), HasSubstr("interrupted after LSN 0/0: the output is incomplete"));
}

// A snapshot, as the archive records one: its rows are evaluated at its end,
// and a second snapshot that hands over the firing set continues the alert
// (same id, no new message) instead of firing it anew.
TEST(ReplayMemory, SnapshotsAreAppliedAsTheBootstrapAppliesThem) {
  std::vector<ArchiveRecord> records = SnapshotRecords(0x5000000, /*reserved=*/9, {});
  std::vector<OutMessage> out;
  ReplaySummary summary;
  ASSERT_TRUE(Replay(MemorySource(records), ReplayOptions(), Collect(&out), &summary).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_THAT(out[0].payload, HasSubstr(R"("state":"firing")"));
  EXPECT_THAT(out[0].payload, HasSubstr(R"("lsn":"0/5000000")"));
  const std::string alert_id = AlertId(out[0]);

  // Resnapshot with the handover: still drifting, so nothing new.
  std::vector<ArchiveRecord> again = SnapshotRecords(0x6000000, 9, {{out[0].key, alert_id}});
  records.insert(records.end(), again.begin(), again.end());
  out.clear();
  ASSERT_TRUE(Replay(MemorySource(records), ReplayOptions(), Collect(&out), &summary).ok());
  EXPECT_EQ(out.size(), 2u);
  // Resnapshot with the drift repaired: resolves with the id it fired with.
  std::vector<ArchiveRecord> repaired = SnapshotRecords(0x7000000, 5, {{out[0].key, alert_id}});
  records.insert(records.end(), repaired.begin(), repaired.end());
  out.clear();
  ASSERT_TRUE(Replay(MemorySource(records), ReplayOptions(), Collect(&out), &summary).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out[2].payload, HasSubstr(R"("state":"resolved")"));
  EXPECT_THAT(out[2].payload, HasSubstr(R"("lsn":"0/7000000")"));
  EXPECT_EQ(AlertId(out[2]), alert_id);
  EXPECT_EQ(summary.changes, 6u);  // two rows per snapshot
}

}  // namespace
}  // namespace walguard

// The crash test's checks over consumed messages, on hand-made streams: each
// kind of inconsistency they exist to catch must be reported, and the
// redeliveries a crash legitimately causes must not be.
#include "tests/integration/crash_checks.h"

#include <gtest/gtest.h>

#include "util/hash.h"

namespace walguard::testing {
namespace {

constexpr char kTier[] = "tier_reserved_drift:tier:t1";
constexpr char kLedger[] = "ledger_imbalance:ledger_transaction:x1";  // a rule without a command

Published Alert(const std::string& fingerprint, const std::string& state, const std::string& id,
                const std::string& lsn) {
  Published p;
  p.topic = "walguard.alerts";
  p.key = p.fingerprint = fingerprint;
  p.type = fingerprint.substr(0, fingerprint.find(':'));
  p.state = state;
  p.alert_id = id;
  p.lsn = lsn;
  p.commit_time = "2026-11-21T16:33:53.001193Z";
  p.payload = state + "|" + id + "|" + lsn;  // what makes a message a byte-for-byte copy
  return p;
}

Published Command(const std::string& fingerprint, const std::string& caused_by) {
  Published p;
  p.topic = "walguard.commands";
  p.key = fingerprint;
  p.command_type = "reconcile_event_tickets";
  p.caused_by = caused_by;
  p.command_id = StableUuid(caused_by + "/" + p.command_type);
  p.payload = "command|" + caused_by;
  return p;
}

TEST(CrashChecksTest, RedeliveriesAreCountedNotReported) {
  const Published f1 = Alert(kTier, "firing", "a1", "0/10"), c1 = Command(kTier, "a1");
  const Published r1 = Alert(kTier, "resolved", "a1", "0/20"), f2 = Alert(kTier, "firing", "a2", "0/30");
  const Published c2 = Command(kTier, "a2"), r2 = Alert(kTier, "resolved", "a2", "0/40");
  // Two crashes: the first re-sent f1, c1 and r1 (delivered, not yet deleted
  // from the outbox); the second re-sent everything from f1 to f2.
  const std::vector<Published> all = {
      f1, c1, r1, f1, c1, r1, f2, c2, f1, r1, f2, r2, Alert(kLedger, "firing", "b1", "0/30")};
  StreamSummary summary;
  EXPECT_EQ(CheckPublished(all, &summary), "");
  EXPECT_EQ(summary.duplicates, 6u);
  EXPECT_EQ(summary.firings, 3u);
  EXPECT_EQ(summary.resolutions, 2u);
  EXPECT_EQ(summary.commands, 2u);
}

TEST(CrashChecksTest, ReportsARedeliveryThatLeavesAnOlderState) {
  const Published f1 = Alert(kLedger, "firing", "b1", "0/10"), r1 = Alert(kLedger, "resolved", "b1", "0/20");
  StreamSummary summary;
  // f1 re-sent after r1, and r1 never again: consumers see b1 firing.
  std::string report = CheckPublished({f1, r1, f1}, &summary);
  EXPECT_NE(report.find("the last redelivery stopped before its latest messages"), std::string::npos) << report;
  const Published f2 = Alert(kLedger, "firing", "b2", "0/30");
  report = CheckPublished({f1, r1, f1, f2}, &summary);
  EXPECT_NE(report.find("while a redelivery had not re-sent its latest messages"), std::string::npos) << report;
  // f1 and f2 re-sent without r1 between them: b1 stays open for consumers.
  report = CheckPublished({f1, r1, f2, f1, f2}, &summary);
  EXPECT_NE(report.find("a redelivery skipped 1 message(s) before re-sending firing b2"), std::string::npos) << report;
  // Started over by a second crash, then complete: fine.
  EXPECT_EQ(CheckPublished({f1, r1, f2, r1, r1, f2}, &summary), "");
}

TEST(CrashChecksTest, ReportsANewFiringWhileAnotherIsOpen) {
  StreamSummary summary;
  const std::string report = CheckPublished({Alert(kTier, "firing", "a1", "0/10"), Command(kTier, "a1"),
                                             Alert(kTier, "firing", "a2", "0/30"), Command(kTier, "a2")},
                                            &summary);
  EXPECT_NE(report.find("fired a2 while a1 was firing"), std::string::npos) << report;
  EXPECT_NE(report.find("messages of " + std::string(kTier)), std::string::npos) << report;
}

TEST(CrashChecksTest, ReportsAResolvedThatClosesNothing) {
  StreamSummary summary;
  EXPECT_NE(CheckPublished({Alert(kLedger, "resolved", "b1", "0/10")}, &summary).find("open firing is none"),
            std::string::npos);
  EXPECT_NE(CheckPublished({Alert(kLedger, "firing", "b1", "0/10"), Alert(kLedger, "resolved", "b2", "0/20")}, &summary)
                .find("resolved b2 but the open firing is b1"),
            std::string::npos);
}

TEST(CrashChecksTest, ReportsAReusedAlertId) {
  StreamSummary summary;
  // Same id, but a different message: a new firing, not a redelivery.
  const std::string report = CheckPublished(
      {Alert(kLedger, "firing", "b1", "0/10"), Alert(kLedger, "resolved", "b1", "0/20"),
       Alert(kLedger, "firing", "b1", "0/30"), Alert("ledger_imbalance:ledger_transaction:x2", "firing", "b1", "0/40")},
      &summary);
  EXPECT_NE(report.find("reuses alert_id b1"), std::string::npos) << report;
  EXPECT_NE(report.find("is used by"), std::string::npos) << report;
}

TEST(CrashChecksTest, ReportsLostAndDanglingCommands) {
  StreamSummary summary;
  Published forged = Command(kTier, "a1");
  forged.command_id = "not-derived";
  const std::string report =
      CheckPublished({Alert(kTier, "firing", "a1", "0/10"), forged,
                      Alert("tier_reserved_drift:tier:t2", "firing", "a2", "0/20"), Command(kTier, "zz")},
                     &summary);
  EXPECT_NE(report.find("not derived from its alert_id a1"), std::string::npos) << report;
  EXPECT_NE(report.find("fired a2 (lsn 0/20) but no command"), std::string::npos) << report;
  EXPECT_NE(report.find("caused_by zz, which no firing alert carries"), std::string::npos) << report;
}

TEST(CrashChecksTest, TransitionsAfterThePointMustMatch) {
  const std::vector<Published> a = {Alert(kTier, "firing", "a1", "0/10"), Alert(kTier, "resolved", "a1", "0/30"),
                                    Alert(kLedger, "firing", "b1", "0/40")};
  const std::vector<Published> b = {Alert(kTier, "firing", "other-id", "0/10"), Alert(kTier, "resolved", "x", "0/30")};
  size_t compared = 0;
  const std::string report = CompareTransitions(a, "victim", b, "reference", /*after=*/0x20, &compared);
  EXPECT_EQ(compared, 2u);  // 0/10 is at or before the point
  EXPECT_EQ(report.find(kTier + std::string(" resolved")), std::string::npos) << report;
  EXPECT_NE(report.find("only victim: " + std::string(kLedger) + " firing at lsn 0/40"), std::string::npos) << report;
}

TEST(CrashChecksTest, AlertIdsAreComparedForTheSameStepOnly) {
  std::map<std::string, Published> a, b;
  a[kTier] = Alert(kTier, "firing", "a1", "0/10");
  b[kTier] = Alert(kTier, "firing", "a9", "0/10");
  a[kLedger] = Alert(kLedger, "firing", "b1", "0/20");
  b[kLedger] = Alert(kLedger, "firing", "b2", "0/28");
  const IdComparison ids = CompareAlertIds(a, b);
  EXPECT_EQ(ids.same_step, 1u);
  EXPECT_EQ(ids.equal_ids, 0u);
  EXPECT_EQ(ids.other_step, 1u);
  EXPECT_NE(ids.different.find("as a1 and as a9"), std::string::npos) << ids.different;
}

}  // namespace
}  // namespace walguard::testing

// --diff's baseline is the thresholds the live run recorded in its archive,
// the rule settings issue 13 added included (replay_live_run.h writes the
// archive as `walguard run` does).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "app/record_source.h"
#include "app/replay_command.h"
#include "tests/unit/app/replay_fixture.h"
#include "tests/unit/app/replay_live_run.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

// A card payment created a minute before `since`, in `status` since then (no
// reservation for its intent), inserted by a transaction at `lsn`.
Transaction PaymentSince(Lsn lsn, Micros at, int n, const std::string& status, Micros since) {
  auto timestamp = [](Micros t) {  // as wal2json writes it: "2026-11-21 16:33:53.001193+00"
    std::string s = FormatTimestamp(t);
    s[10] = ' ';
    s.back() = '+';
    return s + "00";
  };
  const std::string id = "9a9a9a9a-0000-4000-8000-00000000000" + std::to_string(n);
  Change c;
  c.schema = "reserve";
  c.table = "payments";
  c.columns = {Text("id", id),
               Text("status", status),
               Text("booking_intent_id", "b1b1b1b1-0000-4000-8000-00000000000" + std::to_string(n)),
               Text("amount", "150.00"),
               Text("currency", "BRL"),
               Text("provider", "stripe"),
               Text("method", "card"),
               Text("created_at", timestamp(since - kMicrosPerMinute))};
  c.columns.push_back(Text("succeeded_at", timestamp(since)));
  c.columns.back().is_null = status != "succeeded";
  return OneChangeTransaction(std::move(c), lsn, at, static_cast<uint32_t>(700 + n));
}

// The settings issue 13 added, recorded: a live run with every one of them
// away from its default (historical alerts suppressed past a 1 h lookback,
// a 60 s repeat, another business zone and benign codes) is the --diff
// baseline exactly, and a what-if run with the defaults differs from it.
TEST(ReplayRecordedSettings, TheBaselineFollowsEveryRecordedRuleSetting) {
  Thresholds live_thresholds;
  live_thresholds.historical_alerts = HistoricalAlerts::kSuppress;
  live_thresholds.payment_without_reservation_lookback = 60 * kMicrosPerMinute;
  live_thresholds.repeat_interval = kMicrosPerMinute;
  live_thresholds.business_timezone = "America/Sao_Paulo";
  live_thresholds.benign_error_codes = {"do_not_honor"};
  live_thresholds.cron_slow_after = 7 * kMicrosPerSecond;
  TempDir dir;
  LiveRun live(dir.path(), live_thresholds);
  live.Snapshot(0x5000000);
  const Micros at = kT0 + kMicrosPerMinute;
  // payment_without_reservation: historical (suppressed), then recent (fires);
  // stuck_payment, whose poll_payment_status repeats.
  live.Apply(PaymentSince(0x5100000, at, 1, "succeeded", at - 120 * kMicrosPerMinute));
  live.Apply(PaymentSince(0x5200000, at, 2, "succeeded", at - 10 * kMicrosPerMinute));
  live.Apply(PaymentSince(0x5280000, at, 3, "processing", at - 120 * kMicrosPerMinute));
  live.Apply(TierUpdate(0x5300000, at + 3 * kMicrosPerMinute, 5));  // the clock: repeats are due
  live.Seal(at + 4 * kMicrosPerMinute);
  int fired = 0, commands = 0;
  std::string keys;
  for (const OutMessage& m : live.emitted()) {
    keys += " " + std::to_string(static_cast<int>(m.topic)) + ":" + m.key;
    EXPECT_THAT(m.key, Not(HasSubstr("00000000001"))) << "suppressed: " << m.payload;
    fired += m.topic == Topic::kAlerts && m.key.starts_with("payment_without_reservation:") ? 1 : 0;
    commands += m.topic == Topic::kCommands ? 1 : 0;
  }
  ASSERT_EQ(fired, 1) << keys;
  ASSERT_GE(commands, 3) << "both alerts' commands and at least one repeat:" << keys;

  Notes notes;
  ReplayOptions what_if;
  what_if.thresholds = live_thresholds;
  std::vector<AlertDifference> differences;
  ReplaySummary summary;
  ASSERT_TRUE(
      ReplayDiff(ArchiveSource(live.archive(), notes.file()), what_if, std::nullopt, &differences, &summary).ok());
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences, first " << differences[0].fingerprint;

  ReplayOptions defaults;
  ASSERT_TRUE(
      ReplayDiff(ArchiveSource(live.archive(), notes.file()), defaults, std::nullopt, &differences, &summary).ok());
  std::vector<std::string> seen;
  for (const AlertDifference& d : differences) seen.push_back(d.run + " " + d.state + " " + d.fingerprint);
  EXPECT_THAT(seen, ::testing::Contains(::testing::StartsWith("what-if firing payment_without_reservation:")));
}

}  // namespace
}  // namespace walguard

// Engine behaviour across steps and restarts: determinism of ids, the WAL
// clock persisted in the state, replay after a crash, deadlines while idle.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "processors/engine.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "processors/timers.h"
#include "tests/support/memory_kv.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string E1 = EventId(1);
const std::string T1 = TierId(1);

std::vector<std::string> Summaries(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.Summary());
  return out;
}

std::vector<std::string> Payloads(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.payload);
  return out;
}

// A tier with one 5-ticket hold expiring at +10 min (stuck after +15).
Step HoldStep() {
  return Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 5, 0)),
                     Insert("ticket_holds", HoldRow(HoldId(1), T1, 5, "active", At(10)))});
}

// A scenario with several firings and resolutions of different rules.
std::vector<Step> Scenario() {
  return {
      HoldStep(),
      Clock(At(16)),                                                                            // stuck_holds
      Txn(At(17), {Update("ticket_holds", {Col("id", HoldId(1)), Col("status", "expired")})}),  // drift, stuck resolves
      Txn(At(18), {Update("ticket_tiers", {Col("id", T1), Col("reserved_quantity", int64_t{0})})}),  // drift resolves
      Txn(At(19), {Insert("orders", OrderRow(OrderId(1), E1, "paid", 5000, At(18), At(18))),
                   Insert("order_items", ItemRow(ItemId(1), OrderId(1), T1, 1, 5000))}),
      Clock(At(25)),  // paid_without_tickets
  };
}

std::vector<std::string> AlertIds(const std::vector<Message>& messages) {
  std::vector<std::string> ids;
  for (const Message& m : messages) {
    if (m.topic == Topic::kAlerts) ids.push_back(m.json.Str("alert_id"));
    if (m.topic == Topic::kCommands) ids.push_back(m.json.Str("command_id"));
  }
  return ids;
}

TEST(EngineDeterminism, SameStepsOnFreshStateGiveTheSameIds) {
  RuleHarness first, second;
  std::vector<std::string> ids1, ids2;
  for (const Step& step : Scenario()) {
    for (const std::string& id : AlertIds(first.Run(step))) ids1.push_back(id);
    for (const std::string& id : AlertIds(second.Run(step))) ids2.push_back(id);
  }
  EXPECT_THAT(first.violations(), IsEmpty());
  // stuck firing + command, drift firing + command, stuck resolved, drift resolved, paid firing + command
  ASSERT_EQ(ids1.size(), 8u);
  EXPECT_EQ(ids1, ids2);
  EXPECT_EQ(first.kv().data(), second.kv().data());
}

TEST(EngineDeterminism, ANewFiringOfTheSameFingerprintGetsANewAlertId) {
  RuleHarness h;
  auto quantity = [](int64_t q) { return Update("ticket_tiers", {Col("id", T1), Col("quantity", q)}); };
  std::vector<Change> sold_out = {Insert("ticket_tiers", TierRow(T1, E1, 10, 0, 10))};
  for (int n = 1; n <= 10; ++n) sold_out.push_back(Insert("tickets", TicketRow(TicketId(n), OrderId(1), T1, "issued")));
  ASSERT_THAT(h.Run(Txn(At(0), sold_out)), IsEmpty());
  std::vector<Message> first = h.Run(Txn(At(1), {quantity(9)}));
  ASSERT_THAT(Summaries(first),
              ElementsAre("firing negative_available:tier:" + T1,
                          "command reconcile_event_tickets {event_id=" + E1 + "} <- negative_available:tier:" + T1));
  std::vector<Message> resolved = h.Run(Txn(At(2), {quantity(10)}));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].json.Str("state"), "resolved");
  EXPECT_EQ(resolved[0].json.Str("alert_id"), first[0].json.Str("alert_id"));
  std::vector<Message> again = h.Run(Txn(At(3), {quantity(9)}));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].json.Str("state"), "firing");
  EXPECT_NE(again[0].json.Str("alert_id"), first[0].json.Str("alert_id"));
  EXPECT_NE(again[1].json.Str("command_id"), first[1].json.Str("command_id"));
  EXPECT_EQ(again[1].json.Str("caused_by"), again[0].json.Str("alert_id"));
  EXPECT_THAT(h.violations(), IsEmpty());
}

// Three paid orders without tickets, paid ten seconds apart: three row
// timers due at three moments, all after the last payment.
void PayThreeOrders(RuleHarness* h) {
  h->Run(Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 0, 0))}));
  for (int i = 1; i <= 3; ++i) {
    const Micros paid = At(1, 10 * i);
    h->Run(Txn(paid, {Insert("orders", OrderRow(OrderId(i), E1, "paid", 5000, paid, paid)),
                      Insert("order_items", ItemRow(ItemId(i), OrderId(i), T1, 1, 5000))}));
  }
}

// A clock that catches up a long way (the end of a backlog) moves in steps
// that each fire a bounded number of row timers (the pipeline commits each
// apart): together they fire what one jump fires.
TEST(EngineClock, BoundedClockStepsFireWhatOneJumpFires) {
  RuleHarness jump, stepped;
  PayThreeOrders(&jump);
  PayThreeOrders(&stepped);
  const Micros target = At(60);
  std::vector<std::string> at_once = Summaries(jump.Run(Clock(target)));
  ASSERT_EQ(at_once.size(), 6u) << "three paid_without_tickets alerts and their commands: "
                                << ::testing::PrintToString(at_once);

  std::vector<std::string> in_steps;
  std::vector<size_t> fired_per_step;
  for (int n = 0; n < 10; ++n) {
    Micros step = 0;
    ASSERT_TRUE(stepped.engine().ClockStep(target, &stepped.kv(), 1, &step).ok());
    ASSERT_GT(step, stepped.engine().clock()) << "every step moves";
    std::vector<std::string> fired = Summaries(stepped.Run(Clock(step)));
    fired_per_step.push_back(fired.size());
    in_steps.insert(in_steps.end(), fired.begin(), fired.end());
    if (step >= target) break;
  }
  EXPECT_THAT(fired_per_step, ElementsAre(2u, 2u, 2u)) << "one timer (an alert and its command) per step";
  std::sort(at_once.begin(), at_once.end());
  std::sort(in_steps.begin(), in_steps.end());
  EXPECT_EQ(in_steps, at_once);
  EXPECT_THAT(stepped.violations(), IsEmpty());
}

// The bound itself: a step ends before the first deadline past it, never
// splits one deadline's timers, and reaches the target when few are due.
TEST(EngineClock, BoundedClockStepCountsRowTimers) {
  MemoryKv kv;
  for (const auto& [deadline, row] : std::vector<std::pair<Micros, std::string>>{
           {At(10), "a"}, {At(20), "b"}, {At(20), "c"}, {At(20), "d"}, {At(30), "e"}, {At(40), "f"}}) {
    SetTimer(&kv, deadline, TableId::kOrders, row);
  }
  auto step = [&](Micros after, Micros target, size_t max_due) {
    Micros out = 0;
    EXPECT_TRUE(BoundedClockStep(&kv, after, target, max_due, &out).ok());
    return out;
  };
  EXPECT_EQ(step(0, At(100), 6), At(100));          // all six fit
  EXPECT_EQ(step(0, At(100), 1), At(20) - 1);       // fires a
  EXPECT_EQ(step(0, At(100), 2), At(20) - 1);       // a; the three at 20 are not split
  EXPECT_EQ(step(At(20) - 1, At(100), 1), At(20));  // b, c, d share their deadline: all three
  EXPECT_EQ(step(At(20), At(100), 1), At(40) - 1);  // e
  EXPECT_EQ(step(At(20), At(35), 1), At(35));       // only e is due by the target
  EXPECT_EQ(step(At(50), At(40), 1), At(40));       // a target behind: no step
}

TEST(EngineClock, LoadRestoresThePersistedClock) {
  RuleHarness h;
  EXPECT_EQ(h.engine().clock(), 0);
  h.Run(HoldStep());
  h.Run(Clock(At(16)));
  EXPECT_EQ(h.engine().clock(), At(16));
  h.Reload();
  EXPECT_EQ(h.engine().clock(), At(16));
  // The clock never goes back: an older tick, or an older commit, keeps it.
  EXPECT_THAT(h.Run(Clock(At(12))), IsEmpty());
  EXPECT_EQ(h.engine().clock(), At(16));
  h.Run(Txn(At(14), {Update("ticket_tiers", TierRow(T1, E1, 100, 5, 0, At(14)))}));
  EXPECT_EQ(h.engine().clock(), At(16));
  h.Reload();
  EXPECT_EQ(h.engine().clock(), At(16));
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineClock, ReplayOfAnAppliedTransactionAfterReloadEmitsNothing) {
  RuleHarness h;
  const Step hold = HoldStep();
  ASSERT_THAT(h.Run(hold), IsEmpty());
  const Lsn hold_lsn = h.last_lsn();
  ASSERT_EQ(h.Run(Clock(At(16))).size(), 2u);  // stuck_holds + its command

  // Restart; Postgres resends the hold's transaction (its ack was lost).
  h.Reload();
  EXPECT_THAT(h.Run(hold, hold_lsn), IsEmpty());  // the hold is judged at At(16), not At(0)
  EXPECT_EQ(h.engine().clock(), At(16));
  EXPECT_THAT(h.Run(Clock(At(40))), IsEmpty());
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineClock, ReplayWithoutTheStoredClockWouldResolve) {
  // The control for the test above: the WAL clock must come from the state.
  // A fresh Engine that did not Load sees the hold as unexpired at At(0).
  RuleHarness h;
  const Step hold = HoldStep();
  h.Run(hold);
  const Lsn hold_lsn = h.last_lsn();
  h.Run(Clock(At(16)));
  Engine forgetful{Thresholds()};
  Transaction txn;
  txn.end_lsn = hold_lsn;
  txn.commit_time = hold.at;
  txn.changes = hold.changes;
  std::vector<OutMessage> out;
  ASSERT_TRUE(forgetful.ApplyTransaction(txn, &h.kv(), At(40), &out).ok());
  EXPECT_EQ(out.size(), 1u);  // stuck_holds resolved: the point of loading the clock
}

TEST(EngineCrash, RedeliveryAfterALostBatchRepeatsTheSameIds) {
  std::vector<Step> steps = Scenario();
  RuleHarness live;
  for (size_t i = 0; i + 1 < steps.size(); ++i) live.Run(steps[i]);
  // Each step's batch is committed with its messages; the last one is lost in a crash.
  MemoryKv committed = live.kv();
  const Lsn lsn = live.last_lsn();
  std::vector<Message> before_crash = live.Run(steps.back());
  ASSERT_FALSE(before_crash.empty());

  RuleHarness restarted;
  restarted.kv() = committed;
  restarted.Reload();
  std::vector<Message> redelivered = restarted.Run(steps.back(), lsn);
  EXPECT_EQ(Payloads(redelivered), Payloads(before_crash));
  EXPECT_EQ(restarted.kv().data(), live.kv().data());
}

TEST(EngineCrash, RedeliveryOfATransactionStepRepeatsTheSameIds) {
  RuleHarness live;
  MemoryKv committed = live.kv();
  const Step step = Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 10, 0, 11))});
  std::vector<Message> before_crash = live.Run(step);
  // negative_available and tier_issued_drift (11 issued, no tickets), each with its command.
  ASSERT_EQ(before_crash.size(), 4u);

  RuleHarness restarted;
  restarted.kv() = committed;
  restarted.Reload();
  EXPECT_EQ(Payloads(restarted.Run(step, live.last_lsn())), Payloads(before_crash));
}

TEST(EngineTimers, NextDeadlineFollowsTheHoldPhases) {
  RuleHarness h;
  Micros deadline = 0;
  EXPECT_FALSE(h.engine().NextDeadline(&h.kv(), &deadline));
  h.Run(HoldStep());
  ASSERT_TRUE(h.engine().NextDeadline(&h.kv(), &deadline));
  EXPECT_EQ(deadline, At(10));  // the hold expires
  h.Run(Clock(At(10)));
  ASSERT_TRUE(h.engine().NextDeadline(&h.kv(), &deadline));
  EXPECT_GT(deadline, At(15));  // "more than 5 min past expires_at"
  EXPECT_LE(deadline, At(15, 0, 1));
  EXPECT_THAT(h.Run(Clock(deadline - 1)), IsEmpty());
  EXPECT_EQ(h.Run(Clock(deadline)).size(), 2u);
  EXPECT_FALSE(h.engine().NextDeadline(&h.kv(), &deadline));  // nothing else will change
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineTimers, ManyDeadlinesPassedInOneTick) {
  RuleHarness h;
  // 60 of 200 reserved is exactly 30 %: quiet.
  std::vector<Change> changes = {Insert("ticket_tiers", TierRow(T1, E1, 200, 60, 0))};
  for (int n = 1; n <= 30; ++n) {
    changes.push_back(Insert("ticket_holds", HoldRow(HoldId(n), T1, 2, "active", At(n))));
  }
  ASSERT_THAT(h.Run(Txn(At(0), changes)), IsEmpty());
  // The database was idle for 40 minutes: both deadlines of every hold passed.
  std::vector<Message> out = h.Run(Clock(At(40)));
  ASSERT_THAT(Summaries(out),
              ElementsAre("firing stuck_holds:tier:" + T1,
                          "command cleanup_expired_ticket_holds {event_id=" + E1 + "} <- stuck_holds:tier:" + T1));
  const Json* details = out[0].json.Find("details");
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->Str("stuck_holds"), "30");
  Micros deadline = 0;
  EXPECT_FALSE(h.engine().NextDeadline(&h.kv(), &deadline));
  EXPECT_THAT(h.violations(), IsEmpty());
}

// More rows than one scan round (1024) of the timer index and of TRUNCATE.
TEST(EngineTimers, MoreDueTimersAndTruncatedRowsThanOneRound) {
  RuleHarness h;
  constexpr int kHolds = 2500;
  std::vector<Change> changes = {Insert("ticket_tiers", TierRow(T1, E1, 10 * kHolds, kHolds, 0))};
  for (int n = 1; n <= kHolds; ++n) {
    changes.push_back(Insert("ticket_holds", HoldRow(HoldId(n), T1, 1, "active", At(10, n))));
  }
  ASSERT_THAT(h.Run(Txn(At(0), changes)), IsEmpty());
  std::vector<Message> stuck = h.Run(Clock(At(120)));
  ASSERT_EQ(stuck.size(), 2u);
  EXPECT_EQ(stuck[0].json.Find("details")->Str("stuck_holds"), std::to_string(kHolds));
  Micros deadline = 0;
  EXPECT_FALSE(h.engine().NextDeadline(&h.kv(), &deadline)) << "a due timer was left behind";

  std::vector<Message> truncated = h.Run(Txn(At(121), {Truncate("ticket_holds")}));
  EXPECT_THAT(Summaries(truncated),
              ElementsAre("resolved stuck_holds:tier:" + T1, "firing tier_reserved_drift:tier:" + T1,
                          "command reconcile_event_tickets {event_id=" + E1 + "} <- tier_reserved_drift:tier:" + T1));
  // No row image of the table is left.
  const std::string hold_images = ImageKey(TableId::kTicketHolds, "");
  for (const auto& [key, value] : h.kv().data()) {
    EXPECT_FALSE(key.starts_with(hold_images)) << "hold image left after TRUNCATE";
  }
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineMessages, HeartbeatMessagesAreIgnored) {
  RuleHarness h;
  Change heartbeat;
  heartbeat.action = Action::kMessage;
  heartbeat.prefix = "walguard_heartbeat";
  heartbeat.content = "tick";
  EXPECT_THAT(h.Run(Txn(At(0), {heartbeat})), IsEmpty());
  EXPECT_EQ(h.engine().clock(), At(0));
}

TEST(EngineMessages, DeadLetterCarriesTheChange) {
  RuleHarness h;
  Cols tier = TierRow(T1, E1, 10, 0, 0);
  for (Datum& d : tier) {
    if (d.name == "quantity") d.text = "ten";
  }
  std::vector<Message> out = h.Run(Txn(At(0), {Insert("ticket_tiers", tier)}));
  ASSERT_EQ(out.size(), 1u);
  const Message& m = out[0];
  EXPECT_EQ(m.topic, Topic::kDeadLetter);
  EXPECT_EQ(m.key, "ticketing.ticket_tiers");
  EXPECT_EQ(m.json.Str("schema"), "ticketing");
  EXPECT_EQ(m.json.Str("table"), "ticket_tiers");
  EXPECT_NE(m.json.Str("reason").find("quantity"), std::string::npos) << m.payload;
  const Json* columns = m.json.Find("columns");
  ASSERT_NE(columns, nullptr) << m.payload;
  EXPECT_EQ(columns->Str("quantity"), "ten");
  EXPECT_EQ(columns->Str("id"), T1);
  EXPECT_FALSE(m.json.Str("lsn").empty());
  // Not stored: a later valid update of the tier is an update of an unseen row.
  std::vector<Message> later = h.Run(Txn(At(1), {Update("ticket_tiers", {Col("id", T1), Col("quantity", "10")})}));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].topic, Topic::kDeadLetter);
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(EngineSnapshot, RowsThatExistedBeforeCountAndAreJudgedTogether) {
  RuleHarness h;
  std::vector<OutMessage> out;
  h.engine().BeginSnapshot(At(30));
  // Rows arrive table by table: the hold before its tier, so nothing may be
  // judged on a half-read state.
  for (const Change& row : {Insert("ticket_holds", HoldRow(HoldId(1), T1, 5, "active", At(10))),
                            Insert("ticket_tiers", TierRow(T1, E1, 100, 5, 0))}) {
    ASSERT_TRUE(h.engine().ApplySnapshotRow(row, &h.kv(), &out).ok());
  }
  EXPECT_TRUE(out.empty());
  const Lsn consistent_point = 0x16B0000;
  ASSERT_TRUE(h.engine().FinishSnapshot(consistent_point, &h.kv(), RuleHarness::DetectedAt(At(30)), &out).ok());
  std::vector<Message> messages = h.Accept(std::move(out), At(30), consistent_point);
  EXPECT_THAT(Summaries(messages),
              ElementsAre("firing stuck_holds:tier:" + T1,
                          "command cleanup_expired_ticket_holds {event_id=" + E1 + "} <- stuck_holds:tier:" + T1));
  EXPECT_EQ(h.engine().clock(), At(30));
  h.Reload();
  EXPECT_EQ(h.engine().clock(), At(30));
  EXPECT_THAT(h.violations(), IsEmpty());
}

TEST(RuleTestUtil, ParsesJsonWithEscapes) {
  Json j;
  std::string error;
  ASSERT_TRUE(
      ParseJson(R"({"a":"x\"y\\z\u00e9\ud83d\ude00","n":-12.50,"o":{"b":[1,true,null]},"f":false})", &j, &error))
      << error;
  EXPECT_EQ(j.Str("a"), "x\"y\\z\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(j.Str("n"), "-12.50");
  EXPECT_EQ(j.Str("f"), "false");
  ASSERT_NE(j.Find("o"), nullptr);
  EXPECT_EQ(j.Find("o")->Find("b")->values.size(), 3u);
  EXPECT_FALSE(ParseJson(R"({"a":1,})", &j, &error));
  EXPECT_FALSE(ParseJson(R"({"a":1} x)", &j, &error));
  EXPECT_FALSE(ParseJson(R"({"a":1,"a":2})", &j, &error));
  EXPECT_EQ(PgTimestamp(At(0)), "2026-11-21 16:00:00.000000+00");
  Micros parsed = 0;
  ASSERT_TRUE(ParseTimestamp(PgTimestamp(At(1, 2, 3)), &parsed));
  EXPECT_EQ(parsed, At(1, 2, 3));
}

}  // namespace
}  // namespace walguard::rule_test

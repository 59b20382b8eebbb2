// Lookback and repeating commands (CONTRACT 3.1): an alert whose triggering
// row is older than its rule's lookback is historical (P4, "historical":
// true, no command) under historical_alerts = "report", silent under
// "suppress", a normal page under "page"; poll_payment_status repeats every
// repeat_seconds while its alert fires, with ids that a replay reproduces.
//
// Changes in, messages out, through the rule harness (which also checks every
// message against the message contract).
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/processors/rule_test_util.h"
#include "util/hash.h"

namespace walguard::rule_test {
namespace {

constexpr int64_t kHour = 60;  // minutes
constexpr int64_t kDay = 24 * kHour;
// The evaluation time of every boundary case: the lookbacks are measured back from it.
const Micros kNow = At(0);

// The one alert message of `fingerprint` among `messages`; nullopt when none or several.
std::optional<Message> AlertOf(const std::vector<Message>& messages, const std::string& fingerprint) {
  std::optional<Message> found;
  for (const Message& m : messages) {
    if (m.topic != Topic::kAlerts || m.key != fingerprint) continue;
    if (found) return std::nullopt;
    found = m;
  }
  return found;
}

std::vector<Message> CommandsOf(const std::vector<Message>& messages) {
  std::vector<Message> out;
  for (const Message& m : messages) {
    if (m.topic == Topic::kCommands) out.push_back(m);
  }
  return out;
}

// What one firing looked like.
struct Fired {
  bool fired = false;
  std::string severity;
  bool historical = false;
  size_t commands = 0;
};

Fired Outcome(const std::vector<Message>& messages, const std::string& fingerprint) {
  std::optional<Message> alert = AlertOf(messages, fingerprint);
  if (!alert || alert->json.Str("state") != "firing") return {};
  return {true, alert->json.Str("severity"), alert->json.Str("historical") == "true", CommandsOf(messages).size()};
}

Thresholds Mode(HistoricalAlerts mode) {
  Thresholds t;
  t.historical_alerts = mode;
  return t;
}

Change Payment(int n, const std::string& intent, std::string_view status, std::string_view method, Micros created,
               std::optional<Micros> succeeded = std::nullopt) {
  return InsertIn("reserve", "payments",
                  PaymentRow(PaymentId(n), intent, "stripe", method, status, "150.00", created, succeeded));
}
Change SetPayment(int n, Cols columns) {
  columns.insert(columns.begin(), Col("id", PaymentId(n)));
  return UpdateIn("reserve", "payments", std::move(columns));
}
Change Reservation(int n, const std::string& intent) {
  return InsertIn("reserve", "reservations",
                  ReservationRow(ReservationId(n), intent, UnitId(100 + n), Day(0), Day(2), "confirmed"));
}
Change Entry(int n, std::string_view direction, std::string amount, Micros created) {
  return InsertIn(
      "reserve", "ledger_entries",
      LedgerRow(LedgerEntryId(n), LedgerTxnId(1), "guest_receivable", direction, std::move(amount), created));
}
Change Webhook(int n, std::string_view status, Micros received) {
  return InsertIn("reserve", "processed_webhooks", WebhookRow(WebhookId(n), "stripe", status, received));
}

// The triggering rows of each lookback rule, with the triggering time `at`.
struct LookbackRule {
  std::string type;
  std::string entity_id;
  std::string severity;
  bool has_command;
  std::vector<Change> (*rows)(Micros at);
};

std::vector<Change> PaymentWithoutReservationRows(Micros at) {
  return {Payment(1, IntentId(1), "succeeded", "card", at - kMicrosPerMinute, at)};
}
std::vector<Change> DoubleChargeRows(Micros at) {
  return {Payment(1, IntentId(1), "succeeded", "card", at - kDay * kMicrosPerMinute, at - kDay * kMicrosPerMinute),
          Payment(2, IntentId(1), "succeeded", "card", at - kMicrosPerMinute, at), Reservation(1, IntentId(1))};
}
std::vector<Change> LedgerImbalanceRows(Micros at) {
  return {Entry(1, "debit", "100.00", at - kDay * kMicrosPerMinute), Entry(2, "credit", "90.00", at)};
}
std::vector<Change> WebhookFailuresRows(Micros at) {
  return {Webhook(1, "processing", at - kDay * kMicrosPerMinute), Webhook(2, "processing", at)};
}

std::vector<LookbackRule> LookbackRules() {
  return {{"payment_without_reservation", PaymentId(1), "P1", true, &PaymentWithoutReservationRows},
          {"double_charge", IntentId(1), "P2", true, &DoubleChargeRows},
          {"ledger_imbalance", LedgerTxnId(1), "P1", false, &LedgerImbalanceRows},
          {"webhook_failures", "stripe", "P1", false, &WebhookFailuresRows}};
}

Micros LookbackOf(const std::string& type) {
  const Thresholds t;
  if (type == "payment_without_reservation") return t.payment_without_reservation_lookback;
  if (type == "double_charge") return t.double_charge_lookback;
  if (type == "ledger_imbalance") return t.ledger_imbalance_lookback;
  return t.webhook_failures_lookback;
}

// ---------------------------------------------------------------------------
// The four lookbacks, each just inside and just outside.

TEST(Lookback, JustInsideTheLookbackPages) {
  for (const LookbackRule& rule : LookbackRules()) {
    SCOPED_TRACE(rule.type);
    RuleHarness h;
    const std::vector<Message> out = h.Run(Txn(kNow, rule.rows(kNow - LookbackOf(rule.type))));
    const Fired f = Outcome(out, Fingerprint(rule.type, rule.entity_id));
    EXPECT_TRUE(f.fired);
    EXPECT_EQ(f.severity, rule.severity);
    EXPECT_FALSE(f.historical);
    EXPECT_EQ(f.commands, rule.has_command ? 1u : 0u);
    EXPECT_TRUE(h.violations().empty()) << h.violations().front();
  }
}

TEST(Lookback, JustOutsideTheLookbackIsHistorical) {
  for (const LookbackRule& rule : LookbackRules()) {
    SCOPED_TRACE(rule.type);
    RuleHarness h;
    const std::vector<Message> out = h.Run(Txn(kNow, rule.rows(kNow - LookbackOf(rule.type) - 1)));
    const Fired f = Outcome(out, Fingerprint(rule.type, rule.entity_id));
    EXPECT_TRUE(f.fired);
    EXPECT_EQ(f.severity, "P4");
    EXPECT_TRUE(f.historical);
    EXPECT_EQ(f.commands, 0u);
    EXPECT_TRUE(h.violations().empty()) << h.violations().front();
  }
}

TEST(Lookback, ALookbackOfZeroIsNeverHistorical) {
  Thresholds t;
  t.payment_without_reservation_lookback = 0;
  RuleHarness h(t);
  const std::vector<Message> out =
      h.Run(Txn(kNow, PaymentWithoutReservationRows(kNow - 400 * kDay * kMicrosPerMinute)));
  const Fired f = Outcome(out, Fingerprint("payment_without_reservation", PaymentId(1)));
  EXPECT_TRUE(f.fired);
  EXPECT_FALSE(f.historical);
  EXPECT_EQ(f.commands, 1u);
}

// A stuck webhook ages past the lookback on the WAL clock alone; the one that
// already paged stays what it was, a newer stuck one keeps it recent.
TEST(Lookback, WebhookFailuresCountsOnlyAllOldStuckWebhooksAsHistorical) {
  RuleHarness h;
  const std::string fp = Fingerprint("webhook_failures", "stripe");
  // Old and stuck, and a failure burst inside the window: the burst is recent.
  std::vector<Change> rows = {Webhook(1, "processing", kNow - 2 * kDay * kMicrosPerMinute)};
  for (int n = 2; n <= 6; ++n) rows.push_back(Webhook(n, "failed", kNow - kMicrosPerMinute));
  Fired f = Outcome(h.Run(Txn(kNow, rows)), fp);
  EXPECT_TRUE(f.fired);
  EXPECT_FALSE(f.historical);
  // The burst leaves the window and the old one resolves: only now does a new firing see history alone.
  EXPECT_EQ(AlertOf(h.Run(Txn(At(20), {UpdateIn("reserve", "processed_webhooks",
                                                {Col("id", WebhookId(1)), Col("status", "completed")})})),
                    fp)
                ->json.Str("state"),
            "resolved");
  f = Outcome(h.Run(Txn(At(21), {Webhook(7, "processing", At(21) - 2 * kDay * kMicrosPerMinute)})), fp);
  EXPECT_TRUE(f.fired);
  EXPECT_TRUE(f.historical);
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

// ---------------------------------------------------------------------------
// Stays what it fired as.

TEST(Lookback, AHistoricalAlertStaysHistoricalUntilItResolves) {
  RuleHarness h;
  const std::string fp = Fingerprint("ledger_imbalance", LedgerTxnId(1));
  const Micros old = kNow - 8 * kDay * kMicrosPerMinute;
  const std::vector<Message> fired = h.Run(Txn(kNow, {Entry(1, "debit", "100.00", old)}));
  ASSERT_TRUE(Outcome(fired, fp).historical);
  // A new entry that leaves it unbalanced: no new firing, no repeat.
  EXPECT_TRUE(h.Run(Txn(At(1), {Entry(2, "credit", "10.00", At(1))})).empty());
  const std::vector<Message> resolved = h.Run(Txn(At(2), {Entry(3, "credit", "90.00", At(2))}));
  const std::optional<Message> r = AlertOf(resolved, fp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->json.Str("state"), "resolved");
  EXPECT_EQ(r->json.Str("severity"), "P4");
  EXPECT_EQ(r->json.Str("historical"), "true");
  EXPECT_EQ(r->json.Str("alert_id"), AlertOf(fired, fp)->json.Str("alert_id"));
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

TEST(Lookback, APageStaysAPageWhenItsRowAgesPastTheLookback) {
  RuleHarness h;
  const std::string fp = Fingerprint("payment_without_reservation", PaymentId(1));
  ASSERT_EQ(Outcome(h.Run(Txn(kNow, PaymentWithoutReservationRows(At(-10)))), fp).severity, "P1");
  EXPECT_TRUE(h.Run(Clock(At(2 * kDay))).empty());
  const std::optional<Message> r = AlertOf(h.Run(Txn(At(2 * kDay + 1), {Reservation(1, IntentId(1))})), fp);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->json.Str("state"), "resolved");
  EXPECT_EQ(r->json.Str("severity"), "P1");
  EXPECT_FALSE(r->json.Has("historical"));
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

// ---------------------------------------------------------------------------
// historical_alerts = report | suppress | page

TEST(Lookback, PageModePagesForOldRows) {
  for (const LookbackRule& rule : LookbackRules()) {
    SCOPED_TRACE(rule.type);
    RuleHarness h(Mode(HistoricalAlerts::kPage));
    const Fired f = Outcome(h.Run(Txn(kNow, rule.rows(kNow - 30 * kDay * kMicrosPerMinute))),
                            Fingerprint(rule.type, rule.entity_id));
    EXPECT_TRUE(f.fired);
    EXPECT_EQ(f.severity, rule.severity);
    EXPECT_FALSE(f.historical);
    EXPECT_EQ(f.commands, rule.has_command ? 1u : 0u);
  }
}

TEST(Lookback, SuppressModeSaysNothingForOldRows) {
  for (const LookbackRule& rule : LookbackRules()) {
    SCOPED_TRACE(rule.type);
    RuleHarness h(Mode(HistoricalAlerts::kSuppress));
    EXPECT_TRUE(h.Run(Txn(kNow, rule.rows(kNow - 30 * kDay * kMicrosPerMinute))).empty());
    EXPECT_TRUE(h.Run(Clock(At(3 * kDay))).empty());
    EXPECT_TRUE(h.firing().empty());
  }
}

// The same old rows never fire later; a new incident on the same entity pages.
TEST(Lookback, SuppressModeNeitherFiresLaterNorBlocksANewIncident) {
  RuleHarness h(Mode(HistoricalAlerts::kSuppress));
  const std::string fp = Fingerprint("ledger_imbalance", LedgerTxnId(1));
  const Micros old = kNow - 30 * kDay * kMicrosPerMinute;
  EXPECT_TRUE(h.Run(Txn(kNow, {Entry(1, "debit", "100.00", old)})).empty());
  EXPECT_TRUE(h.Run(Clock(At(kDay))).empty());
  EXPECT_TRUE(h.Run(Txn(At(kDay + 1), {UpdateIn("reserve", "ledger_entries",
                                                {Col("id", LedgerEntryId(1)), Col("amount", "120.00")})}))
                  .empty());
  const Fired f = Outcome(h.Run(Txn(At(kDay + 2), {Entry(2, "debit", "5.00", At(kDay + 2))})), fp);
  EXPECT_TRUE(f.fired);
  EXPECT_EQ(f.severity, "P1");
  EXPECT_FALSE(f.historical);
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

TEST(Lookback, ReportModeIsTheDefault) {
  EXPECT_EQ(Thresholds().historical_alerts, HistoricalAlerts::kReport);
}

// ---------------------------------------------------------------------------
// Repeating commands

// pix_pending fires at 30:01; repeats at 35:01, 40:01, 45:01 (ticks at 300 s).
std::vector<Step> PixSteps() {
  return {Txn(At(0), {Reservation(1, IntentId(1)), Payment(1, IntentId(1), "pending", "pix", At(0))}),
          Clock(At(30, 1)),
          Clock(At(35, 1)),
          Clock(At(40, 1)),
          Clock(At(45, 1)),
          Txn(At(46), {SetPayment(1, {Col("status", "failed")})}),
          Clock(At(50, 1)),
          Clock(At(60, 1))};
}

std::vector<std::vector<Message>> RunAll(RuleHarness* h, const std::vector<Step>& steps) {
  std::vector<std::vector<Message>> out;
  for (const Step& s : steps) out.push_back(h->Run(s));
  return out;
}

TEST(RepeatingCommands, PollRepeatsEveryIntervalUntilResolved) {
  RuleHarness h;
  const auto out = RunAll(&h, PixSteps());
  const std::string fp = Fingerprint("pix_pending", PaymentId(1));
  ASSERT_TRUE(Outcome(out[1], fp).fired);
  const std::string alert_id = AlertOf(out[1], fp)->json.Str("alert_id");
  ASSERT_EQ(CommandsOf(out[1]).size(), 1u);
  EXPECT_EQ(CommandsOf(out[1])[0].json.Str("command_id"), StableUuid(alert_id + "/poll_payment_status"));
  std::set<std::string> ids = {CommandsOf(out[1])[0].json.Str("command_id")};
  for (int n = 1; n <= 3; ++n) {
    SCOPED_TRACE(n);
    const std::vector<Message> commands = CommandsOf(out[1 + n]);
    ASSERT_EQ(out[1 + n].size(), 1u);
    ASSERT_EQ(commands.size(), 1u);
    const Json& c = commands[0].json;
    EXPECT_EQ(c.Str("type"), "poll_payment_status");
    EXPECT_EQ(c.Str("caused_by"), alert_id);
    EXPECT_EQ(c.Find("args")->Str("payment_id"), PaymentId(1));
    EXPECT_EQ(c.Str("command_id"), StableUuid(alert_id + "/poll_payment_status/" + std::to_string(n)));
    ids.insert(c.Str("command_id"));
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(AlertOf(out[5], fp)->json.Str("state"), "resolved");
  EXPECT_TRUE(CommandsOf(out[5]).empty());
  EXPECT_TRUE(out[6].empty());
  EXPECT_TRUE(out[7].empty());
  EXPECT_TRUE(h.violations().empty()) << h.violations().front();
}

TEST(RepeatingCommands, AReplayAndARestartIssueTheSameCommands) {
  RuleHarness first;
  const auto live = RunAll(&first, PixSteps());
  // A replay on fresh state.
  RuleHarness second;
  const auto replay = RunAll(&second, PixSteps());
  // A restart (new Engine over the same state) between every two steps.
  RuleHarness third;
  std::vector<std::vector<Message>> restarted;
  for (const Step& s : PixSteps()) {
    restarted.push_back(third.Run(s));
    third.Reload();
  }
  ASSERT_EQ(live.size(), replay.size());
  for (size_t i = 0; i < live.size(); ++i) {
    ASSERT_EQ(live[i].size(), replay[i].size()) << "step " << i;
    ASSERT_EQ(live[i].size(), restarted[i].size()) << "step " << i;
    for (size_t j = 0; j < live[i].size(); ++j) {
      EXPECT_EQ(live[i][j].payload, replay[i][j].payload);
      EXPECT_EQ(live[i][j].payload, restarted[i][j].payload);
    }
  }
}

TEST(RepeatingCommands, AGapIssuesOneRepeatNumberedByTheIntervalsElapsed) {
  RuleHarness h;
  const std::vector<Step> steps = PixSteps();
  const auto fired = h.Run(steps[0]);
  const auto first = h.Run(steps[1]);
  const std::string alert_id = AlertOf(first, Fingerprint("pix_pending", PaymentId(1)))->json.Str("alert_id");
  const std::vector<Message> late = CommandsOf(h.Run(Clock(At(52))));  // 21:59 later: four intervals
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].json.Str("command_id"), StableUuid(alert_id + "/poll_payment_status/4"));
  EXPECT_TRUE(h.Run(Clock(At(55))).empty());
  EXPECT_EQ(CommandsOf(h.Run(Clock(At(55, 1)))).size(), 1u);
  EXPECT_TRUE(fired.empty());
}

TEST(RepeatingCommands, StuckPaymentRepeatsToo) {
  RuleHarness h;
  h.Run(Txn(At(0), {Reservation(1, IntentId(1)), Payment(1, IntentId(1), "processing", "card", At(0))}));
  ASSERT_TRUE(Outcome(h.Run(Clock(At(60, 1))), Fingerprint("stuck_payment", PaymentId(1))).fired);
  EXPECT_EQ(CommandsOf(h.Run(Clock(At(65, 1)))).size(), 1u);
}

TEST(RepeatingCommands, ZeroTurnsThemOff) {
  Thresholds t;
  t.repeat_interval = 0;
  RuleHarness h(t);
  const auto out = RunAll(&h, PixSteps());
  EXPECT_EQ(CommandsOf(out[1]).size(), 1u);
  for (size_t i = 2; i < out.size(); ++i) EXPECT_TRUE(CommandsOf(out[i]).empty()) << "step " << i;
}

TEST(RepeatingCommands, OnlyRulesMarkedRepeatsRepeat) {
  RuleHarness h;
  const std::string fp = Fingerprint("payment_without_reservation", PaymentId(1));
  ASSERT_EQ(Outcome(h.Run(Txn(kNow, PaymentWithoutReservationRows(At(-10)))), fp).commands, 1u);
  EXPECT_TRUE(h.Run(Clock(At(30))).empty());
}

}  // namespace
}  // namespace walguard::rule_test

// A small DSL for rule tests: build source transactions of typed changes to
// the ticketing and reserve tables, run them (and clock ticks) through the Engine on a
// MemoryKv, and read back the emitted messages parsed.
//
// Every message the harness sees is also checked against the message
// contract (docs/reference.md section 4) and the alert lifecycle (section 3):
// fingerprint shape, severity and entity kind per type, no repeated firing,
// a resolved message repeating its firing's alert_id, the command of a
// firing with caused_by = alert_id, ... Breaches are collected in
// violations() rather than asserted, so each test decides how to report them.
//
// The DSL is in rule_test_util.cc, the harness in rule_harness.cc, the
// table-driven cases in rule_cases.cc; message_reader.h reads messages back.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/change.h"
#include "core/output.h"
#include "processors/engine.h"
#include "tests/support/memory_kv.h"
#include "tests/unit/processors/message_reader.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard::rule_test {

// ---------------------------------------------------------------------------
// Time. Row timestamps are written the way wal2json writes them
// ("2026-11-21 16:00:00.000000+00").

// 2026-11-21T16:00:00Z, the origin of every test timeline.
constexpr Micros kT0 = 1'795'276'800LL * kMicrosPerSecond;

// kT0 + minutes:seconds (+ micros); any part may be negative.
constexpr Micros At(int64_t minutes, int64_t seconds = 0, int64_t micros = 0) {
  return kT0 + minutes * kMicrosPerMinute + seconds * kMicrosPerSecond + micros;
}

std::string PgTimestamp(Micros t);

// ---------------------------------------------------------------------------
// Ids: uuid-shaped text, distinct per kind.

std::string EventId(int n);
std::string TierId(int n);
std::string HoldId(int n);
std::string OrderId(int n);
std::string ItemId(int n);
std::string TicketId(int n);
// reserve (runbook 002)
std::string PaymentId(int n);
std::string IntentId(int n);
std::string ReservationId(int n);
std::string UnitId(int n);
std::string LedgerEntryId(int n);
std::string LedgerTxnId(int n);
std::string WebhookId(int n);

// Dates as Postgres writes them: Day(0) is "2026-12-01", Day(n) n days later.
std::string Day(int n);

// ---------------------------------------------------------------------------
// Changes.

using Cols = std::vector<Datum>;

Datum Col(std::string name, std::string text);
Datum Col(std::string name, int64_t value);
Datum NullCol(std::string name);
Cols Id(const std::string& id);

// Full rows of the ticketing tables, with a few columns walguard does not
// read (name, price_cents, status, updated_at, ...) as a real table has.
Cols TierRow(const std::string& id, const std::string& event_id, int64_t quantity, int64_t reserved, int64_t issued,
             Micros updated_at = kT0);
Cols HoldRow(const std::string& id, const std::string& tier_id, int64_t quantity, std::string_view status,
             Micros expires_at);
Cols OrderRow(const std::string& id, const std::string& event_id, std::string_view status, int64_t total_cents,
              Micros created_at, std::optional<Micros> paid_at = std::nullopt);
Cols ItemRow(const std::string& id, const std::string& order_id, const std::string& tier_id, int64_t quantity,
             int64_t unit_price_cents);
Cols TicketRow(const std::string& id, const std::string& order_id, const std::string& tier_id, std::string_view status);

// Full rows of the reserve tables, with a few columns walguard does not read.
// `amount` is the raw numeric token, as wal2json writes it.
Cols PaymentRow(const std::string& id, const std::string& intent_id, std::string_view provider, std::string_view method,
                std::string_view status, std::string amount, Micros created_at,
                std::optional<Micros> succeeded_at = std::nullopt);
// check_in / check_out are date texts ("2026-12-01"), check_out exclusive.
Cols ReservationRow(const std::string& id, const std::string& intent_id, const std::string& unit_id,
                    std::string check_in, std::string check_out, std::string_view status);
Cols LedgerRow(const std::string& id, const std::string& transaction_id, std::string_view account,
               std::string_view direction, std::string amount, Micros created_at);
Cols CalendarRow(const std::string& unit_id, std::string date, int64_t allotment, int64_t bookings_count);
Cols WebhookRow(const std::string& id, std::string_view provider, std::string_view status, Micros received_at);
// The tables read only for alert context (CONTRACT 3.1).
Cols EventRow(const std::string& id, std::string title);
Cols BookingIntentRow(const std::string& id, const std::string& unit_id, std::string check_in, std::string check_out,
                      std::string_view status = "confirmed");

// `table` is a ticketing table name ("ticket_holds"); the *In forms take any schema.
Change Insert(std::string table, Cols columns);
Change InsertIn(std::string schema, std::string table, Cols columns);
// identity defaults to the new row's id, as wal2json writes it when the key
// is unchanged under REPLICA IDENTITY DEFAULT.
Change Update(std::string table, Cols columns, Cols identity = {});
Change UpdateIn(std::string schema, std::string table, Cols columns, Cols identity = {});
Change Delete(std::string table, Cols identity);
Change DeleteIn(std::string schema, std::string table, Cols identity);
Change Truncate(std::string table);
Change TruncateIn(std::string schema, std::string table);

// ---------------------------------------------------------------------------
// Steps.

struct Step {
  enum class Kind { kTxn, kClock };
  Kind kind = Kind::kTxn;
  Micros at = 0;  // commit time, or the clock tick
  std::vector<Change> changes;
};

Step Txn(Micros commit_time, std::vector<Change> changes);
Step Clock(Micros now);

// ---------------------------------------------------------------------------
// The rules as the contract's table states them.

struct RuleInfo {
  std::string_view type;
  std::string_view entity_kind;
  std::string_view severity;
  std::string_view command;        // "" when none
  bool requires_approval = false;  // of the command
};

// nullptr for a type the contract does not list.
const RuleInfo* FindRule(std::string_view type);
const std::vector<RuleInfo>& TicketingRules();
const std::vector<RuleInfo>& ReserveRules();
const std::vector<RuleInfo>& CronRules();  // CONTRACT 3.1: pg_cron

std::string Fingerprint(std::string_view type, std::string_view entity_id);

// ---------------------------------------------------------------------------
// The harness.

class RuleHarness {
 public:
  explicit RuleHarness(const Thresholds& thresholds = Thresholds());

  // Runs one step: a transaction gets the next LSN; a clock tick carries the
  // last one. Returns what it emitted, parsed, and checks it (violations()).
  // `lsn` forces the position (to replay a step exactly as before).
  std::vector<Message> Run(const Step& step, std::optional<Lsn> lsn = std::nullopt);

  // Parses messages emitted outside Run (snapshots) and checks them as the
  // output of a step at `at` / `lsn`.
  std::vector<Message> Accept(std::vector<OutMessage> out, Micros at, Lsn lsn);

  // A new Engine over the same state, as after a restart.
  void Reload();

  MemoryKv& kv() { return kv_; }
  Engine& engine() { return *engine_; }
  Lsn last_lsn() const { return lsn_; }
  // Every violation of the message contract seen so far, one line each.
  const std::vector<std::string>& violations() const { return violations_; }
  // fingerprint -> alert_id of what is firing now (per the messages seen).
  const std::map<std::string, std::string>& firing() const { return firing_; }

  // The LSN the next transaction gets, and the one given to the n-th (0-based).
  static Lsn LsnOf(int n) { return 0x16B3700 + static_cast<Lsn>(n + 1) * 0x100; }
  // Detected-at is derived from the step, so runs are reproducible.
  static Micros DetectedAt(Micros at) { return at + 10'000; }

 private:
  struct StepCheck;
  // Checks a step's messages against the contract; breaches go to violations().
  void Check(Micros at, Lsn lsn, const std::vector<Message>& messages);
  void CheckAlert(const Message& m, StepCheck* step);
  void CheckCommand(const Message& m, StepCheck* step);
  void Violation(const std::string& what);

  Thresholds thresholds_;
  MemoryKv kv_;
  std::unique_ptr<Engine> engine_;
  Lsn lsn_ = 0;
  int txns_ = 0;
  uint32_t xid_ = 700;
  std::map<std::string, std::string> firing_;
  std::map<std::string, std::string> used_alert_ids_;  // alert_id -> fingerprint
  std::set<std::string> repeated_command_ids_;
  std::vector<std::string> violations_;
};

// ---------------------------------------------------------------------------
// Table-driven rule cases: each case is a sequence of steps with the exact
// transitions, commands and dead letters each step must emit. (Used by the
// reserve rule tests; in a namespace of its own so that it cannot clash with
// the ticketing test's local equivalents.)

namespace cases {

using Figures = std::vector<std::pair<std::string, std::string>>;

struct Expect {
  std::string key;      // fingerprint (alerts, commands) or schema.table (dead letters)
  std::string summary;  // as Message::Summary()
  Figures details;      // alert details to check (string or number text)
  std::string reason;   // dead letters: part of the reason
};

Expect Fires(const std::string& type, const std::string& entity_id, Figures details = {});
Expect Resolves(const std::string& type, const std::string& entity_id);
Expect Command(const std::string& command, const std::string& alert_type, const std::string& entity_id, Figures args);
Expect DeadLetter(const std::string& qualified_table, std::string reason);

struct StepCase {
  Step step;
  std::vector<Expect> expect;
};

struct RuleCase {
  std::string name;
  std::vector<StepCase> steps;
  Thresholds thresholds = Thresholds();
};

void PrintTo(const RuleCase& c, std::ostream* os);

std::string Describe(const Step& s);

// Checks one step's messages against its expectations (gtest EXPECTs). Order
// within one key is part of the contract; across keys it is not.
void ExpectMessages(const std::vector<Message>& got, const std::vector<Expect>& want);

// Runs every step of the case, checks the expectations and the harness's
// contract checks, then replays the steps on fresh state and expects
// byte-identical messages (stable alert and command ids).
// `check`, when given, also sees every message the first run emits.
void RunCase(const RuleCase& c, const std::function<void(const Message&)>& check = nullptr);

// Alert types that fire / resolve somewhere in the cases.
void CoveredTypes(const std::vector<RuleCase>& all, std::set<std::string>* fired, std::set<std::string>* resolved);

Thresholds With(void (*set)(Thresholds*));

std::vector<Change> Cat(std::initializer_list<std::vector<Change>> parts);

}  // namespace cases

}  // namespace walguard::rule_test

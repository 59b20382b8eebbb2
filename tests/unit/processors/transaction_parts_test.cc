// A transaction applied in parts (Engine::BeginParts / ApplyPart /
// FinishParts, processors/transaction_parts.h) must leave the same state and
// emit the same messages, byte for byte and in the same order, as the same
// transaction applied whole (Engine::ApplyTransaction): the differential
// check of the spill path, over hand-written cases and generated ones, cut
// into parts of every small size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

// Runs steps through an Engine on a MemoryKv as RuleHarness does (same
// xids, LSNs and detected_at), transactions whole or in parts of
// `part_size` changes. What the parts keep under keys::kPartial is dropped
// after each transaction, as StateStore::DropPartial does.
class PartsRunner {
 public:
  explicit PartsRunner(size_t part_size) : part_size_(part_size), engine_(Thresholds()) {}

  std::vector<std::string> Run(const Step& step) {
    std::vector<OutMessage> out;
    Status s;
    if (step.kind == Step::Kind::kClock) {
      s = engine_.AdvanceClock(step.at, lsn_, &kv_, RuleHarness::DetectedAt(step.at), &out);
    } else {
      Transaction txn;
      txn.xid = ++xid_;
      lsn_ = RuleHarness::LsnOf(txns_++);
      txn.begin_lsn = lsn_ - 0x30;
      txn.end_lsn = lsn_;
      txn.commit_time = step.at;
      txn.changes = step.changes;
      Lsn change_lsn = lsn_ - 0xF0;
      for (Change& c : txn.changes) c.lsn = change_lsn++;
      s = part_size_ == 0 ? engine_.ApplyTransaction(txn, &kv_, RuleHarness::DetectedAt(step.at), &out)
                          : ApplyInParts(txn, &out);
    }
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string> messages;
    for (const OutMessage& m : out) {
      messages.push_back(std::to_string(static_cast<int>(m.topic)) + "|" + m.key + "|" + m.payload);
    }
    return messages;
  }

  // The state, without what the parts keep.
  std::vector<std::pair<std::string, std::string>> State() const {
    std::vector<std::pair<std::string, std::string>> state;
    for (const auto& [key, value] : kv_.data()) {
      if (!key.starts_with(keys::kPartial)) state.emplace_back(key, value);
    }
    return state;
  }

  int commits_asked() const { return commits_asked_; }

 private:
  Status ApplyInParts(const Transaction& txn, std::vector<OutMessage>* out) {
    Transaction header = txn;
    header.changes.clear();
    WG_RETURN_IF_ERROR(engine_.BeginParts(header, &kv_, RuleHarness::DetectedAt(txn.commit_time), out));
    for (size_t i = 0; i < txn.changes.size(); i += part_size_) {
      const size_t end = std::min(txn.changes.size(), i + part_size_);
      const std::vector<Change> part(txn.changes.begin() + static_cast<std::ptrdiff_t>(i),
                                     txn.changes.begin() + static_cast<std::ptrdiff_t>(end));
      WG_RETURN_IF_ERROR(engine_.ApplyPart(part, &kv_, out));
    }
    EXPECT_TRUE(engine_.in_parts());
    WG_RETURN_IF_ERROR(engine_.FinishParts(&kv_, RuleHarness::DetectedAt(txn.commit_time), out, [this] {
      ++commits_asked_;
      return Status::OK();
    }));
    EXPECT_FALSE(engine_.in_parts());
    std::vector<std::string> kept;
    for (const auto& [key, value] : kv_.data()) {
      if (key.starts_with(keys::kPartial)) kept.push_back(key);
    }
    for (const std::string& key : kept) kv_.Delete(key);
    return Status::OK();
  }

  size_t part_size_;
  MemoryKv kv_;
  Engine engine_;
  Lsn lsn_ = 0;
  int txns_ = 0;
  uint32_t xid_ = 700;
  int commits_asked_ = 0;
};

struct PartsCase {
  std::string name;
  std::vector<Step> steps;
};

void PrintTo(const PartsCase& c, std::ostream* os) {
  *os << c.name;
}

const std::string E1 = EventId(1);
const std::string T1 = TierId(1);
const std::string T2 = TierId(2);
const std::string U1 = UnitId(1);
const std::string U2 = UnitId(2);

Change Reservation(int n, const std::string& unit, int from, int to, std::string_view status = "confirmed") {
  return InsertIn("reserve", "reservations",
                  ReservationRow(ReservationId(n), IntentId(n), unit, Day(from), Day(to), status));
}

// A bulk load of holds on a tier whose reserved_quantity is not updated:
// tier_reserved_drift, judged once at the commit.
PartsCase BulkHolds() {
  std::vector<Change> holds;
  for (int n = 1; n <= 40; ++n)
    holds.push_back(Insert("ticket_holds", HoldRow(HoldId(n), n % 3 ? T1 : T2, 2, "active", At(30))));
  return {"BulkHoldsDriftTheTiers",
          {Txn(At(0), {Insert("events", Cols{Col("id", E1), Col("name", "e")}),
                       Insert("ticket_tiers", TierRow(T1, E1, 1000, 0, 0)),
                       Insert("ticket_tiers", TierRow(T2, E1, 1000, 0, 0))}),
           Txn(At(1), holds), Clock(At(40))}};
}

// Overlapping stays over two units, a calendar row changed in the middle,
// and cancellations that net some dates back to zero.
PartsCase Overbooking() {
  std::vector<Change> stays;
  for (int n = 1; n <= 12; ++n) stays.push_back(Reservation(n, n % 2 ? U1 : U2, n % 4, n % 4 + 3));
  stays.push_back(UpdateIn("reserve", "availability_calendar", CalendarRow(U1, Day(2), 3, 0),
                           Cols{Col("unit_id", U1), Col("date", Day(2))}));
  for (int n = 1; n <= 12; n += 3) {
    stays.push_back(UpdateIn(
        "reserve", "reservations",
        ReservationRow(ReservationId(n), IntentId(n), n % 2 ? U1 : U2, Day(n % 4), Day(n % 4 + 3), "cancelled")));
  }
  return {"OverbookingNettedAcrossParts",
          {Txn(At(0), {InsertIn("reserve", "availability_calendar", CalendarRow(U1, Day(2), 1, 0))}), Txn(At(1), stays),
           Txn(At(2), {Reservation(50, U1, 0, 9)})}};
}

// Rows walguard cannot use, a truncate in the middle, and deletes.
PartsCase DeadLettersAndTruncate() {
  std::vector<Change> changes;
  for (int n = 1; n <= 6; ++n) changes.push_back(Insert("ticket_holds", HoldRow(HoldId(n), T1, 1, "active", At(10))));
  changes.push_back(InsertIn("public", "not_monitored", Cols{Col("id", 1)}));
  changes.push_back(Insert("ticket_holds", Cols{Col("tier_id", T1)}));
  changes.push_back(Truncate("ticket_holds"));
  for (int n = 7; n <= 12; ++n) changes.push_back(Insert("ticket_holds", HoldRow(HoldId(n), T1, 1, "active", At(10))));
  changes.push_back(Delete("ticket_holds", Id(HoldId(8))));
  return {"DeadLettersAndATruncate",
          {Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 10, 0, 0))}), Txn(At(1), changes), Clock(At(20))}};
}

// A PIX payment left pending fires pix_pending, whose poll repeats every 5
// minutes; the big transaction comes after a repeat fell due, so it must
// send that repeat first, applied whole or in parts, and the next ones must
// follow on the clock.
PartsCase RepeatDueBeforeTheTransaction() {
  std::vector<Change> holds;
  for (int n = 1; n <= 8; ++n) holds.push_back(Insert("ticket_holds", HoldRow(HoldId(n), T1, 1, "active", At(60))));
  return {"ARepeatDueBeforeTheTransaction",
          {Txn(At(0), {Insert("ticket_tiers", TierRow(T1, E1, 100, 0, 0)),
                       InsertIn("reserve", "payments",
                                PaymentRow(PaymentId(1), IntentId(1), "openpix", "pix", "pending", "80.00", At(0)))}),
           Clock(At(30, 1)), Txn(At(41), holds), Clock(At(52))}};
}

// Generated: inserts, updates and deletes over a few ids of every kind of
// row, so that ids collide across parts; a fixed seed per case.
PartsCase Generated(unsigned seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<Step> steps;
  for (int t = 0; t < 4; ++t) {
    std::vector<Change> changes;
    const int size = 5 + pick(40);
    for (int i = 0; i < size; ++i) {
      const int id = 1 + pick(6);
      const Micros at = At(t * 5 + pick(5));
      switch (pick(8)) {
        case 0:
          changes.push_back(Insert("ticket_tiers", TierRow(TierId(id), E1, 5 + pick(10), pick(8), pick(4), at)));
          break;
        case 1:
          changes.push_back(Insert("ticket_holds", HoldRow(HoldId(id + 10 * t), TierId(1 + pick(3)), 1 + pick(3),
                                                           pick(3) ? "active" : "released", at + kMicrosPerMinute)));
          break;
        case 2:
          changes.push_back(
              Update("ticket_holds", HoldRow(HoldId(id), TierId(1 + pick(3)), 1 + pick(3), "converted", at)));
          break;
        case 3:
          changes.push_back(Delete("ticket_holds", Id(HoldId(id + 10 * pick(4)))));
          break;
        case 4:
          changes.push_back(Reservation(id, UnitId(1 + pick(3)), pick(5), 1 + pick(5) + pick(3),
                                        pick(4) ? "confirmed" : "cancelled"));
          break;
        case 5:
          changes.push_back(InsertIn("reserve", "availability_calendar",
                                     CalendarRow(UnitId(1 + pick(3)), Day(pick(6)), 1 + pick(2), pick(3))));
          break;
        case 6:
          changes.push_back(
              InsertIn("reserve", "ledger_entries",
                       LedgerRow(LedgerEntryId(id + 10 * t), LedgerTxnId(1 + pick(3)), pick(2) ? "cash" : "revenue",
                                 pick(2) ? "debit" : "credit", std::to_string(10 + pick(5)) + ".00", at)));
          break;
        default:
          changes.push_back(InsertIn("reserve", "payments",
                                     PaymentRow(PaymentId(id), IntentId(id), "stripe", "card",
                                                pick(2) ? "succeeded" : "failed", "80.00", at, at)));
          break;
      }
    }
    steps.push_back(Txn(At(t * 5 + 4), changes));
    if (pick(2)) steps.push_back(Clock(At(t * 5 + 4, 30)));
  }
  return {"Generated" + std::to_string(seed), steps};
}

std::vector<PartsCase> AllCases() {
  std::vector<PartsCase> all = {BulkHolds(), Overbooking(), DeadLettersAndTruncate(), RepeatDueBeforeTheTransaction()};
  for (unsigned seed = 1; seed <= 12; ++seed) all.push_back(Generated(seed));
  return all;
}

class TransactionPartsTest : public testing::TestWithParam<PartsCase> {};

TEST_P(TransactionPartsTest, PartsOfAnySizeEmitWhatTheWholeTransactionEmits) {
  const PartsCase& c = GetParam();
  PartsRunner whole(0);
  std::vector<std::vector<std::string>> expected;
  for (const Step& step : c.steps) expected.push_back(whole.Run(step));
  for (size_t part_size : {1, 2, 3, 7, 1000}) {
    SCOPED_TRACE("parts of " + std::to_string(part_size) + " changes");
    PartsRunner parts(part_size);
    for (size_t i = 0; i < c.steps.size(); ++i) EXPECT_EQ(parts.Run(c.steps[i]), expected[i]) << "step " << i + 1;
    EXPECT_EQ(parts.State(), whole.State());
    EXPECT_GT(parts.commits_asked(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, TransactionPartsTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<PartsCase>& info) { return info.param.name; });

// The cases are worth comparing only if they emit something: alerts, dead
// letters, both paths alike.
TEST(TransactionParts, TheHandWrittenCasesFireAlertsAndDeadLetters) {
  for (const PartsCase& c : {BulkHolds(), Overbooking(), DeadLettersAndTruncate(), RepeatDueBeforeTheTransaction()}) {
    PartsRunner whole(0);
    std::vector<std::string> all;
    for (const Step& step : c.steps) {
      for (std::string& m : whole.Run(step)) all.push_back(std::move(m));
    }
    EXPECT_THAT(all, Not(IsEmpty())) << c.name;
  }
  PartsRunner bulk(0);
  std::string drift;
  for (const Step& step : BulkHolds().steps) {
    for (const std::string& m : bulk.Run(step)) drift += m;
  }
  EXPECT_NE(drift.find("tier_reserved_drift"), std::string::npos);
  // The repeat case repeats at the big transaction and on the clock after it.
  PartsRunner pix(0);
  std::vector<std::string> polls;
  for (const Step& step : RepeatDueBeforeTheTransaction().steps) {
    std::string joined;
    for (const std::string& m : pix.Run(step)) joined += m;
    polls.push_back(joined);
  }
  ASSERT_EQ(polls.size(), 4u);
  EXPECT_NE(polls[1].find("poll_payment_status"), std::string::npos) << polls[1];
  EXPECT_NE(polls[2].find("poll_payment_status"), std::string::npos) << polls[2];
  EXPECT_NE(polls[3].find("poll_payment_status"), std::string::npos) << polls[3];
}

}  // namespace
}  // namespace walguard::rule_test

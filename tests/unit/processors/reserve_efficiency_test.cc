// The cost of occupancy in KV operations: a reservation occupies every date
// from check_in to check_out - 1, but changing a long stay by one night must
// touch only the dates whose count changes, not the whole stay.
//
// The Engine runs over a KvTxn that counts every Get, Put, Delete and Scan
// (and the entries scans visit) on its way to a MemoryKv.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "processors/engine.h"
#include "processors/occupancy.h"
#include "tests/support/memory_kv.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test {
namespace {

class CountingKv : public KvTxn {
 public:
  explicit CountingKv(KvTxn* inner) : inner_(inner) {}

  Status Get(std::string_view key, std::string* value) override {
    ++gets;
    return inner_->Get(key, value);
  }
  void Put(std::string_view key, std::string_view value) override {
    ++puts;
    inner_->Put(key, value);
  }
  void Delete(std::string_view key) override {
    ++deletes;
    inner_->Delete(key);
  }
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override {
    ++scans;
    return inner_->Scan(begin, end, [&](std::string_view k, std::string_view v) {
      ++scanned;
      return visit(k, v);
    });
  }

  int64_t ops() const { return gets + puts + deletes; }
  void Reset() { gets = puts = deletes = scans = scanned = 0; }
  std::string Report() const {
    return std::to_string(gets) + " gets, " + std::to_string(puts) + " puts, " + std::to_string(deletes) +
           " deletes, " + std::to_string(scans) + " scans visiting " + std::to_string(scanned) + " entries";
  }

  int64_t gets = 0, puts = 0, deletes = 0, scans = 0, scanned = 0;

 private:
  KvTxn* inner_;
};

const std::string U1 = UnitId(1);
constexpr int64_t kSmall = 40;  // "a small constant number of KV operations"

class OccupancyCostTest : public testing::Test {
 protected:
  // Applies one source transaction and returns what it emitted; the counters
  // then hold that transaction's KV operations.
  std::vector<OutMessage> Apply(Micros at, std::vector<Change> changes) {
    Transaction txn;
    txn.xid = ++xid_;
    lsn_ += 0x100;
    txn.begin_lsn = lsn_ - 0x30;
    txn.end_lsn = lsn_;
    txn.commit_time = at;
    txn.changes = std::move(changes);
    std::vector<OutMessage> out;
    kv_.Reset();
    Status s = engine_.ApplyTransaction(txn, &kv_, at, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  static Change InsRes(int n, int from, int to) {
    return InsertIn("reserve", "reservations",
                    ReservationRow(ReservationId(n), IntentId(n), U1, Day(from), Day(to), "confirmed"));
  }
  static Change MoveRes(int n, int from, int to) {
    return UpdateIn("reserve", "reservations",
                    {Col("id", ReservationId(n)), Col("check_in", Day(from)), Col("check_out", Day(to))});
  }

  int64_t CountOn(int day) {
    int32_t date = 0;
    EXPECT_TRUE(ParseDate(Day(day), &date));
    int64_t count = -1;
    EXPECT_TRUE(LoadDateCount(&mem_, U1, date, &count).ok());
    return count;
  }

  static std::vector<std::string> Summaries(const std::vector<OutMessage>& out) {
    std::vector<std::string> s;
    for (const OutMessage& m : out) s.push_back(std::to_string(static_cast<int>(m.topic)) + " " + m.key);
    return s;
  }

  MemoryKv mem_;
  CountingKv kv_{&mem_};
  Engine engine_{Thresholds()};
  Lsn lsn_ = 0x16B3700;
  uint32_t xid_ = 900;
};

TEST_F(OccupancyCostTest, CreatingAYearLongStayCostsInProportionToItsNights) {
  Apply(At(0), {InsRes(1, 0, 30)});
  const int64_t month = kv_.ops();
  Apply(At(1), {InsRes(2, 100, 465)});
  const int64_t year = kv_.ops();
  // Every one of the 365 dates is written at least once, but at a bounded cost each.
  EXPECT_GE(year, 365) << kv_.Report();
  EXPECT_LE(year, 20 * 365) << kv_.Report();
  EXPECT_GT(year, 6 * month) << "a 365-night stay should cost about 12x a 30-night one";
  EXPECT_EQ(CountOn(100), 1);
  EXPECT_EQ(CountOn(464), 1);
  EXPECT_EQ(CountOn(465), 0);
}

TEST_F(OccupancyCostTest, ShorteningOrExtendingAYearLongStayByOneNightIsCheap) {
  Apply(At(0), {InsRes(1, 0, 365)});
  ASSERT_EQ(CountOn(364), 1);

  EXPECT_TRUE(Apply(At(1), {MoveRes(1, 0, 364)}).empty());  // one night shorter
  EXPECT_LT(kv_.ops(), kSmall) << "shortening: " << kv_.Report();
  EXPECT_LT(kv_.scanned, kSmall) << "shortening: " << kv_.Report();
  EXPECT_EQ(CountOn(363), 1);
  EXPECT_EQ(CountOn(364), 0);

  EXPECT_TRUE(Apply(At(2), {MoveRes(1, 0, 366)}).empty());  // two nights longer
  EXPECT_LT(kv_.ops(), kSmall) << "extending: " << kv_.Report();
  EXPECT_LT(kv_.scanned, kSmall) << "extending: " << kv_.Report();
  EXPECT_EQ(CountOn(364), 1);
  EXPECT_EQ(CountOn(365), 1);
  EXPECT_EQ(CountOn(366), 0);

  EXPECT_TRUE(Apply(At(3), {MoveRes(1, 1, 367)}).empty());  // moved by one day
  EXPECT_LT(kv_.ops(), kSmall) << "moving: " << kv_.Report();
  EXPECT_EQ(CountOn(0), 0);
  EXPECT_EQ(CountOn(1), 1);
  EXPECT_EQ(CountOn(366), 1);
}

// A status change between active statuses leaves every date's count as it was.
TEST_F(OccupancyCostTest, StatusChangeBetweenActiveStatusesIsCheap) {
  Apply(At(0), {InsRes(1, 0, 365)});
  EXPECT_TRUE(
      Apply(At(1), {UpdateIn("reserve", "reservations", {Col("id", ReservationId(1)), Col("status", "checked_in")})})
          .empty());
  EXPECT_LT(kv_.ops(), kSmall) << kv_.Report();
  EXPECT_EQ(CountOn(0), 1);
  EXPECT_EQ(CountOn(364), 1);
}

// Still constant when the unit is overbooked on every one of those dates.
TEST_F(OccupancyCostTest, ShorteningStaysCheapWhileOverbooked) {
  const std::vector<OutMessage> fired = Apply(At(0), {InsRes(1, 0, 365), InsRes(2, 0, 365)});
  EXPECT_EQ(Summaries(fired).size(), 2u) << "overbooking firing and its command";

  EXPECT_TRUE(Apply(At(1), {MoveRes(2, 0, 364)}).empty());
  EXPECT_LT(kv_.ops(), kSmall) << kv_.Report();
  EXPECT_LT(kv_.scanned, kSmall) << kv_.Report();
  EXPECT_EQ(CountOn(364), 1);

  EXPECT_TRUE(Apply(At(2), {MoveRes(2, 0, 365)}).empty());
  EXPECT_LT(kv_.ops(), kSmall) << kv_.Report();

  // Shrinking the overlap to its last night keeps the unit overbooked: no message.
  EXPECT_TRUE(Apply(At(3), {MoveRes(2, 364, 365)}).empty());
  EXPECT_EQ(CountOn(363), 1);
  EXPECT_EQ(CountOn(364), 2);
}

}  // namespace
}  // namespace walguard::rule_test

// The firing set's hand-over facts: the historical mark and the pending
// repeat, their encoding, and how they are gathered from the state's keys.
#include "core/firing_alert.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/archive_record.h"
#include "core/key_layout.h"
#include "tests/support/memory_kv.h"
#include "tests/support/status_assert.h"

namespace walguard {
namespace {

FiringAlert Plain() {
  return {"stuck_payment:payment:p1", "id-1"};
}

FiringAlert Historical() {
  FiringAlert a{"ledger_unbalanced:ledger_transaction:t9", "id-2"};
  a.historical = true;
  return a;
}

FiringAlert Repeating() {
  FiringAlert a{"pix_pending:payment:p3", "id-3"};
  a.repeat = RepeatSchedule{1'700'000'600'000'000, 1'700'000'000'000'000, R"({"payment_id":"p3"})"};
  return a;
}

FiringAlert HistoricalAndRepeating() {
  FiringAlert a = Repeating();
  a.fingerprint = "pix_pending:payment:p4";
  a.alert_id = "id-4";
  a.historical = true;
  a.repeat->base = -5;  // varsint: a clock before 1970 still round-trips
  return a;
}

TEST(FiringFacts, RoundTripEveryCombination) {
  for (const FiringAlert& a : {Plain(), Historical(), Repeating(), HistoricalAndRepeating()}) {
    std::string bytes;
    PutFiringFacts(a, &bytes);
    bytes += "next";
    std::string_view in = bytes;
    FiringAlert back{a.fingerprint, a.alert_id, !a.historical, RepeatSchedule{1, 2, "stale"}};
    ASSERT_TRUE(GetFiringFacts(&in, &back)) << a.fingerprint;
    EXPECT_EQ(back, a);
    EXPECT_EQ(in, "next") << "facts consume exactly their bytes";
  }
}

TEST(FiringFacts, TruncatedOrUnknownFlagsAreRejected) {
  std::string bytes;
  PutFiringFacts(HistoricalAndRepeating(), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string_view in = std::string_view(bytes).substr(0, n);
    FiringAlert a;
    EXPECT_FALSE(GetFiringFacts(&in, &a)) << "cut at " << n;
  }
  std::string_view unknown = "\x04";
  FiringAlert a;
  EXPECT_FALSE(GetFiringFacts(&unknown, &a));
}

TEST(FiringFacts, SnapshotBeginRecordCarriesThem) {
  const std::vector<FiringAlert> handover = {Plain(), Historical(), Repeating(), HistoricalAndRepeating()};
  std::string bytes;
  EncodeSnapshotBeginRecord(77, 0x300, handover, &bytes);
  ArchiveRecord r;
  ASSERT_OK(DecodeArchiveRecord(bytes, &r));
  EXPECT_EQ(r.handover, handover);
}

TEST(FiringFacts, SnapshotBeginRecordWithoutThemIsOldAndPlain) {
  // As walguard wrote it before the facts: kind, clock, lsn, the list alone.
  std::string bytes;
  EncodeSnapshotBeginRecord(77, 0x300, {}, &bytes);
  bytes.pop_back();  // the count 0
  bytes += '\x01';
  bytes += '\x18';
  bytes += "stuck_payment:payment:p1";
  bytes += '\x04';
  bytes += "id-1";
  ArchiveRecord r;
  ASSERT_OK(DecodeArchiveRecord(bytes, &r));
  ASSERT_EQ(r.handover.size(), 1u);
  EXPECT_EQ(r.handover[0], Plain());
  EXPECT_FALSE(r.handover[0].historical);
  EXPECT_FALSE(r.handover[0].repeat.has_value());
}

Status ScanOf(MemoryKv* kv, std::string_view prefix, const KvTxn::Visitor& visit) {
  return ScanPrefix(kv, prefix, visit);
}

TEST(ListFiringSet, JoinsTheMarkAndTheAlertsOwnRepeat) {
  MemoryKv kv;
  const FiringAlert plain = Plain(), historical = Historical(), repeating = HistoricalAndRepeating();
  for (const FiringAlert& a : {plain, historical, repeating})
    kv.Put(std::string(1, keys::kFiring) + a.fingerprint, a.alert_id);
  kv.Put(std::string(1, keys::kHistorical) + historical.fingerprint, "");
  kv.Put(std::string(1, keys::kHistorical) + repeating.fingerprint, "");
  kv.Put(std::string(1, keys::kHistorical) + "gone:x:y", "");  // no alert: ignored
  const RepeatSchedule& r = *repeating.repeat;
  kv.Put(RepeatTimerKey(r.deadline, repeating.fingerprint),
         EncodeRepeatTimerValue({r.base, repeating.alert_id, r.command_args}));
  // Left by an earlier alert of the same fingerprint, which resolved: not this one's.
  kv.Put(RepeatTimerKey(r.deadline - 1, repeating.fingerprint), EncodeRepeatTimerValue({0, "id-old", "{}"}));
  kv.Put(RepeatTimerKey(r.deadline, plain.fingerprint), EncodeRepeatTimerValue({0, "id-older", "{}"}));

  std::vector<FiringAlert> set;
  ASSERT_OK(ListFiringSet([&](std::string_view p, const KvTxn::Visitor& v) { return ScanOf(&kv, p, v); }, &set));
  // In fingerprint order.
  ASSERT_EQ(set.size(), 3u);
  EXPECT_EQ(set[0], historical);
  EXPECT_EQ(set[1], repeating);
  EXPECT_EQ(set[2], plain);
}

TEST(ListFiringSet, KeepsWhatWasReadWhenAScanFails) {
  MemoryKv kv;
  kv.Put(std::string(1, keys::kFiring) + Plain().fingerprint, Plain().alert_id);
  std::vector<FiringAlert> set;
  Status s = ListFiringSet(
      [&](std::string_view p, const KvTxn::Visitor& v) {
        if (p[0] == keys::kHistorical) return Status::Corruption("damaged block");
        return ScanOf(&kv, p, v);
      },
      &set);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0], Plain());
}

TEST(ListFiringSet, OnlyItsThreeTagsChangeTheSet) {
  EXPECT_TRUE(IsFiringSetKey(std::string(1, keys::kFiring) + "a:b:c"));
  EXPECT_TRUE(IsFiringSetKey(std::string(1, keys::kHistorical) + "a:b:c"));
  EXPECT_TRUE(IsFiringSetKey(RepeatTimerKey(5, "a:b:c")));
  EXPECT_FALSE(IsFiringSetKey(std::string(1, keys::kTimer) + "x"));
  EXPECT_FALSE(IsFiringSetKey(""));
}

}  // namespace
}  // namespace walguard

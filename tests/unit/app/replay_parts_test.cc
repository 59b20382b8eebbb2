// A transaction the live run applied in parts is archived as kTransactionPart
// records and its kTransaction; the Replayer applies them in the same parts
// and emits what the whole transaction emits.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/replayer.h"
#include "core/archive_record.h"
#include "ingest/transaction_assembler.h"
#include "ingest/wal2json_decoder.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {
namespace {

// The fixture's transactions as the live pipeline archives them, with parts
// of `part_bytes` (0: whole).
std::vector<ArchiveRecord> Records(uint64_t part_bytes) {
  Wal2JsonDecoder decoder;
  TransactionAssembler assembler;
  assembler.set_part_bytes(part_bytes);
  std::vector<ArchiveRecord> records;
  std::istringstream in(kTierDriftWal);
  for (std::string line; std::getline(in, line);) {
    Record record;
    TransactionAssembler::Event event = TransactionAssembler::Event::kNone;
    if (line.empty() || !decoder.Decode(line, &record).ok()) continue;
    if (!assembler.Add(std::move(record), &event).ok()) continue;
    if (event != TransactionAssembler::Event::kPart && event != TransactionAssembler::Event::kTransaction) continue;
    ArchiveRecord r;
    r.kind = event == TransactionAssembler::Event::kPart ? ArchiveRecordKind::kTransactionPart
                                                         : ArchiveRecordKind::kTransaction;
    r.txn = assembler.transaction();
    records.push_back(std::move(r));
    if (event == TransactionAssembler::Event::kPart) assembler.ClearPart();
  }
  return records;
}

std::vector<std::string> Replay(const std::vector<ArchiveRecord>& records) {
  std::unique_ptr<Replayer> replayer;
  Status s = Replayer::Open(Thresholds(), &replayer);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<OutMessage> out;
  for (const ArchiveRecord& r : records) {
    s = replayer->Apply(r, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::vector<std::string> payloads;
  for (const OutMessage& m : out) payloads.push_back(m.key + " " + m.payload);
  return payloads;
}

TEST(ReplayParts, PartsReplayToTheMessagesOfTheWholeTransactions) {
  const std::vector<ArchiveRecord> whole = Records(0);
  const std::vector<ArchiveRecord> parted = Records(1);  // every change a part of its own
  int parts = 0;
  for (const ArchiveRecord& r : parted) parts += r.kind == ArchiveRecordKind::kTransactionPart ? 1 : 0;
  ASSERT_GE(parts, 3);
  ASSERT_EQ(parted.size(), whole.size() + static_cast<size_t>(parts));
  const std::vector<std::string> expected = Replay(whole);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(Replay(parted), expected);
}

TEST(ReplayParts, PartsNotFollowedByTheirCommitAreRefused) {
  std::vector<ArchiveRecord> parted = Records(1);
  ASSERT_EQ(parted[0].kind, ArchiveRecordKind::kTransactionPart);
  std::unique_ptr<Replayer> replayer;
  ASSERT_TRUE(Replayer::Open(Thresholds(), &replayer).ok());
  std::vector<OutMessage> out;
  ASSERT_TRUE(replayer->Apply(parted[0], &out).ok());
  ArchiveRecord tick;
  tick.kind = ArchiveRecordKind::kClockTick;
  tick.clock = kT0 + 3600 * kMicrosPerSecond;
  Status s = replayer->Apply(tick, &out);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace walguard

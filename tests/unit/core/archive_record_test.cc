#include "core/archive_record.h"

#include <gtest/gtest.h>

#include <string>

namespace walguard {
namespace {

Change SampleChange() {
  Change c;
  c.action = Action::kUpdate;
  c.schema = "ticketing";
  c.table = "ticket_tiers";
  c.columns = {{"id", "7f0c", false, TypeFamily::kUuid},
               {"quantity", "100", false, TypeFamily::kInteger},
               {"status", "", true, TypeFamily::kText}};
  c.identity = {{"id", "7f0c", false, TypeFamily::kUuid}};
  c.lsn = 0x16B3748;
  return c;
}

void ExpectSameChange(const Change& a, const Change& b) {
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.schema, b.schema);
  EXPECT_EQ(a.table, b.table);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t i = 0; i < a.columns.size(); ++i) {
    EXPECT_EQ(a.columns[i].name, b.columns[i].name);
    EXPECT_EQ(a.columns[i].text, b.columns[i].text);
    EXPECT_EQ(a.columns[i].is_null, b.columns[i].is_null);
    EXPECT_EQ(a.columns[i].type, b.columns[i].type);
  }
  ASSERT_EQ(a.identity.size(), b.identity.size());
  EXPECT_EQ(a.lsn, b.lsn);
  EXPECT_EQ(a.prefix, b.prefix);
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.transactional, b.transactional);
}

TEST(ArchiveRecord, TransactionRoundTrips) {
  Transaction txn;
  txn.xid = 4242;
  txn.begin_lsn = 0x100;
  txn.end_lsn = 0x200;
  txn.commit_time = -5;  // before 1970: the clock is signed
  txn.changes = {SampleChange(), SampleChange()};
  txn.changes[1].action = Action::kMessage;
  txn.changes[1].prefix = "walguard.heartbeat";
  txn.changes[1].content = "2026-12-03";
  txn.changes[1].transactional = true;
  std::string bytes;
  EncodeTransactionRecord(txn, &bytes);
  ArchiveRecord r;
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kTransaction);
  EXPECT_EQ(r.txn.xid, 4242u);
  EXPECT_EQ(r.txn.begin_lsn, 0x100u);
  EXPECT_EQ(r.Position(), 0x200u);
  EXPECT_EQ(r.Time(), -5);
  ASSERT_EQ(r.txn.changes.size(), 2u);
  for (size_t i = 0; i < 2; ++i) ExpectSameChange(txn.changes[i], r.txn.changes[i]);
}

// A part of a transaction applied in parts: the transaction's encoding
// under its own kind, with its header's position and time.
TEST(ArchiveRecord, TransactionPartRoundTrips) {
  Transaction part;
  part.xid = 77;
  part.begin_lsn = 0x100;
  part.end_lsn = 0x300;
  part.commit_time = 1234;
  part.changes = {SampleChange()};
  std::string bytes;
  EncodeTransactionPartRecord(part, &bytes);
  ASSERT_EQ(bytes[0], 'P');
  ArchiveRecord r;
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kTransactionPart);
  EXPECT_TRUE(r.IsTransaction());
  EXPECT_EQ(r.txn.xid, 77u);
  EXPECT_EQ(r.Position(), 0x300u);
  EXPECT_EQ(r.Time(), 1234);
  ASSERT_EQ(r.txn.changes.size(), 1u);
  ExpectSameChange(part.changes[0], r.txn.changes[0]);
  std::string again;
  EncodeArchiveRecord(r, &again);
  EXPECT_EQ(again, bytes);
}

TEST(ArchiveRecord, SnapshotAndClockRecordsRoundTrip) {
  std::string bytes;
  EncodeSnapshotBeginRecord(1'700'000'000'000'000, 0x300, {{"stuck_holds:tier:a", "id-1"}}, &bytes);
  ArchiveRecord r;
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kSnapshotBegin);
  EXPECT_EQ(r.Time(), 1'700'000'000'000'000);
  EXPECT_EQ(r.Position(), 0x300u);
  ASSERT_EQ(r.handover.size(), 1u);
  EXPECT_EQ(r.handover[0].fingerprint, "stuck_holds:tier:a");
  EXPECT_EQ(r.handover[0].alert_id, "id-1");

  bytes.clear();
  EncodeSnapshotRowRecord(SampleChange(), &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kSnapshotRow);
  ExpectSameChange(SampleChange(), r.row);

  bytes.clear();
  EncodeSnapshotEndRecord(0x300, &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kSnapshotEnd);
  EXPECT_EQ(r.Position(), 0x300u);

  bytes.clear();
  EncodeClockTickRecord(77, 0x400, &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kClockTick);
  EXPECT_EQ(r.Time(), 77);
  EXPECT_EQ(r.Position(), 0x400u);
}

TEST(ArchiveRecord, EncodeArchiveRecordMatchesTheStepEncoders) {
  ArchiveRecord r;
  r.kind = ArchiveRecordKind::kClockTick;
  r.clock = 9;
  r.lsn = 10;
  std::string a, b;
  EncodeArchiveRecord(r, &a);
  EncodeClockTickRecord(9, 10, &b);
  EXPECT_EQ(a, b);
}

TEST(ArchiveRecord, EveryTruncationIsCorruptionNeverACrash) {
  Transaction txn;
  txn.end_lsn = 0x200;
  txn.changes = {SampleChange()};
  std::string bytes;
  EncodeTransactionRecord(txn, &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    ArchiveRecord r;
    Status s = DecodeArchiveRecord(std::string_view(bytes).substr(0, n), &r);
    EXPECT_FALSE(s.ok()) << "prefix of " << n << " bytes decoded";
  }
}

TEST(ArchiveRecord, UnknownKindAndBadBytesAreCorruption) {
  ArchiveRecord r;
  EXPECT_EQ(DecodeArchiveRecord("Z", &r).code(), Status::Code::kCorruption);
  std::string bytes;
  EncodeSnapshotRowRecord(SampleChange(), &bytes);
  bytes[1] = '?';  // not an Action
  EXPECT_EQ(DecodeArchiveRecord(bytes, &r).code(), Status::Code::kCorruption);
}

TEST(ArchiveRecord, TrailingBytesOfALaterFormatAreIgnored) {
  std::string bytes;
  EncodeClockTickRecord(5, 6, &bytes);
  bytes += "future field";
  ArchiveRecord r;
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.Time(), 5);
}

TEST(ArchiveRecord, RecordsAddedAfterVersionOneRoundTrip) {
  std::string bytes;
  EncodeThresholdsRecord("rules.walguard.replication_lag_bytes = 5\n", &bytes);
  ArchiveRecord r;
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kThresholds);
  EXPECT_EQ(r.text, "rules.walguard.replication_lag_bytes = 5\n");
  EXPECT_EQ(r.Position(), 0u) << "thresholds have no place in the WAL";

  bytes.clear();
  EncodeOwnCheckRecord("replication_lag", 0x500, -7, std::string("\0body", 5), &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kOwnCheck);
  EXPECT_EQ(r.check, "replication_lag");
  EXPECT_EQ(r.Position(), 0x500u);
  EXPECT_EQ(r.Time(), -7);
  EXPECT_EQ(r.body, std::string("\0body", 5));

  bytes.clear();
  EncodeOwnMessageRecord({Topic::kDeadLetter, "undecodable", "{\"reason\":\"x\"}"}, 0x600, 8, &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kOwnMessage);
  EXPECT_EQ(r.Position(), 0x600u);
  EXPECT_EQ(r.Time(), 8);
  EXPECT_EQ(r.message.topic, Topic::kDeadLetter);
  EXPECT_EQ(r.message.key, "undecodable");
  EXPECT_EQ(r.message.payload, "{\"reason\":\"x\"}");
  bytes[4] = 9;  // the topic (after the kind, two bytes of lsn, one of clock): not a Topic
  EXPECT_EQ(DecodeArchiveRecord(bytes, &r).code(), Status::Code::kCorruption);

  ArchiveRecord checkpoint;
  checkpoint.kind = ArchiveRecordKind::kStateCheckpoint;
  checkpoint.lsn = 0x700;
  checkpoint.clock = 99;
  checkpoint.text = "t";
  checkpoint.state = {{"A1", "v1"}, {"Sclock", std::string("\x02", 1)}};
  bytes.clear();
  EncodeArchiveRecord(checkpoint, &bytes);
  ASSERT_TRUE(DecodeArchiveRecord(bytes, &r).ok());
  EXPECT_EQ(r.kind, ArchiveRecordKind::kStateCheckpoint);
  EXPECT_EQ(r.Position(), 0x700u);
  EXPECT_EQ(r.Time(), 99);
  EXPECT_EQ(r.text, "t");
  EXPECT_EQ(r.state, checkpoint.state);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeArchiveRecord(std::string_view(bytes).substr(0, n), &r).ok()) << n;
  }
}

}  // namespace
}  // namespace walguard

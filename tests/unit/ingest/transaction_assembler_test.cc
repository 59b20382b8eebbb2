#include "ingest/transaction_assembler.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ingest/wal2json_decoder.h"

namespace walguard {
namespace {

using Event = TransactionAssembler::Event;

Record Begin(uint32_t xid, Lsn lsn, Lsn next_lsn, Micros ts = 0) {
  Record r;
  r.kind = RecordKind::kBegin;
  r.xid = xid;
  r.lsn = lsn;
  r.next_lsn = next_lsn;
  r.timestamp = ts;
  return r;
}

Record Commit(uint32_t xid, Lsn lsn, Lsn next_lsn, Micros ts = 0) {
  Record r = Begin(xid, lsn, next_lsn, ts);
  r.kind = RecordKind::kCommit;
  return r;
}

Record Insert(uint32_t xid, std::string table, std::string id) {
  Record r;
  r.xid = xid;
  r.change.action = Action::kInsert;
  r.change.schema = "public";
  r.change.table = std::move(table);
  r.change.columns.push_back({"id", std::move(id), false});
  return r;
}

Record Message(uint32_t xid, bool transactional, std::string prefix) {
  Record r;
  r.xid = xid;
  r.change.action = Action::kMessage;
  r.change.transactional = transactional;
  r.change.prefix = std::move(prefix);
  r.change.content = "payload";
  return r;
}

void ExpectCorruption(const Status& s) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
}

class TransactionAssemblerTest : public testing::Test {
 protected:
  Status Add(Record r) { return assembler_.Add(std::move(r), &event_); }

  TransactionAssembler assembler_;
  Event event_ = Event::kNone;
};

TEST_F(TransactionAssemblerTest, AssemblesDecodedReferenceTransaction) {
  const std::string_view stream[] = {
      R"({"action":"B","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})",
      R"({"action":"U","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533630","schema":"public","table":"t_pk","columns":[{"name":"id","type":"integer","typeoid":23,"value":1},{"name":"a","type":"text","typeoid":25,"value":"y"}],"identity":[{"name":"id","type":"integer","typeoid":23,"value":1}],"pk":[{"name":"id","type":"integer","typeoid":23}]})",
      R"({"action":"M","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/15338C8","transactional":true,"prefix":"app","content":"in-tx"})",
      R"({"action":"C","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})",
  };
  Wal2JsonDecoder decoder;
  Record record;
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(decoder.Decode(stream[i], &record).ok()) << stream[i];
    ASSERT_TRUE(assembler_.Add(std::move(record), &event_).ok());
    EXPECT_EQ(event_, i == 3 ? Event::kTransaction : Event::kNone) << i;
  }
  EXPECT_FALSE(assembler_.in_transaction());
  const Transaction& t = assembler_.transaction();
  EXPECT_EQ(t.xid, 729u);
  EXPECT_EQ(t.begin_lsn, 0x1533CD0u);
  EXPECT_EQ(t.end_lsn, 0x1533D00u);
  EXPECT_EQ(t.commit_time, 1'795'278'937'595'003);
  ASSERT_EQ(t.changes.size(), 2u);
  EXPECT_EQ(t.changes[0].action, Action::kUpdate);
  EXPECT_EQ(t.changes[0].FindColumn("a")->text, "y");
  EXPECT_EQ(t.changes[0].FindIdentity("id")->text, "1");
  EXPECT_EQ(t.changes[1].action, Action::kMessage);
  EXPECT_EQ(t.changes[1].content, "in-tx");
}

TEST_F(TransactionAssemblerTest, CommitSetsEndLsnAndCommitTime) {
  ASSERT_TRUE(Add(Begin(5, 0x100, 0x180, 1000)).ok());
  EXPECT_TRUE(assembler_.in_transaction());
  EXPECT_EQ(event_, Event::kNone);
  ASSERT_TRUE(Add(Insert(5, "t", "1")).ok());
  ASSERT_TRUE(Add(Commit(5, 0x100, 0x200, 2000)).ok());
  EXPECT_EQ(event_, Event::kTransaction);
  EXPECT_EQ(assembler_.transaction().begin_lsn, 0x100u);
  EXPECT_EQ(assembler_.transaction().end_lsn, 0x200u);  // C's nextlsn wins
  EXPECT_EQ(assembler_.transaction().commit_time, 2000);
}

TEST_F(TransactionAssemblerTest, EmptyTransaction) {
  ASSERT_TRUE(Add(Begin(9, 0x10, 0x20)).ok());
  ASSERT_TRUE(Add(Commit(9, 0x10, 0x20)).ok());
  EXPECT_EQ(event_, Event::kTransaction);
  EXPECT_TRUE(assembler_.transaction().changes.empty());
  EXPECT_EQ(assembler_.transaction().end_lsn, 0x20u);
}

TEST_F(TransactionAssemblerTest, StandaloneMessageOutsideTransaction) {
  ASSERT_TRUE(Add(Message(0, false, "hb")).ok());
  EXPECT_EQ(event_, Event::kStandaloneMessage);
  EXPECT_EQ(assembler_.message().change.prefix, "hb");
  EXPECT_EQ(assembler_.message().change.content, "payload");
  EXPECT_FALSE(assembler_.in_transaction());
}

TEST_F(TransactionAssemblerTest, StandaloneMessageInsideTransactionLeavesItAlone) {
  ASSERT_TRUE(Add(Begin(7, 0x100, 0x200)).ok());
  ASSERT_TRUE(Add(Insert(7, "t", "1")).ok());
  ASSERT_TRUE(Add(Message(0, false, "hb")).ok());
  EXPECT_EQ(event_, Event::kStandaloneMessage);
  EXPECT_EQ(assembler_.message().change.prefix, "hb");
  EXPECT_TRUE(assembler_.in_transaction());
  ASSERT_TRUE(Add(Insert(7, "t", "2")).ok());
  ASSERT_TRUE(Add(Commit(7, 0x100, 0x200)).ok());
  EXPECT_EQ(event_, Event::kTransaction);
  const Transaction& t = assembler_.transaction();
  ASSERT_EQ(t.changes.size(), 2u);
  EXPECT_EQ(t.changes[0].FindColumn("id")->text, "1");
  EXPECT_EQ(t.changes[1].FindColumn("id")->text, "2");
}

TEST_F(TransactionAssemblerTest, CommitWithoutBegin) {
  ExpectCorruption(Add(Commit(3, 0x10, 0x20)));
  EXPECT_EQ(event_, Event::kNone);
  EXPECT_FALSE(assembler_.in_transaction());
}

TEST_F(TransactionAssemblerTest, BeginInsideOpenTransactionResets) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  ASSERT_TRUE(Add(Insert(1, "t", "1")).ok());
  Status s = Add(Begin(2, 0x30, 0x40));
  ExpectCorruption(s);
  EXPECT_NE(s.message().find("xid 1"), std::string::npos) << s.ToString();
  EXPECT_FALSE(assembler_.in_transaction());
  EXPECT_TRUE(assembler_.transaction().changes.empty());
  // The next transaction assembles cleanly.
  ASSERT_TRUE(Add(Begin(2, 0x30, 0x40)).ok());
  ASSERT_TRUE(Add(Commit(2, 0x30, 0x40)).ok());
  EXPECT_EQ(event_, Event::kTransaction);
  EXPECT_EQ(assembler_.transaction().xid, 2u);
  EXPECT_TRUE(assembler_.transaction().changes.empty());
}

TEST_F(TransactionAssemblerTest, CommitXidMismatch) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  ExpectCorruption(Add(Commit(2, 0x10, 0x20)));
  EXPECT_NE(event_, Event::kTransaction);
  EXPECT_FALSE(assembler_.in_transaction());
}

TEST_F(TransactionAssemblerTest, ChangeXidMismatch) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  ExpectCorruption(Add(Insert(2, "t", "1")));
  EXPECT_FALSE(assembler_.in_transaction());
  ExpectCorruption(Add(Commit(1, 0x10, 0x20)));
}

TEST_F(TransactionAssemblerTest, ChangesOutsideTransaction) {
  ExpectCorruption(Add(Insert(4, "t", "1")));
  EXPECT_FALSE(assembler_.in_transaction());
  ExpectCorruption(Add(Message(4, true, "app")));  // transactional M needs its B
}

TEST_F(TransactionAssemblerTest, ResetDropsPartialTransaction) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  ASSERT_TRUE(Add(Insert(1, "t", "1")).ok());
  assembler_.Reset();
  EXPECT_FALSE(assembler_.in_transaction());
  EXPECT_TRUE(assembler_.transaction().changes.empty());
  ExpectCorruption(Add(Commit(1, 0x10, 0x20)));
}

TEST_F(TransactionAssemblerTest, NewBeginClearsChangesButKeepsCapacity) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Add(Insert(1, "t", std::to_string(i))).ok());
  ASSERT_TRUE(Add(Commit(1, 0x10, 0x20)).ok());
  ASSERT_EQ(assembler_.transaction().changes.size(), 100u);
  size_t capacity = assembler_.transaction().changes.capacity();
  ASSERT_TRUE(Add(Begin(2, 0x30, 0x40)).ok());
  EXPECT_TRUE(assembler_.transaction().changes.empty());
  EXPECT_EQ(assembler_.transaction().changes.capacity(), capacity);
  EXPECT_EQ(assembler_.transaction().xid, 2u);
  EXPECT_EQ(assembler_.transaction().begin_lsn, 0x30u);
}

TEST_F(TransactionAssemblerTest, SerialTransactions) {
  for (uint32_t xid = 100; xid < 110; ++xid) {
    Lsn base = xid * 0x100;
    ASSERT_TRUE(Add(Begin(xid, base, base + 0x30)).ok());
    for (uint32_t i = 0; i < xid % 3; ++i) ASSERT_TRUE(Add(Insert(xid, "t", "x")).ok());
    ASSERT_TRUE(Add(Commit(xid, base, base + 0x30)).ok());
    ASSERT_EQ(event_, Event::kTransaction);
    EXPECT_EQ(assembler_.transaction().xid, xid);
    EXPECT_EQ(assembler_.transaction().changes.size(), xid % 3);
    EXPECT_EQ(assembler_.transaction().end_lsn, base + 0x30);
  }
}

TEST_F(TransactionAssemblerTest, MutableTransactionCanBeMovedOut) {
  ASSERT_TRUE(Add(Begin(1, 0x10, 0x20)).ok());
  ASSERT_TRUE(Add(Insert(1, "t", "1")).ok());
  ASSERT_TRUE(Add(Commit(1, 0x10, 0x20)).ok());
  std::vector<Change> taken = std::move(assembler_.mutable_transaction().changes);
  EXPECT_EQ(taken.size(), 1u);
  ASSERT_TRUE(Add(Begin(2, 0x30, 0x40)).ok());
  ASSERT_TRUE(Add(Insert(2, "t", "2")).ok());
  ASSERT_TRUE(Add(Commit(2, 0x30, 0x40)).ok());
  ASSERT_EQ(assembler_.transaction().changes.size(), 1u);
  EXPECT_EQ(assembler_.transaction().changes[0].FindColumn("id")->text, "2");
}

}  // namespace
}  // namespace walguard

namespace walguard {
namespace {

// Past the part size, the changes held are handed out as a part; the C
// hands out the rest, marked as parted, with C's header.
TEST(TransactionAssemblerParts, ALargeTransactionComesOutInPartsOfBoundedSize) {
  TransactionAssembler assembler;
  assembler.set_part_bytes(1000);
  Event event = Event::kNone;
  ASSERT_TRUE(assembler.Add(Begin(9, 0x100, 0x200, 5), &event).ok());
  std::vector<size_t> parts;
  size_t taken = 0;
  for (int n = 0; n < 50; ++n) {
    ASSERT_TRUE(assembler.Add(Insert(9, "t", "row" + std::to_string(n)), &event).ok());
    if (event == Event::kPart) {
      EXPECT_TRUE(assembler.parted());
      EXPECT_EQ(assembler.transaction().xid, 9u);
      EXPECT_EQ(assembler.transaction().end_lsn, 0x200u);
      EXPECT_EQ(assembler.transaction().changes.front().columns[0].text, "row" + std::to_string(taken));
      parts.push_back(assembler.transaction().changes.size());
      taken += parts.back();
      assembler.ClearPart();
    }
  }
  ASSERT_GE(parts.size(), 2u);
  for (size_t p : parts) EXPECT_EQ(p, parts.front());  // same-sized changes: same-sized parts
  ASSERT_TRUE(assembler.Add(Commit(9, 0x100, 0x200, 5), &event).ok());
  ASSERT_EQ(event, Event::kTransaction);
  EXPECT_TRUE(assembler.parted());
  EXPECT_EQ(taken + assembler.transaction().changes.size(), 50u);
  // The next transaction starts whole again.
  ASSERT_TRUE(assembler.Add(Begin(10, 0x300, 0x400), &event).ok());
  EXPECT_FALSE(assembler.parted());
}

TEST(TransactionAssemblerParts, WithoutAPartSizeATransactionStaysWhole) {
  TransactionAssembler assembler;
  Event event = Event::kNone;
  ASSERT_TRUE(assembler.Add(Begin(9, 0x100, 0x200), &event).ok());
  for (int n = 0; n < 2000; ++n) {
    ASSERT_TRUE(assembler.Add(Insert(9, "t", std::to_string(n)), &event).ok());
    ASSERT_EQ(event, Event::kNone);
  }
  ASSERT_TRUE(assembler.Add(Commit(9, 0x100, 0x200), &event).ok());
  EXPECT_EQ(event, Event::kTransaction);
  EXPECT_FALSE(assembler.parted());
  EXPECT_EQ(assembler.transaction().changes.size(), 2000u);
}

}  // namespace
}  // namespace walguard

// ReplicationClient and ReadSnapshot against a real PostgreSQL 15 + wal2json.
#include "ingest/replication_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <thread>

#include "ingest/snapshot.h"
#include "ingest/wal2json_decoder.h"
#include "tests/integration/environment.h"

namespace walguard::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kSchema[] =
    "CREATE SCHEMA ticketing;"
    "CREATE TABLE ticketing.ticket_holds (id int PRIMARY KEY, amount numeric(14,2),"
    "  expires_at timestamptz, note text);"
    "CREATE TABLE ticketing.audit_log (id int PRIMARY KEY, note text);";

TableSpec HoldsSpec() {
  return {"ticketing", "ticket_holds", {"id"}, {"id", "amount", "expires_at", "note"}};
}

// One streamed message, with the payload copied (Poll's view dies on the next Poll).
struct Received {
  StreamMessage::Kind kind;
  Lsn wal_start;
  Lsn wal_end;
  bool reply_requested;
  std::string payload;
};

class ReplicationClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = CreateTestDatabase();
    conninfo_ = SharedCluster().ConnInfo(db_);
    slot_ = db_;  // database names are unique and valid slot names
  }

  void TearDown() override {
    // Leftover slots would pin WAL for the rest of the run. A closed
    // client's walsender releases its slot asynchronously: retry a while.
    const std::string where = " FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'";
    std::string left = "1";
    for (int i = 0; i < 100 && left != "0"; ++i) {
      Status s =
          SharedCluster().Exec("postgres", "SELECT pg_drop_replication_slot(slot_name)" + where + " AND NOT active");
      EXPECT_TRUE(s.ok()) << s.ToString();
      s = SharedCluster().Exec("postgres", "SELECT count(*)" + where, &left);
      if (left != "0") std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(left, "0") << "slot " << slot_ << " still exists";
  }

  void Sql(const std::string& sql) {
    Status s = SharedCluster().Exec(db_, sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string Query(const std::string& sql) {
    std::string value;
    Status s = SharedCluster().Exec(db_, sql, &value);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  std::string SlotColumn(const std::string& column) {
    return Query("SELECT " + column + " FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'");
  }

  // Polls until `done(received)` holds, answering keepalives that ask for a
  // reply with `*ack` (when given). Fails the test on a stream error or timeout.
  void PollUntil(ReplicationClient* client, const std::function<bool(const std::vector<Received>&)>& done,
                 std::vector<Received>* received, std::chrono::milliseconds timeout = 20s, const Lsn* ack = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(*received)) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out; got " << received->size();
      StreamMessage m;
      Status s = client->Poll(200, &m);
      ASSERT_TRUE(s.ok()) << s.ToString();
      if (m.kind == StreamMessage::Kind::kNone) continue;
      received->push_back({m.kind, m.wal_start, m.wal_end, m.reply_requested, std::string(m.payload)});
      if (m.reply_requested && ack != nullptr) {
        ASSERT_TRUE(client->SendStatus(*ack).ok());
      }
    }
  }

  static std::function<bool(const std::vector<Received>&)> Commits(size_t n) {
    return [n](const std::vector<Received>& all) {
      size_t commits = 0;
      for (const Received& r : all) {
        commits += r.kind == StreamMessage::Kind::kXLogData && r.payload.find("\"action\":\"C\"") != std::string::npos;
      }
      return commits >= n;
    };
  }

  // Decodes the XLogData messages, checking each C's walStart is its nextlsn.
  std::vector<Record> Decode(const std::vector<Received>& received) {
    std::vector<Record> records;
    Wal2JsonDecoder decoder;
    for (const Received& r : received) {
      if (r.kind != StreamMessage::Kind::kXLogData) continue;
      Record rec;
      Status s = decoder.Decode(r.payload, &rec);
      EXPECT_TRUE(s.ok()) << s.ToString() << " in " << r.payload;
      if (rec.kind == RecordKind::kCommit) {
        EXPECT_EQ(r.wal_start, rec.next_lsn) << r.payload;
      }
      records.push_back(std::move(rec));
    }
    return records;
  }

  void CreateSlot(ReplicationClient* client, SlotInfo* info) {
    ASSERT_TRUE(client->Connect(conninfo_).ok());
    Status s = client->CreateSlot(slot_, info);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(info->slot_name, slot_);
    EXPECT_GT(info->consistent_point, 0u);
    EXPECT_FALSE(info->snapshot_name.empty());
  }

  std::string db_, conninfo_, slot_;
};

std::string Kinds(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) {
    out += r.kind == RecordKind::kBegin    ? 'B'
           : r.kind == RecordKind::kCommit ? 'C'
                                           : static_cast<char>(r.change.action);
  }
  return out;
}

TEST_F(ReplicationClientTest, ConnectAndIdentifySystem) {
  ReplicationClient client;
  Status s = client.Connect(conninfo_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  SystemInfo info;
  s = client.IdentifySystem(&info);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(info.system_id.empty());
  EXPECT_EQ(info.system_id, Query("SELECT system_identifier::text FROM pg_control_system()"));
  EXPECT_EQ(info.timeline, 1u);
  EXPECT_GT(info.xlog_pos, 0u);
  EXPECT_EQ(info.dbname, db_);
}

// The snapshot holds exactly what committed before the slot; the stream
// holds the rest, only for add-tables, in commit order.
TEST_F(ReplicationClientTest, SnapshotThenStreamWithoutGapOrOverlap) {
  Sql(kSchema);
  Sql("INSERT INTO ticketing.ticket_holds VALUES (1, 12345678901.23, '2026-01-31 10:00:00+00', 'before'),"
      " (2, 5.00, NULL, 'it''s \"quoted\"')");
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  // Committed after the slot but before the snapshot is read: stream only.
  Sql("INSERT INTO ticketing.ticket_holds VALUES (3, 1, NULL, 'after slot')");

  std::map<std::string, Change> rows;
  Status s = ReadSnapshot(conninfo_, slot.snapshot_name, {HoldsSpec()}, [&](Change&& c) {
    rows[c.FindColumn("id")->text] = std::move(c);
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["1"].FindColumn("amount")->text, "12345678901.23");
  EXPECT_EQ(rows["1"].table, "ticket_holds");
  EXPECT_EQ(rows["2"].FindColumn("amount")->text, "5.00");
  EXPECT_TRUE(rows["2"].FindColumn("expires_at")->is_null);
  EXPECT_EQ(rows["2"].FindColumn("note")->text, "it's \"quoted\"");

  Sql("INSERT INTO ticketing.audit_log VALUES (1, 'filtered out')");
  Sql("BEGIN; INSERT INTO ticketing.audit_log VALUES (2, 'x');"
      " INSERT INTO ticketing.ticket_holds VALUES (4, 99.5, now(), 'streamed');"
      " SELECT pg_logical_emit_message(true, 'other', 'not requested'); COMMIT");
  s = client.StartReplication(slot_, slot.consistent_point, {{"ticketing.ticket_holds"}, ""});
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<Received> received;
  ASSERT_NO_FATAL_FAILURE(PollUntil(&client, Commits(3), &received));
  std::vector<Record> records = Decode(received);
  // The audit_log-only transaction still yields an empty B/C pair.
  EXPECT_EQ(Kinds(records), "BICBCBIC");
  std::vector<std::string> ids;
  for (const Record& r : records) {
    if (r.kind != RecordKind::kChange) continue;
    EXPECT_EQ(r.change.schema, "ticketing");
    EXPECT_EQ(r.change.table, "ticket_holds");
    ids.push_back(r.change.FindColumn("id")->text);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"3", "4"}));
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(records[6].change.FindColumn("amount")->text, "99.50");
  EXPECT_LT(records[2].next_lsn, records[7].next_lsn);
  s = client.Finish();
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// Acknowledging C's nextlsn moves confirmed_flush_lsn there, keepalives that
// ask for a reply are answered, and a restart does not resend the transaction.
TEST_F(ReplicationClientTest, StatusUpdateAdvancesConfirmedFlush) {
  Sql(kSchema);
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  client.Close();
  // A short wal_sender_timeout makes the server ask for replies within a second.
  ASSERT_TRUE(client.Connect(conninfo_ + " options='-c wal_sender_timeout=2s'").ok());
  Sql("INSERT INTO ticketing.ticket_holds VALUES (1, 2, NULL, 'x')");
  Sql("SELECT pg_logical_emit_message(false, 'hb', 'tick'); SELECT pg_logical_emit_message(false, 'no', 'x')");
  Status s = client.StartReplication(slot_, slot.consistent_point, {{"ticketing.ticket_holds"}, "hb"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<Received> received;
  ASSERT_NO_FATAL_FAILURE(PollUntil(
      &client,
      [](const std::vector<Received>& all) {
        return !all.empty() && all.back().payload.find("\"prefix\":\"hb\"") != std::string::npos;
      },
      &received));
  std::vector<Record> records = Decode(received);
  ASSERT_EQ(Kinds(records), "BICM");
  EXPECT_EQ(records[3].change.content, "tick");
  const Lsn ack = records[2].next_lsn;

  // Unanswered, the server would drop us after 2 s; poll past that.
  std::vector<Received> later;
  auto started = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(PollUntil(
      &client,
      [&](const std::vector<Received>& all) {
        bool asked = false;
        for (const Received& r : all) asked |= r.kind == StreamMessage::Kind::kKeepalive && r.reply_requested;
        return asked && std::chrono::steady_clock::now() - started > 3s;
      },
      &later, 20s, &ack));
  for (const Received& r : later) {
    if (r.kind == StreamMessage::Kind::kKeepalive) {
      EXPECT_GE(r.wal_end, ack);
    }
  }
  ASSERT_TRUE(client.SendStatus(ack).ok());
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (SlotColumn("confirmed_flush_lsn") != FormatLsn(ack) && std::chrono::steady_clock::now() < deadline) {
    StreamMessage m;
    ASSERT_TRUE(client.Poll(100, &m).ok());
  }
  EXPECT_EQ(SlotColumn("confirmed_flush_lsn"), FormatLsn(ack));
  ASSERT_TRUE(client.Finish().ok());
  client.Close();

  // 0/0 means "from confirmed_flush": the acknowledged transaction is not resent.
  Sql("INSERT INTO ticketing.ticket_holds VALUES (2, 3, NULL, 'y')");
  ASSERT_TRUE(client.Connect(conninfo_).ok());
  for (int attempt = 0; attempt < 100; ++attempt) {  // the old walsender may hold the slot a moment
    s = client.StartReplication(slot_, 0, {{"ticketing.ticket_holds"}, ""});
    if (!s.IsUnavailable()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(s.ok()) << s.ToString();
  received.clear();
  ASSERT_NO_FATAL_FAILURE(PollUntil(&client, Commits(1), &received));
  records = Decode(received);
  ASSERT_EQ(Kinds(records), "BIC");
  EXPECT_EQ(records[1].change.FindColumn("id")->text, "2");
}

TEST_F(ReplicationClientTest, StartOnDroppedSlotIsFatal) {
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  bool exists = false;
  ASSERT_TRUE(client.SlotExists(slot_, &exists).ok());
  EXPECT_TRUE(exists);
  Status s = client.DropSlot(slot_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(client.SlotExists(slot_, &exists).ok());
  EXPECT_FALSE(exists);
  s = client.StartReplication(slot_, slot.consistent_point, {{"ticketing.ticket_holds"}, ""});
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_NE(s.message().find(slot_), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("--resnapshot"), std::string::npos) << s.ToString();
}

// max_slot_wal_keep_size invalidates a lagging slot at checkpoint; reading
// from it afterwards must be Fatal, not a retryable error.
TEST_F(ReplicationClientTest, StartOnInvalidatedSlotIsFatal) {
  Sql("CREATE TABLE filler (x text)");
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  // ALTER SYSTEM refuses to run inside the implicit block of a multi-statement string.
  Sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  Sql("SELECT pg_reload_conf()");
  std::string wal_status;
  for (int i = 0; i < 50 && wal_status != "lost"; ++i) {
    Sql("INSERT INTO filler SELECT repeat('x', 100) FROM generate_series(1, 100)");
    Sql("SELECT pg_switch_wal()");
    Sql("CHECKPOINT");
    wal_status = SlotColumn("wal_status");
    if (wal_status != "lost") std::this_thread::sleep_for(100ms);
  }
  Sql("ALTER SYSTEM RESET max_slot_wal_keep_size");
  Sql("SELECT pg_reload_conf()");
  ASSERT_EQ(wal_status, "lost");
  Status s = client.StartReplication(slot_, slot.consistent_point, {{"public.filler"}, ""});
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_NE(s.message().find("invalidated"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("--resnapshot"), std::string::npos) << s.ToString();
}

// wal2json drops UPDATEs it cannot identify and says so in a WARNING.
TEST_F(ReplicationClientTest, NoticesAreKept) {
  Sql("CREATE TABLE nopk (id int, v text); INSERT INTO nopk VALUES (1, 'a')");
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  Sql("UPDATE nopk SET v = 'b'");
  Sql("INSERT INTO nopk VALUES (2, 'c')");
  ASSERT_TRUE(client.StartReplication(slot_, slot.consistent_point, {{"public.nopk"}, ""}).ok());
  std::vector<Received> received;
  ASSERT_NO_FATAL_FAILURE(PollUntil(&client, Commits(2), &received));
  EXPECT_EQ(Kinds(Decode(received)), "BCBIC");
  std::string notices = client.TakeNotices();
  EXPECT_NE(notices.find("UPDATE"), std::string::npos) << notices;
  EXPECT_NE(notices.find("nopk"), std::string::npos) << notices;
  EXPECT_EQ(client.TakeNotices(), "");
}

// add-tables entries are escaped for wal2json's list syntax and the
// replication grammar's quoting: names with '.', ',', ' ', '*' and quotes
// work (the schema is split off at the first '.', so it may not hold one).
TEST_F(ReplicationClientTest, AddTablesHandlesOddNames) {
  Sql("CREATE SCHEMA \"o'dd s\"; CREATE TABLE \"o'dd s\".\"we.i, r*d\" (id int PRIMARY KEY);"
      "CREATE TABLE \"o'dd s\".\"we\" (id int PRIMARY KEY)");
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  Sql("INSERT INTO \"o'dd s\".\"we\" VALUES (1); INSERT INTO \"o'dd s\".\"we.i, r*d\" VALUES (2)");
  Status s = client.StartReplication(slot_, slot.consistent_point, {{"o'dd s.we.i, r*d"}, ""});
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<Received> received;
  ASSERT_NO_FATAL_FAILURE(PollUntil(&client, Commits(1), &received));
  std::vector<Record> records = Decode(received);
  ASSERT_EQ(Kinds(records), "BIC");
  EXPECT_EQ(records[1].change.schema, "o'dd s");
  EXPECT_EQ(records[1].change.table, "we.i, r*d");
}

TEST_F(ReplicationClientTest, SnapshotNamesMissingTablesAndColumns) {
  Sql(kSchema);
  ReplicationClient client;
  SlotInfo slot;
  ASSERT_NO_FATAL_FAILURE(CreateSlot(&client, &slot));
  auto ignore = [](Change&&) { return Status::OK(); };
  TableSpec bad_column = HoldsSpec();
  bad_column.columns.push_back("nope");
  Status s = ReadSnapshot(conninfo_, slot.snapshot_name, {bad_column}, ignore);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("column ticketing.ticket_holds.nope does not exist"), std::string::npos) << s.ToString();
  TableSpec bad_table{"ticketing", "nope", {"id"}, {"id"}};
  s = ReadSnapshot(conninfo_, slot.snapshot_name, {bad_table}, ignore);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("table ticketing.nope does not exist"), std::string::npos) << s.ToString();
  s = ReadSnapshot(conninfo_, "00000003-00000001-1", {HoldsSpec()}, ignore);
  EXPECT_TRUE(s.IsFatal()) << s.ToString();
}

TEST_F(ReplicationClientTest, PasswordNeverInErrors) {
  const std::vector<std::string> conninfos = {
      "host=127.0.0.1 port=1 user=bob password=secret dbname=x connect_timeout=5",
      "host=127.0.0.1 port=1 user=bob password = 'sec ret\\'secret' dbname=x",
      "postgresql://bob:secret@127.0.0.1:1/x?connect_timeout=5",
      "postgresql://bob@127.0.0.1:1/x?password=secret",
      "postgresql://bob:sec%zzret@127.0.0.1:1/x",  // malformed: libpq would quote it
      "host=127.0.0.1 password='secret",
  };
  for (const std::string& conninfo : conninfos) {
    ReplicationClient client;
    Status s = client.Connect(conninfo);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message().find("zzret"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find("secret"), std::string::npos) << s.ToString();
    EXPECT_EQ(s.message().find("sec ret"), std::string::npos) << s.ToString();
    s = ReadSnapshot(conninfo, "x", {}, [](Change&&) { return Status::OK(); });
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.message().find("secret"), std::string::npos) << s.ToString();
  }
  EXPECT_EQ(RedactConninfo("host=a password='s e\\'cret' user=b"), "host=a user=b");
  EXPECT_EQ(RedactConninfo("postgresql://u:secret@h:5/db?password=secret&sslmode=disable"),
            "postgresql://u@h:5/db?sslmode=disable");
  EXPECT_EQ(AddConnOption("postgresql://h/db", "options", "-c a=b"), "postgresql://h/db?options=-c%20a%3Db");
  EXPECT_EQ(AddConnOption("postgresql://h/db?x=1", "k", "v"), "postgresql://h/db?x=1&k=v");
  EXPECT_EQ(AddConnOption("host=h", "options", "-c a='b'"), "host=h options='-c a=\\'b\\''");
  EXPECT_EQ(AddConnOption("host=h options='-c x=1'", "options", "-c a=b"),
            "host=h options='-c x=1' options='-c x=1 -c a=b'");
}

}  // namespace
}  // namespace walguard::testing

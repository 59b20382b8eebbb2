#include "ingest/wal2json_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace walguard {
namespace {

// Records as wal2json 2.5 wrote them in the reference lab runs (section 1.3 of
// wal2json-and-replication-protocol.md); the elided "…" parts are filled in
// with values of the same shape.
constexpr std::string_view kBegin =
    R"({"action":"B","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})";
constexpr std::string_view kUpdate =
    R"({"action":"U","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533630","schema":"public","table":"t_pk","columns":[{"name":"id","type":"integer","typeoid":23,"value":1},{"name":"a","type":"text","typeoid":25,"value":"y"}],"identity":[{"name":"id","type":"integer","typeoid":23,"value":1}],"pk":[{"name":"id","type":"integer","typeoid":23}]})";
constexpr std::string_view kCommit =
    R"({"action":"C","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})";
constexpr std::string_view kInsert =
    R"({"action":"I","xid":730,"timestamp":"2026-11-21 16:35:38.000001+00","lsn":"0/1533E10","schema":"public","table":"t_nopk","columns":[{"name":"id","type":"integer","typeoid":23,"value":1},{"name":"a","type":"text","typeoid":25,"value":"x"}],"pk":[]})";
constexpr std::string_view kDelete =
    R"({"action":"D","xid":731,"timestamp":"2026-11-21 16:35:39.000001+00","lsn":"0/1534000","schema":"public","table":"t_pk","identity":[{"name":"id","type":"integer","typeoid":23,"value":2}],"pk":[{"name":"id","type":"integer","typeoid":23}]})";
constexpr std::string_view kTruncate =
    R"({"action":"T","xid":737,"timestamp":"2026-11-21 16:35:40.000001+00","lsn":"0/1536180","schema":"public","table":"t_nopk"})";
constexpr std::string_view kHeartbeat =
    R"({"action":"M","xid":null,"timestamp":null,"lsn":"0/1535888","transactional":false,"prefix":"hb","content":"tick"})";
constexpr std::string_view kTxMessage =
    R"({"action":"M","xid":736,"timestamp":"2026-11-21 16:35:39.500000+00","lsn":"0/15358C8","transactional":true,"prefix":"app","content":"in-tx"})";

// 2026-11-21T16:35:37.595003Z.
constexpr Micros kCommitTime = 1'795'278'937'595'003;

class Wal2JsonDecoderTest : public testing::Test {
 protected:
  Record MustDecode(std::string_view json) {
    Record r;
    Status s = decoder_.Decode(json, &r);
    EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << json;
    return r;
  }

  Wal2JsonDecoder decoder_;
};

void ExpectDatum(const Datum* d, std::string_view text) {
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->is_null) << d->name;
  EXPECT_EQ(d->text, text) << d->name;
}

TEST_F(Wal2JsonDecoderTest, BeginAndCommit) {
  for (std::string_view json : {kBegin, kCommit}) {
    Record r = MustDecode(json);
    EXPECT_EQ(r.kind, json == kBegin ? RecordKind::kBegin : RecordKind::kCommit);
    EXPECT_EQ(r.xid, 729u);
    EXPECT_EQ(r.timestamp, kCommitTime);
    EXPECT_EQ(r.lsn, 0x1533CD0u);
    EXPECT_EQ(r.next_lsn, 0x1533D00u);
  }
}

TEST_F(Wal2JsonDecoderTest, Update) {
  Record r = MustDecode(kUpdate);
  EXPECT_EQ(r.kind, RecordKind::kChange);
  EXPECT_EQ(r.xid, 729u);
  EXPECT_EQ(r.lsn, 0x1533630u);
  const Change& c = r.change;
  EXPECT_EQ(c.action, Action::kUpdate);
  EXPECT_EQ(c.schema, "public");
  EXPECT_EQ(c.table, "t_pk");
  EXPECT_EQ(c.lsn, 0x1533630u);
  ASSERT_EQ(c.columns.size(), 2u);
  EXPECT_EQ(c.columns[0].name, "id");
  ExpectDatum(c.FindColumn("id"), "1");
  ExpectDatum(c.FindColumn("a"), "y");
  ASSERT_EQ(c.identity.size(), 1u);
  ExpectDatum(c.FindIdentity("id"), "1");
}

TEST_F(Wal2JsonDecoderTest, InsertDeleteTruncate) {
  Record ins = MustDecode(kInsert);
  EXPECT_EQ(ins.change.action, Action::kInsert);
  EXPECT_EQ(ins.change.table, "t_nopk");
  ASSERT_EQ(ins.change.columns.size(), 2u);
  ExpectDatum(ins.change.FindColumn("a"), "x");
  EXPECT_TRUE(ins.change.identity.empty());

  Record del = MustDecode(kDelete);
  EXPECT_EQ(del.change.action, Action::kDelete);
  EXPECT_TRUE(del.change.columns.empty());
  ASSERT_EQ(del.change.identity.size(), 1u);
  ExpectDatum(del.change.FindIdentity("id"), "2");

  Record trunc = MustDecode(kTruncate);
  EXPECT_EQ(trunc.change.action, Action::kTruncate);
  EXPECT_EQ(trunc.xid, 737u);
  EXPECT_EQ(trunc.change.schema, "public");
  EXPECT_EQ(trunc.change.table, "t_nopk");
  EXPECT_EQ(trunc.change.lsn, 0x1536180u);
  EXPECT_TRUE(trunc.change.columns.empty());
}

TEST_F(Wal2JsonDecoderTest, Messages) {
  Record hb = MustDecode(kHeartbeat);
  EXPECT_EQ(hb.kind, RecordKind::kChange);
  EXPECT_EQ(hb.change.action, Action::kMessage);
  EXPECT_EQ(hb.xid, 0u);
  EXPECT_EQ(hb.timestamp, 0);
  EXPECT_FALSE(hb.change.transactional);
  EXPECT_EQ(hb.change.prefix, "hb");
  EXPECT_EQ(hb.change.content, "tick");
  EXPECT_EQ(hb.change.lsn, 0x1535888u);

  Record tx = MustDecode(kTxMessage);
  EXPECT_EQ(tx.xid, 736u);
  EXPECT_TRUE(tx.change.transactional);
  EXPECT_EQ(tx.change.prefix, "app");
  EXPECT_EQ(tx.change.content, "in-tx");
}

TEST_F(Wal2JsonDecoderTest, NumbersKeepTheirRawToken) {
  // numeric columns arrive as bare JSON numbers; a double would lose digits.
  const struct {
    const char* token;
    const char* want;
  } cases[] = {
      {"12345678901.23", "12345678901.23"},
      {"0.10", "0.10"},
      {"-5", "-5"},
      {"0", "0"},
      {"-0.00", "-0.00"},
      {"1234567890123456789012345678.1234567890", "1234567890123456789012345678.1234567890"},
      {"99999999999999999999999999999999999999", "99999999999999999999999999999999999999"},
      {"18446744073709551616", "18446744073709551616"},  // 2^64
      {"1.2345678901234567e+20", "1.2345678901234567e+20"},
      {"5E-324", "5E-324"},
      {"0.10 ", "0.10"},
      {" \n\t0.10\r\n ", "0.10"},
  };
  for (const auto& c : cases) {
    std::string json = R"({"action":"I","schema":"s","table":"t","columns":[{"name":"n","value":)" +
                       std::string(c.token) + R"(},{"name":"m","value":)" + c.token + "}]}";
    Record r = MustDecode(json);
    ASSERT_EQ(r.change.columns.size(), 2u) << json;
    ExpectDatum(r.change.FindColumn("n"), c.want);
    ExpectDatum(r.change.FindColumn("m"), c.want);
  }
}

TEST_F(Wal2JsonDecoderTest, StringsBoolsAndNulls) {
  Record r = MustDecode(R"({"action":"I","schema":"s\u00e9","table":"t","columns":[)"
                        R"({"name":"s","value":"it\"s a \\ \u00e9 \ud83d\ude00\n\ttab"},)"
                        R"({"name":"num_as_text","value":"0.10"},)"
                        R"({"name":"empty","value":""},)"
                        R"({"name":"yes","value":true},{"name":"no","value":false},)"
                        R"({"name":"nothing","value":null},)"
                        R"({"name":"bytes","type":"bytea","value":"deadbeef"}]})");
  EXPECT_EQ(r.change.schema, "s\xc3\xa9");
  ExpectDatum(r.change.FindColumn("s"), "it\"s a \\ \xc3\xa9 \xf0\x9f\x98\x80\n\ttab");
  ExpectDatum(r.change.FindColumn("num_as_text"), "0.10");
  ExpectDatum(r.change.FindColumn("empty"), "");
  ExpectDatum(r.change.FindColumn("yes"), "true");
  ExpectDatum(r.change.FindColumn("no"), "false");
  ExpectDatum(r.change.FindColumn("bytes"), "deadbeef");
  const Datum* nothing = r.change.FindColumn("nothing");
  ASSERT_NE(nothing, nullptr);
  EXPECT_TRUE(nothing->is_null);
  EXPECT_EQ(nothing->text, "");
}

TEST_F(Wal2JsonDecoderTest, UnchangedToastColumnIsAbsent) {
  // An UPDATE that leaves an out-of-line value alone omits the column.
  Record r = MustDecode(R"({"action":"U","xid":740,"lsn":"0/1540000","schema":"public","table":"docs",)"
                        R"("columns":[{"name":"id","value":7},{"name":"title","value":"new"}],)"
                        R"("identity":[{"name":"id","value":7}]})");
  EXPECT_EQ(r.change.columns.size(), 2u);
  EXPECT_EQ(r.change.FindColumn("body"), nullptr);
  ExpectDatum(r.change.FindColumn("title"), "new");

  // An explicit SET body = NULL is a present column with a null value.
  Record set_null = MustDecode(R"({"action":"U","schema":"public","table":"docs","columns":[{"name":"id","value":7},)"
                               R"({"name":"body","value":null}],"identity":[{"name":"id","value":7}]})");
  ASSERT_NE(set_null.change.FindColumn("body"), nullptr);
  EXPECT_TRUE(set_null.change.FindColumn("body")->is_null);
}

TEST_F(Wal2JsonDecoderTest, KeyChangeUpdateKeepsOldKeyInIdentity) {
  Record r = MustDecode(R"({"action":"U","xid":741,"lsn":"0/1541000","schema":"public","table":"t_pk",)"
                        R"("columns":[{"name":"id","value":2},{"name":"a","value":"z"}],)"
                        R"("identity":[{"name":"id","value":1}]})");
  ExpectDatum(r.change.FindColumn("id"), "2");
  ExpectDatum(r.change.FindIdentity("id"), "1");
  EXPECT_EQ(r.change.FindIdentity("a"), nullptr);
}

TEST_F(Wal2JsonDecoderTest, KeysInAnyOrder) {
  Record r = MustDecode(R"({"pk":[],"identity":[{"value":5,"name":"id"}],"table":"t","nextlsn":"0/0",)"
                        R"("columns":[{"value":"v","type":"text","name":"c"}],"schema":"s","lsn":"1/2",)"
                        R"("origin":3,"timestamp":"2026-11-21T16:35:37.595003Z","xid":12,"action":"U"})");
  EXPECT_EQ(r.change.action, Action::kUpdate);
  EXPECT_EQ(r.xid, 12u);
  EXPECT_EQ(r.lsn, 0x100000002u);
  EXPECT_EQ(r.timestamp, kCommitTime);
  EXPECT_EQ(r.change.schema, "s");
  EXPECT_EQ(r.change.table, "t");
  ExpectDatum(r.change.FindColumn("c"), "v");
  ExpectDatum(r.change.FindIdentity("id"), "5");

  Record b = MustDecode(R"({"nextlsn":"0/20","lsn":"0/10","action":"B","xid":1})");
  EXPECT_EQ(b.kind, RecordKind::kBegin);
  EXPECT_EQ(b.next_lsn, 0x20u);
}

TEST_F(Wal2JsonDecoderTest, WhitespaceAndUnknownFieldsAreTolerated) {
  Record r = MustDecode(
      "{ \"action\" : \"I\" ,\n \"schema\" : \"s\", \"table\":\"t\", \"future\": {\"x\": [1, 2, "
      "{}]},\n \"columns\" : [ { \"name\" : \"n\" , \"optional\": true, \"position\": 1, "
      "\"default\": null, \"value\" : 12.50 } ] }\n");
  ExpectDatum(r.change.FindColumn("n"), "12.50");
}

TEST_F(Wal2JsonDecoderTest, ReuseResetsTheRecord) {
  Record r;
  ASSERT_TRUE(decoder_.Decode(kUpdate, &r).ok());
  ASSERT_TRUE(decoder_.Decode(kTruncate, &r).ok());
  EXPECT_EQ(r.change.action, Action::kTruncate);
  EXPECT_TRUE(r.change.columns.empty());
  EXPECT_TRUE(r.change.identity.empty());
  ASSERT_TRUE(decoder_.Decode(kHeartbeat, &r).ok());
  EXPECT_EQ(r.xid, 0u);
  EXPECT_TRUE(r.change.schema.empty());
  ASSERT_TRUE(decoder_.Decode(kBegin, &r).ok());
  EXPECT_EQ(r.kind, RecordKind::kBegin);
  EXPECT_TRUE(r.change.prefix.empty());
  EXPECT_FALSE(r.change.transactional);
}

TEST_F(Wal2JsonDecoderTest, LargePayloadThenSmallOne) {
  // Grows the padded buffer well past its first size, then reuses it.
  std::string big(4 << 20, 'q');
  std::string json = R"({"action":"I","schema":"s","table":"t","columns":[{"name":"big","value":")" + big + R"("}]})";
  Record r = MustDecode(json);
  ASSERT_NE(r.change.FindColumn("big"), nullptr);
  EXPECT_EQ(r.change.FindColumn("big")->text.size(), big.size());
  Record small = MustDecode(kInsert);
  EXPECT_EQ(small.change.table, "t_nopk");
}

TEST_F(Wal2JsonDecoderTest, DecodesFromUnpaddedSlices) {
  // libpq hands out exactly n bytes; the decoder must never read past them.
  std::string stream = std::string(kBegin) + std::string(kUpdate);
  std::string_view view = stream;
  Record r;
  ASSERT_TRUE(decoder_.Decode(view.substr(0, kBegin.size()), &r).ok());
  EXPECT_EQ(r.kind, RecordKind::kBegin);
  ASSERT_TRUE(decoder_.Decode(view.substr(kBegin.size()), &r).ok());
  EXPECT_EQ(r.change.action, Action::kUpdate);
}

TEST_F(Wal2JsonDecoderTest, RowJson) {
  Change c;
  c.identity.push_back({"stale", "x", false});
  Status s =
      decoder_.DecodeRowJson(R"({"id":42,"amount":12345678901.23,"rate":0.10,"note":"a\"b","flag":true,"gone":null,)"
                             R"("ts":"2026-11-21T16:35:37.595003+00:00","tags":[1, 2],"doc":{"k": "v"}})",
                             "public", "accounts", &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.action, Action::kInsert);
  EXPECT_EQ(c.schema, "public");
  EXPECT_EQ(c.table, "accounts");
  EXPECT_TRUE(c.identity.empty());
  ASSERT_EQ(c.columns.size(), 9u);
  const char* order[] = {"id", "amount", "rate", "note", "flag", "gone", "ts", "tags", "doc"};
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(c.columns[i].name, order[i]);
  ExpectDatum(c.FindColumn("id"), "42");
  ExpectDatum(c.FindColumn("amount"), "12345678901.23");
  ExpectDatum(c.FindColumn("rate"), "0.10");
  ExpectDatum(c.FindColumn("note"), "a\"b");
  ExpectDatum(c.FindColumn("flag"), "true");
  EXPECT_TRUE(c.FindColumn("gone")->is_null);
  ExpectDatum(c.FindColumn("ts"), "2026-11-21T16:35:37.595003+00:00");
  ExpectDatum(c.FindColumn("tags"), "[1, 2]");
  ExpectDatum(c.FindColumn("doc"), R"({"k": "v"})");

  Change empty;
  ASSERT_TRUE(decoder_.DecodeRowJson("{}", "public", "t", &empty).ok());
  EXPECT_TRUE(empty.columns.empty());
}

TEST_F(Wal2JsonDecoderTest, RowJsonErrors) {
  const char* bad[] = {
      "", "[]", "42", R"({"a":1)", R"({"a":1}x)", R"({"a":01})", R"({"a":tru})", "{\"a\":\"\xff\"}", R"({"a":1,})"};
  for (const char* json : bad) {
    Change c;
    Status s = decoder_.DecodeRowJson(json, "s", "t", &c);
    EXPECT_FALSE(s.ok()) << json;
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << json;
  }
}

}  // namespace
}  // namespace walguard

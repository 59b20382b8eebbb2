// Column types (Datum::type) from wal2json's "typeoid" and "type", and bad
// records in a stream: each fails alone with a clear Corruption, and the
// records after it decode and assemble as if it had not been there.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ingest/transaction_assembler.h"
#include "ingest/type_family.h"
#include "ingest/wal2json_decoder.h"

namespace walguard {
namespace {

// Captured from PostgreSQL 15 + wal2json 2.5 with walguard's options
// (include-types=0, include-type-oids=1) on
//   CREATE DOMAIN dint AS integer; CREATE TYPE mood AS ENUM ('a','b');
//   CREATE TABLE t (id int PRIMARY KEY, q int, d dint, m mood, big text);
// after ALTER TABLE t ALTER COLUMN q TYPE bigint, then TYPE text.
constexpr std::string_view kAfterWidening =
    R"({"action":"I","xid":733,"schema":"public","table":"t","columns":[{"name":"id","typeoid":23,"value":4},{"name":"qq","typeoid":20,"value":2},{"name":"d","typeoid":16385,"value":"3"},{"name":"m","typeoid":16387,"value":"a"},{"name":"big","typeoid":25,"value":"y"}]})";
constexpr std::string_view kAfterRetypeToText =
    R"({"action":"U","xid":736,"schema":"public","table":"t","columns":[{"name":"id","typeoid":23,"value":1},{"name":"qq","typeoid":25,"value":"2"},{"name":"d","typeoid":16385,"value":"9"},{"name":"m","typeoid":16387,"value":"a"},{"name":"big","typeoid":25,"value":"y"}],"identity":[{"name":"id","typeoid":23,"value":1}]})";

std::vector<TypeFamily> Types(const std::vector<Datum>& data) {
  std::vector<TypeFamily> out;
  for (const Datum& d : data) out.push_back(d.type);
  return out;
}

TEST(Wal2JsonTypes, TypeOidsOfARealStream) {
  Wal2JsonDecoder decoder;
  Record r;
  ASSERT_TRUE(decoder.Decode(kAfterWidening, &r).ok());
  EXPECT_EQ(Types(r.change.columns),
            (std::vector<TypeFamily>{TypeFamily::kInteger, TypeFamily::kInteger, TypeFamily::kUserDefined,
                                     TypeFamily::kUserDefined, TypeFamily::kText}));
  EXPECT_EQ(r.change.columns[2].text, "3");  // a domain over integer is written as a string
  ASSERT_TRUE(decoder.Decode(kAfterRetypeToText, &r).ok());
  EXPECT_EQ(r.change.columns[1].type, TypeFamily::kText);
  EXPECT_EQ(r.change.columns[1].text, "2");
  EXPECT_EQ(Types(r.change.identity), std::vector<TypeFamily>{TypeFamily::kInteger});
}

TEST(Wal2JsonTypes, EveryFamilyByOid) {
  const std::vector<std::pair<int64_t, TypeFamily>> cases = {
      {21, TypeFamily::kInteger},        {23, TypeFamily::kInteger},
      {20, TypeFamily::kInteger},        {1700, TypeFamily::kNumeric},
      {700, TypeFamily::kFloat},         {701, TypeFamily::kFloat},
      {25, TypeFamily::kText},           {1043, TypeFamily::kText},
      {1042, TypeFamily::kText},         {19, TypeFamily::kText},
      {2950, TypeFamily::kUuid},         {1184, TypeFamily::kTimestampTz},
      {1114, TypeFamily::kTimestamp},    {1082, TypeFamily::kDate},
      {16, TypeFamily::kBoolean},        {114, TypeFamily::kJson},
      {3802, TypeFamily::kJson},         {17, TypeFamily::kOther},
      {1007, TypeFamily::kOther},        {1186, TypeFamily::kOther},
      {16384, TypeFamily::kUserDefined}, {-2147483000, TypeFamily::kUserDefined},
  };
  for (const auto& [oid, family] : cases) EXPECT_EQ(TypeFamilyOfOid(oid), family) << oid;
}

TEST(Wal2JsonTypes, EveryFamilyByName) {
  const std::vector<std::pair<std::string_view, TypeFamily>> cases = {
      {"integer", TypeFamily::kInteger},
      {"bigint", TypeFamily::kInteger},
      {"smallint", TypeFamily::kInteger},
      {"numeric(14,2)", TypeFamily::kNumeric},
      {"numeric", TypeFamily::kNumeric},
      {"text", TypeFamily::kText},
      {"character varying(30)", TypeFamily::kText},
      {"character varying", TypeFamily::kText},
      {"character(10)", TypeFamily::kText},
      {"citext", TypeFamily::kText},
      {"uuid", TypeFamily::kUuid},
      {"timestamp with time zone", TypeFamily::kTimestampTz},
      {"timestamp(3) with time zone", TypeFamily::kTimestampTz},
      {"timestamp without time zone", TypeFamily::kTimestamp},
      {"date", TypeFamily::kDate},
      {"boolean", TypeFamily::kBoolean},
      {"json", TypeFamily::kJson},
      {"jsonb", TypeFamily::kJson},
      {"double precision", TypeFamily::kFloat},
      {"integer[]", TypeFamily::kOther},
      {"bytea", TypeFamily::kOther},
      {"bit varying(20)", TypeFamily::kOther},
      {"time without time zone", TypeFamily::kOther},
      {"mood", TypeFamily::kUserDefined},
      {"public.mood", TypeFamily::kUserDefined},
      {"textual", TypeFamily::kUserDefined},
      {"numeric(14,2", TypeFamily::kUserDefined},
  };
  for (const auto& [name, family] : cases) EXPECT_EQ(TypeFamilyOfName(name), family) << name;
}

TEST(Wal2JsonTypes, AnOidWinsOverANameAndNoTypeIsUnknown) {
  Wal2JsonDecoder decoder;
  Record r;
  const std::string_view json = R"j({"action":"I","schema":"s","table":"t","columns":[)j"
                                R"j({"name":"a","type":"text","typeoid":23,"value":1},)j"
                                R"j({"name":"b","typeoid":23,"type":"text","value":1},)j"
                                R"j({"name":"c","type":"numeric(14,2)","value":1.50},)j"
                                R"j({"name":"d","value":"x"}]})j";
  ASSERT_TRUE(decoder.Decode(json, &r).ok());
  EXPECT_EQ(Types(r.change.columns), (std::vector<TypeFamily>{TypeFamily::kInteger, TypeFamily::kInteger,
                                                              TypeFamily::kNumeric, TypeFamily::kUnknown}));
  // Snapshot rows carry no types.
  Change row;
  ASSERT_TRUE(decoder.DecodeRowJson(R"({"id":1,"q":"x"})", "s", "t", &row).ok());
  EXPECT_EQ(Types(row.columns), (std::vector<TypeFamily>{TypeFamily::kUnknown, TypeFamily::kUnknown}));
}

TEST(Wal2JsonTypes, AMalformedTypeIsCorruption) {
  Wal2JsonDecoder decoder;
  Record r;
  for (std::string_view bad : {
           R"({"action":"I","schema":"s","table":"t","columns":[{"name":"a","typeoid":"23","value":1}]})",
           R"({"action":"I","schema":"s","table":"t","columns":[{"name":"a","typeoid":2.5,"value":1}]})",
           R"({"action":"I","schema":"s","table":"t","columns":[{"name":"a","type":7,"value":1}]})",
           // wal2json 2.5's own bug with a quoted type name (#296): why walguard asks for oids.
           R"({"action":"I","schema":"s","table":"t","columns":[{"name":"a","type":"S"."T","value":1}]})",
       }) {
    Status s = decoder.Decode(bad, &r);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << bad << " -> " << s.ToString();
  }
}

// The pipeline's path: every payload is decoded, the ones that fail are
// dead-lettered (not shown here) and the rest go to the assembler.
TEST(Wal2JsonBadInput, BadRecordsFailAloneAndTheTransactionGoesOn) {
  const std::vector<std::string_view> stream = {
      R"({"action":"B","xid":900,"lsn":"0/100","nextlsn":"0/200"})",
      R"({"action":"X","xid":900,"lsn":"0/110","schema":"s","table":"t"})",
      R"({"action":"I","xid":900,"lsn":"0/120","schema":"s","table":"t","columns":[{"name":"a","typeoid":23,"value":)",
      R"({"action":"I","xid":900,"lsn":"0/130","schema":"s","table":"t","columns":[{"name":"a","typeoid":23,"value":7}]})",
      R"({"action":"U","xid":900,"lsn":"0/140","table":"t","columns":[]})",
      R"({"action":"C","xid":900,"lsn":"0/100","nextlsn":"0/200"})",
  };
  Wal2JsonDecoder decoder;
  TransactionAssembler assembler;
  std::vector<std::string> errors;
  int transactions = 0;
  for (std::string_view payload : stream) {
    Record r;
    Status s = decoder.Decode(payload, &r);
    if (!s.ok()) {
      errors.push_back(s.ToString());
      continue;
    }
    TransactionAssembler::Event event;
    ASSERT_TRUE(assembler.Add(std::move(r), &event).ok());
    if (event != TransactionAssembler::Event::kTransaction) continue;
    ++transactions;
    const Transaction& txn = assembler.transaction();
    ASSERT_EQ(txn.changes.size(), 1u);
    EXPECT_EQ(txn.changes[0].columns[0].text, "7");
    EXPECT_EQ(txn.changes[0].columns[0].type, TypeFamily::kInteger);
    EXPECT_EQ(txn.end_lsn, 0x200u);
  }
  EXPECT_EQ(transactions, 1);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("unknown action 'X'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("invalid JSON"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("without 'schema'"), std::string::npos) << errors[2];
}

}  // namespace
}  // namespace walguard

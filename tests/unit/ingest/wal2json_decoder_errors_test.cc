// Malformed input: every failure is a Corruption Status, never a crash.
// (Run under -DWALGUARD_SANITIZE=ON to catch out-of-bounds reads too.)
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/wal2json_decoder.h"

namespace walguard {
namespace {

const std::vector<std::string> kValid = {
    R"({"action":"B","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})",
    R"({"action":"U","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533630","schema":"public","table":"t_pk","columns":[{"name":"id","type":"integer","typeoid":23,"value":1},{"name":"a","type":"text","typeoid":25,"value":"y"}],"identity":[{"name":"id","type":"integer","typeoid":23,"value":1}],"pk":[{"name":"id","type":"integer","typeoid":23}]})",
    R"({"action":"C","xid":729,"timestamp":"2026-11-21 16:35:37.595003+00","lsn":"0/1533CD0","nextlsn":"0/1533D00"})",
    R"({"action":"I","xid":730,"lsn":"0/1533E10","schema":"public","table":"t","columns":[{"name":"amount","value":12345678901.23},{"name":"ok","value":true},{"name":"n","value":null}],"pk":[]})",
    R"({"action":"D","xid":731,"lsn":"0/1534000","schema":"public","table":"t_pk","identity":[{"name":"id","value":2}]})",
    R"({"action":"T","xid":737,"lsn":"0/1536180","schema":"public","table":"t_nopk"})",
    R"({"action":"M","xid":null,"timestamp":null,"lsn":"0/1535888","transactional":false,"prefix":"hb","content":"tick"})",
};

class Wal2JsonDecoderErrorTest : public testing::Test {
 protected:
  Status Decode(std::string_view json) {
    Record r;
    return decoder_.Decode(json, &r);
  }
  void ExpectCorruption(std::string_view json, std::string_view message_part = {}) {
    Status s = Decode(json);
    ASSERT_FALSE(s.ok()) << "accepted: " << json;
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(message_part), std::string::npos) << s.ToString() << " lacks '" << message_part << "'";
  }

  Wal2JsonDecoder decoder_;
};

TEST_F(Wal2JsonDecoderErrorTest, ValidRecordsDecode) {
  for (const std::string& json : kValid) EXPECT_TRUE(Decode(json).ok()) << json;
}

TEST_F(Wal2JsonDecoderErrorTest, UnknownAction) {
  ExpectCorruption(R"({"action":"X","xid":1})", "unknown action 'X'");
  ExpectCorruption(R"({"action":"","xid":1})", "unknown action ''");
  ExpectCorruption(R"({"action":"BB","lsn":"0/1","nextlsn":"0/2"})", "unknown action 'BB'");
  ExpectCorruption(R"({"action":"i","schema":"s","table":"t"})", "unknown action 'i'");
  ExpectCorruption(R"({"action":7})", "action");
  ExpectCorruption(R"({"action":null})", "action");
}

TEST_F(Wal2JsonDecoderErrorTest, MissingRequiredFields) {
  struct Case {
    const char* json;
    const char* names;
  };
  const Case cases[] = {
      {R"({"xid":1,"lsn":"0/1","nextlsn":"0/2"})", "'action'"},
      {R"({})", "'action'"},
      {R"({"action":"I","table":"t","columns":[]})", "'schema'"},
      {R"({"action":"U","schema":"s","columns":[]})", "'table'"},
      {R"({"action":"D","schema":"s","identity":[]})", "'table'"},
      {R"({"action":"T","table":"t"})", "'schema'"},
      {R"({"action":"B","xid":1,"lsn":"0/1"})", "'nextlsn'"},
      {R"({"action":"C","xid":1,"nextlsn":"0/2"})", "'lsn'"},
      {R"({"action":"M","xid":null,"lsn":"0/1","prefix":"p","content":"c"})", "'transactional'"},
      {R"({"action":"M","lsn":"0/1","transactional":true,"content":"c"})", "'prefix'"},
      {R"({"action":"I","schema":"s","table":"t","columns":[{"value":1}]})", "'name'"},
      {R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c"}]})", "'value'"},
  };
  for (const Case& c : cases) ExpectCorruption(c.json, c.names);
}

TEST_F(Wal2JsonDecoderErrorTest, WrongTypesAndBadValues) {
  const char* cases[] = {
      R"({"action":"B","xid":-1,"lsn":"0/1","nextlsn":"0/2"})",
      R"({"action":"B","xid":4294967296,"lsn":"0/1","nextlsn":"0/2"})",
      R"({"action":"B","xid":1.5,"lsn":"0/1","nextlsn":"0/2"})",
      R"({"action":"B","xid":"1","lsn":"0/1","nextlsn":"0/2"})",
      R"({"action":"B","xid":1,"lsn":"0/1","nextlsn":"zz"})",
      R"({"action":"B","xid":1,"lsn":1,"nextlsn":"0/2"})",
      R"({"action":"B","xid":1,"lsn":"0/1","nextlsn":"0/2","timestamp":"yesterday"})",
      R"({"action":"B","xid":1,"lsn":"0/1","nextlsn":"0/2","timestamp":12})",
      R"({"action":"I","schema":1,"table":"t"})",
      R"({"action":"I","schema":"s","table":"t","columns":{}})",
      R"({"action":"I","schema":"s","table":"t","columns":[1]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":5,"value":1}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":01}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":1.}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":-}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":12abc}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":NaN}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":nul}]})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":tru}]})",
      R"({"action":"M","lsn":"0/1","transactional":"yes","prefix":"p","content":"c"})",
  };
  for (const char* json : cases) ExpectCorruption(json);
}

TEST_F(Wal2JsonDecoderErrorTest, MalformedJson) {
  const char* cases[] = {
      "",
      " ",
      "null",
      "42",
      R"("B")",
      "[]",
      R"([{"action":"B"}])",
      "{",
      "}",
      R"({"action")",
      R"({"action":})",
      R"({"action":"B",})",
      R"({"action":"B" "xid":1})",
      R"({'action':'B'})",
      R"({action:"B"})",
      R"({"action":"B"}})",
      R"({"action":"B"} {"action":"C"})",
      R"({"action":"B"}x)",
      R"({"action":"T","schema":"s","table":"t\x"})",
      R"({"action":"T","schema":"s","table":"t\ud800"})",
      "{\"action\":\"T\",\"schema\":\"s\",\"table\":\"t\xc3\x28\"}",  // invalid UTF-8
      "{\"action\":\"T\",\"schema\":\"s\",\"table\":\"a\nb\"}",       // raw control char
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":1}})",
      R"({"action":"I","schema":"s","table":"t","columns":[{"name":"c","value":1]}]})",
      R"({"action":"U","schema":"public","table":"t","columns":[{"name":"id","type":"S"."T","value":1}]})",
  };
  for (const char* json : cases) ExpectCorruption(json);
}

TEST_F(Wal2JsonDecoderErrorTest, JsonErrorsCarrySimdjsonMessage) {
  Status s = Decode(R"({"action":"B","xid":7)");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("invalid JSON"), std::string::npos) << s.ToString();
  EXPECT_GT(s.message().size(), std::string("invalid JSON: ").size()) << s.ToString();
}

TEST_F(Wal2JsonDecoderErrorTest, EveryTruncationFails) {
  for (const std::string& json : kValid) {
    for (size_t n = 0; n < json.size(); ++n) {
      Status s = Decode(std::string_view(json).substr(0, n));
      EXPECT_FALSE(s.ok()) << "prefix accepted: " << json.substr(0, n);
    }
    EXPECT_TRUE(Decode(json).ok()) << "decoder unusable after errors";
  }
}

TEST_F(Wal2JsonDecoderErrorTest, BinaryGarbage) {
  std::mt19937 rng(20261121);
  std::string buf;
  for (int i = 0; i < 3000; ++i) {
    buf.resize(rng() % 300);
    for (char& c : buf) c = static_cast<char>(rng());
    if (i % 3 == 0 && !buf.empty()) buf[0] = '{';  // get past the first check
    EXPECT_FALSE(Decode(buf).ok());
  }
  EXPECT_FALSE(Decode(std::string("\0\0\0\0", 4)).ok());
  EXPECT_FALSE(Decode(std::string("{\"action\":\"B\0\"}", 15)).ok());
}

// Random byte edits of valid records: whatever happens, no crash, and a
// record that does decode is internally consistent.
TEST_F(Wal2JsonDecoderErrorTest, MutatedRecordsNeverCrash) {
  std::mt19937 rng(729);
  using namespace std::string_view_literals;
  const std::string_view alphabet = "{}[]\":,\\ 0123456789.-eEtrunfalsBCIUDTMX\x00\xff\xc3"sv;
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string json = kValid[rng() % kValid.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !json.empty(); ++e) {
      size_t pos = rng() % json.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          json[pos] = c;
          break;
        case 1:
          json.insert(json.begin() + static_cast<std::ptrdiff_t>(pos), c);
          break;
        default:
          json.erase(pos, 1 + rng() % 8);
          break;
      }
    }
    Record r;
    Status s = decoder_.Decode(json, &r);
    if (s.ok()) {
      ++decoded;
      if (r.kind == RecordKind::kChange && r.change.action != Action::kMessage) {
        EXPECT_FALSE(r.change.table.empty() && r.change.schema.empty()) << json;
      }
    } else {
      EXPECT_EQ(s.code(), Status::Code::kCorruption) << json;
    }
  }
  EXPECT_GT(decoded, 0);  // some edits land in values and stay valid
}

}  // namespace
}  // namespace walguard

// decoder_fuzz: libFuzzer target for the ingest front end.
//
// The input is a stream of wal2json payloads, one per line, as the
// replication client would hand them over. Each line goes through
// Wal2JsonDecoder::Decode and, when it decodes, into a TransactionAssembler,
// so framing errors (a C without a B, interleaved xids, stray messages) are
// fuzzed along with the JSON. Each line is also fed to DecodeRowJson, the
// snapshot's row_to_json path.
//
// Besides crashes and sanitizer reports, two properties abort the run:
//  * a decoded record is a fixed point: writing it back as wal2json and
//    decoding that gives the same record (catches unescaping, number-token
//    and timestamp/LSN round-trip bugs);
//  * the assembler agrees with a tiny model of the framing rules in
//    transaction_assembler.h.
//
// One decoder per input, reused for all its lines: inputs stay independent
// (a crash reproduces from its artifact alone) while buffer reuse between
// records of different sizes is still exercised.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ingest/transaction_assembler.h"
#include "ingest/wal2json_decoder.h"
#include "util/json_writer.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {
namespace {

[[noreturn]] void Fail(const char* what, std::string_view line, const std::string& detail) {
  std::fprintf(stderr, "decoder_fuzz: %s\n  line: %.*s\n  %s\n", what, static_cast<int>(line.size()), line.data(),
               detail.c_str());
  std::abort();
}

// The list as a JSON array. Every value goes back as a string: Datum::text
// is the same whether the original was a number token, a boolean, nested
// JSON or a string.
std::string ColumnsJson(const std::vector<Datum>& columns) {
  std::string out = "[";
  for (const Datum& d : columns) {
    if (out.size() > 1) out.push_back(',');
    JsonWriter e(&out);
    e.BeginObject();
    e.Field("name", std::string_view(d.name));
    if (d.is_null) {
      e.Key("value").Null();
    } else {
      e.Field("value", std::string_view(d.text));
    }
    e.EndObject();
  }
  out.push_back(']');
  return out;
}

// Writes every field of the record, so decoding the result must reproduce
// all of them; Finish() ignores the fields a kind does not use.
std::string Encode(const Record& r) {
  std::string out;
  JsonWriter w(&out);
  const Change& c = r.change;
  w.BeginObject();
  char action[2] = {static_cast<char>(c.action), '\0'};
  if (r.kind == RecordKind::kBegin) action[0] = 'B';
  if (r.kind == RecordKind::kCommit) action[0] = 'C';
  w.Field("action", std::string_view(action, 1));
  if (r.xid == 0) {
    w.Key("xid").Null();
  } else {
    w.Field("xid", static_cast<int64_t>(r.xid));
  }
  if (r.timestamp == 0) {
    w.Key("timestamp").Null();
  } else {
    w.Field("timestamp", std::string_view(FormatTimestamp(r.timestamp)));
  }
  w.Field("lsn", std::string_view(FormatLsn(r.lsn)));
  w.Field("nextlsn", std::string_view(FormatLsn(r.next_lsn)));
  w.Field("schema", std::string_view(c.schema));
  w.Field("table", std::string_view(c.table));
  w.Key("columns").Raw(ColumnsJson(c.columns));
  w.Key("identity").Raw(ColumnsJson(c.identity));
  w.Field("transactional", c.transactional);
  w.Field("prefix", std::string_view(c.prefix));
  w.Field("content", std::string_view(c.content));
  w.EndObject();
  return out;
}

std::string DescribeColumns(const std::vector<Datum>& columns) {
  std::string out;
  for (const Datum& d : columns) out += d.name + "=" + (d.is_null ? "NULL" : "'" + d.text + "'") + " ";
  return out;
}

bool SameColumns(const std::vector<Datum>& a, const std::vector<Datum>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].text != b[i].text || a[i].is_null != b[i].is_null) return false;
  }
  return true;
}

bool SameRecord(const Record& a, const Record& b) {
  const Change& x = a.change;
  const Change& y = b.change;
  return a.kind == b.kind && a.xid == b.xid && a.lsn == b.lsn && a.next_lsn == b.next_lsn &&
         a.timestamp == b.timestamp && x.action == y.action && x.schema == y.schema && x.table == y.table &&
         SameColumns(x.columns, y.columns) && SameColumns(x.identity, y.identity) && x.lsn == y.lsn &&
         x.prefix == y.prefix && x.content == y.content && x.transactional == y.transactional;
}

std::string Describe(const Record& r) {
  return "kind=" + std::to_string(static_cast<int>(r.kind)) + " xid=" + std::to_string(r.xid) +
         " lsn=" + FormatLsn(r.lsn) + " nextlsn=" + FormatLsn(r.next_lsn) + " ts=" + std::to_string(r.timestamp) +
         " action=" + std::string(1, static_cast<char>(r.change.action)) + " " + r.change.schema + "." +
         r.change.table + " columns: " + DescribeColumns(r.change.columns) +
         "identity: " + DescribeColumns(r.change.identity) + "prefix='" + r.change.prefix + "' content='" +
         r.change.content + "' transactional=" + (r.change.transactional ? "1" : "0");
}

void CheckRoundTrip(Wal2JsonDecoder& decoder, std::string_view line, const Record& record) {
  const std::string again = Encode(record);
  Record copy;
  Status s = decoder.Decode(again, &copy);
  if (!s.ok()) Fail("re-encoded record does not decode", line, again + "\n  " + s.ToString());
  if (!SameRecord(record, copy)) {
    Fail("record changed through a round trip", line, Describe(record) + "\n  vs " + Describe(copy));
  }
}

// The framing rules of transaction_assembler.h, kept as plainly as possible.
struct Model {
  bool open = false;
  uint32_t xid = 0;
  size_t changes = 0;
};

void CheckAssembler(TransactionAssembler& assembler, Model& m, Record&& record, std::string_view line) {
  const RecordKind kind = record.kind;
  const uint32_t xid = record.xid;
  const Lsn next_lsn = record.next_lsn;
  const bool standalone =
      kind == RecordKind::kChange && record.change.action == Action::kMessage && !record.change.transactional;
  bool want_ok = true;
  auto want_event = TransactionAssembler::Event::kNone;
  if (standalone) {
    want_event = TransactionAssembler::Event::kStandaloneMessage;
  } else if (kind == RecordKind::kBegin) {
    want_ok = !m.open;
  } else {
    want_ok = m.open && xid == m.xid;
    if (kind == RecordKind::kCommit) want_event = TransactionAssembler::Event::kTransaction;
  }
  TransactionAssembler::Event event;
  Status s = assembler.Add(std::move(record), &event);
  if (s.ok() != want_ok) Fail("assembler accepted or refused unexpectedly", line, s.ToString());
  if (!s.ok()) {
    if (assembler.in_transaction()) Fail("assembler still open after an error", line, s.ToString());
    m = Model{};
    return;
  }
  if (event != want_event) Fail("assembler reported the wrong event", line, std::to_string(static_cast<int>(event)));
  if (standalone) {
    if (assembler.message().change.action != Action::kMessage) Fail("standalone message lost", line, "");
  } else if (kind == RecordKind::kBegin) {
    m = Model{true, xid, 0};
  } else if (kind == RecordKind::kCommit) {
    const Transaction& t = assembler.transaction();
    if (t.xid != m.xid || t.changes.size() != m.changes || t.end_lsn != next_lsn) {
      Fail("assembled transaction differs from its records", line,
           "xid " + std::to_string(t.xid) + " changes " + std::to_string(t.changes.size()) + ", want xid " +
               std::to_string(m.xid) + " changes " + std::to_string(m.changes));
    }
    m = Model{};
  } else {
    ++m.changes;
  }
  if (assembler.in_transaction() != m.open) Fail("assembler open state differs from the model", line, "");
}

void CheckRowJson(Wal2JsonDecoder& decoder, std::string_view line) {
  Change change;
  if (!decoder.DecodeRowJson(line, "s", "t", &change).ok()) return;
  if (change.schema != "s" || change.table != "t" || change.action != Action::kInsert) {
    Fail("row JSON decoded into the wrong change", line, change.schema + "." + change.table);
  }
  for (const Datum& d : change.columns) {
    if (d.is_null && !d.text.empty()) Fail("null column with text", line, d.name + "='" + d.text + "'");
  }
}

}  // namespace
}  // namespace walguard

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace walguard;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Wal2JsonDecoder decoder;
  TransactionAssembler assembler;
  Model model;
  Record record;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    CheckRowJson(decoder, line);
    if (!decoder.Decode(line, &record).ok()) continue;
    CheckRoundTrip(decoder, line, record);
    CheckAssembler(assembler, model, std::move(record), line);
  }
  return 0;
}

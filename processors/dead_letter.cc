#include "processors/dead_letter.h"

#include <string>

#include "util/json_writer.h"

namespace walguard {

namespace {
void WriteData(JsonWriter* w, const char* key, const std::vector<Datum>& data) {
  w->Key(key).BeginObject();
  for (const Datum& d : data) {
    w->Key(d.name);
    if (d.is_null)
      w->Null();
    else
      w->String(d.text);
  }
  w->EndObject();
}
}  // namespace

OutMessage ChangeDeadLetter(std::string_view reason, const Change& change, uint32_t xid, Micros commit_time) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("reason", reason);
  w.Field("schema", change.schema);
  w.Field("table", change.table);
  w.Field("action", std::string_view(reinterpret_cast<const char*>(&change.action), 1));
  w.Field("lsn", FormatLsn(change.lsn));
  w.Field("xid", static_cast<int64_t>(xid));
  w.Field("commit_time", FormatTimestamp(commit_time));
  WriteData(&w, "columns", change.columns);
  WriteData(&w, "identity", change.identity);
  w.EndObject();
  return {Topic::kDeadLetter, change.schema + "." + change.table, std::move(out)};
}

OutMessage RecordDeadLetter(std::string_view reason, Lsn lsn, std::string_view raw_record) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("reason", reason);
  w.Field("lsn", FormatLsn(lsn));
  w.Field("record", raw_record);
  w.EndObject();
  return {Topic::kDeadLetter, "undecodable", std::move(out)};
}

}  // namespace walguard

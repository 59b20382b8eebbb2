#include "ingest/wal2json_decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>

#include "ingest/type_family.h"

namespace walguard {

namespace od = simdjson::ondemand;

namespace {

// Top-level keys whose presence Finish() checks: bit i of TopLevel::seen
// says kTracked[i] was there.
constexpr std::string_view kTracked[] = {"action", "lsn",           "nextlsn", "schema",
                                         "table",  "transactional", "prefix",  "content"};

unsigned SeenBit(std::string_view key) {
  for (size_t i = 0; i < std::size(kTracked); ++i) {
    if (key == kTracked[i]) return 1u << i;
  }
  return 0;
}

// What one pass over a top-level object collected besides *out itself.
struct TopLevel {
  unsigned seen = 0;
  std::string_view action;  // points into the parser's string buffer
};

Status JsonError(simdjson::error_code err, std::string_view where) {
  std::string msg = "invalid JSON";
  if (!where.empty()) {
    msg += " in '";
    msg += where.substr(0, 64);
    msg += "'";
  }
  msg += ": ";
  msg += simdjson::error_message(err);
  return Status::Corruption(std::move(msg));
}

Status Missing(std::string_view field, std::string_view action) {
  return Status::Corruption("wal2json '" + std::string(action) + "' record without '" + std::string(field) + "'");
}

// raw_json_token() runs up to the next token, so it carries trailing
// whitespace; strip it (and a comma, defensively) to get the number as written.
std::string_view TrimToken(std::string_view t) {
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r' || t.back() == ',')) {
    t.remove_suffix(1);
  }
  return t;
}

// On-Demand only looks at a number's first character to type it, so the raw
// token is checked against the JSON number grammar before it is trusted.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == n;
}

// Nested values never come from wal2json, but row_to_json writes json, jsonb
// and array columns as nested JSON; they are kept as their raw JSON text.
Status ReadNested(od::value& v, od::json_type type, std::string_view name, Datum* d) {
  std::string_view raw;
  simdjson::error_code err;
  if (type == od::json_type::object) {
    od::object o;
    err = v.get_object().get(o);
    if (!err) err = o.raw_json().get(raw);
  } else {
    od::array a;
    err = v.get_array().get(a);
    if (!err) err = a.raw_json().get(raw);
  }
  if (err) return JsonError(err, name);
  d->text.assign(TrimToken(raw));
  return Status::OK();
}

// One column value into d->text / d->is_null, by the rules in change.h.
Status ReadValue(od::value& v, std::string_view name, Datum* d) {
  od::json_type type;
  if (auto err = v.type().get(type)) return JsonError(err, name);
  d->is_null = false;
  d->text.clear();
  switch (type) {
    case od::json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return JsonError(err, name);
      d->text.assign(s);
      return Status::OK();
    }
    case od::json_type::number: {
      // The raw token, never a double: numeric(38,10) must survive exactly.
      std::string_view token = TrimToken(v.raw_json_token());
      if (!IsJsonNumber(token)) {
        return Status::Corruption("invalid JSON number in '" + std::string(name.substr(0, 64)) + "'");
      }
      d->text.assign(token);
      return Status::OK();
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto err = v.get_bool().get(b)) return JsonError(err, name);
      d->text.assign(b ? "true" : "false");
      return Status::OK();
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null)) return JsonError(err, name);
      if (!is_null) return JsonError(simdjson::N_ATOM_ERROR, name);
      d->is_null = true;
      return Status::OK();
    }
    case od::json_type::object:
    case od::json_type::array:
      return ReadNested(v, type, name, d);
  }
  return JsonError(simdjson::INCORRECT_TYPE, name);
}

Status ReadString(od::value& v, std::string_view field, std::string* out) {
  std::string_view s;
  if (auto err = v.get_string().get(s)) return JsonError(err, field);
  out->assign(s);
  return Status::OK();
}

// "typeoid" (exact) wins over "type" (a name), whichever comes first.
Status ReadType(od::value& v, std::string_view key, std::string_view list, Datum* d, bool* have_oid) {
  if (key == "typeoid") {
    int64_t oid = 0;
    if (auto err = v.get_int64().get(oid)) return JsonError(err, list);
    d->type = TypeFamilyOfOid(oid);
    *have_oid = true;
    return Status::OK();
  }
  std::string_view name;
  if (auto err = v.get_string().get(name)) return JsonError(err, list);
  if (!*have_oid) d->type = TypeFamilyOfName(name);
  return Status::OK();
}

// One {"name":..,"value":..,...} element of "columns" or "identity". Other
// keys (optional, position, default) are skipped.
Status ReadColumn(od::value& elem, std::string_view list, Datum* d) {
  od::object obj;
  if (auto err = elem.get_object().get(obj)) return JsonError(err, list);
  d->type = TypeFamily::kUnknown;
  bool have_name = false;
  bool have_value = false;
  bool have_oid = false;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(field_result).get(field)) return JsonError(err, list);
    if (auto err = field.unescaped_key().get(key)) return JsonError(err, list);
    if (key == "name") {
      WG_RETURN_IF_ERROR(ReadString(field.value(), list, &d->name));
      have_name = true;
    } else if (key == "value") {
      WG_RETURN_IF_ERROR(ReadValue(field.value(), list, d));
      have_value = true;
    } else if (key == "typeoid" || key == "type") {
      WG_RETURN_IF_ERROR(ReadType(field.value(), key, list, d, &have_oid));
    }
  }
  if (!have_name) return Status::Corruption("element of '" + std::string(list) + "' without 'name'");
  if (!have_value) {
    return Status::Corruption("column '" + d->name + "' in '" + std::string(list) + "' without 'value'");
  }
  return Status::OK();
}

Status ReadColumnList(od::value& v, std::string_view list, std::vector<Datum>* out) {
  out->clear();  // a repeated key replaces, like every other field
  od::array arr;
  if (auto err = v.get_array().get(arr)) return JsonError(err, list);
  for (auto elem_result : arr) {
    od::value elem;
    if (auto err = elem_result.get(elem)) return JsonError(err, list);
    WG_RETURN_IF_ERROR(ReadColumn(elem, list, &out->emplace_back()));
  }
  return Status::OK();
}

Status ReadXid(od::value& v, uint32_t* xid) {
  // Non-transactional messages carry "xid":null.
  bool is_null = false;
  if (auto err = v.is_null().get(is_null)) return JsonError(err, "xid");
  if (is_null) {
    *xid = 0;
    return Status::OK();
  }
  uint64_t x = 0;
  if (auto err = v.get_uint64().get(x)) return JsonError(err, "xid");
  if (x > std::numeric_limits<uint32_t>::max()) return Status::Corruption("xid out of range");
  *xid = static_cast<uint32_t>(x);
  return Status::OK();
}

Status ReadTimestamp(od::value& v, Micros* out) {
  bool is_null = false;
  if (auto err = v.is_null().get(is_null)) return JsonError(err, "timestamp");
  if (is_null) {
    *out = 0;
    return Status::OK();
  }
  std::string_view s;
  if (auto err = v.get_string().get(s)) return JsonError(err, "timestamp");
  if (!ParseTimestamp(s, out)) {
    return Status::Corruption("bad timestamp '" + std::string(s.substr(0, 64)) + "'");
  }
  return Status::OK();
}

Status ReadLsn(od::value& v, std::string_view field, Lsn* out) {
  std::string_view s;
  if (auto err = v.get_string().get(s)) return JsonError(err, field);
  if (!ParseLsn(s, out)) {
    return Status::Corruption("bad " + std::string(field) + " '" + std::string(s.substr(0, 64)) + "'");
  }
  return Status::OK();
}

// Dispatches one top-level key. Unknown keys (origin, pk, anything a later
// wal2json adds) are left unread; On-Demand skips them.
Status ReadTopField(std::string_view key, od::value& v, Record* out, TopLevel* top) {
  Change& c = out->change;
  top->seen |= SeenBit(key);
  if (key == "action") {
    if (auto err = v.get_string().get(top->action)) return JsonError(err, key);
    return Status::OK();
  }
  if (key == "xid") return ReadXid(v, &out->xid);
  if (key == "timestamp") return ReadTimestamp(v, &out->timestamp);
  if (key == "lsn") return ReadLsn(v, key, &out->lsn);
  if (key == "nextlsn") return ReadLsn(v, key, &out->next_lsn);
  if (key == "schema") return ReadString(v, key, &c.schema);
  if (key == "table") return ReadString(v, key, &c.table);
  if (key == "columns") return ReadColumnList(v, key, &c.columns);
  if (key == "identity") return ReadColumnList(v, key, &c.identity);
  if (key == "prefix") return ReadString(v, key, &c.prefix);
  if (key == "content") return ReadString(v, key, &c.content);
  if (key == "transactional") {
    if (auto err = v.get_bool().get(c.transactional)) return JsonError(err, key);
  }
  return Status::OK();
}

// Sets the record kind from the action and checks the fields it requires.
Status Finish(const TopLevel& top, Record* out) {
  if (!(top.seen & SeenBit("action"))) return Status::Corruption("wal2json record without 'action'");
  const std::string_view a = top.action;
  auto require = [&](std::initializer_list<std::string_view> names) -> Status {
    for (std::string_view name : names) {
      if (!(top.seen & SeenBit(name))) return Missing(name, a);
    }
    return Status::OK();
  };
  if (a.size() != 1 || std::string_view("BCIUDTM").find(a[0]) == std::string_view::npos) {
    return Status::Corruption("unknown action '" + std::string(a.substr(0, 16)) + "'");
  }
  switch (a[0]) {
    case 'B':
    case 'C':
      out->kind = a[0] == 'B' ? RecordKind::kBegin : RecordKind::kCommit;
      // nextlsn becomes the durable watermark and the ack position: a
      // missing one must not silently turn into 0.
      return require({"lsn", "nextlsn"});
    case 'M':
      out->change.action = Action::kMessage;
      out->change.lsn = out->lsn;
      return require({"transactional", "prefix", "content"});
    default:
      out->change.action = static_cast<Action>(a[0]);
      out->change.lsn = out->lsn;
      return require({"schema", "table"});
  }
}

// Clears a Change for reuse; vectors keep their capacity.
void ResetChange(Change* c) {
  c->action = Action::kInsert;
  c->schema.clear();
  c->table.clear();
  c->columns.clear();
  c->identity.clear();
  c->lsn = 0;
  c->prefix.clear();
  c->content.clear();
  c->transactional = false;
}

void ResetRecord(Record* r) {
  r->kind = RecordKind::kChange;
  r->xid = 0;
  r->lsn = 0;
  r->next_lsn = 0;
  r->timestamp = 0;
  ResetChange(&r->change);
}

}  // namespace

struct Wal2JsonDecoder::Impl {
  od::parser parser;
  // Grows to the largest payload seen and is then reused.
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;

  Status Iterate(std::string_view json, od::document* doc);
  static Status CheckEnd(od::document& doc);
};

// On-Demand reads up to SIMDJSON_PADDING bytes past the input, which a
// payload from libpq does not have; hence the copy.
Status Wal2JsonDecoder::Impl::Iterate(std::string_view json, od::document* doc) {
  const size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity) {
    capacity = std::max(needed, capacity * 2);
    buffer = std::make_unique_for_overwrite<char[]>(capacity);
  }
  if (!json.empty()) std::memcpy(buffer.get(), json.data(), json.size());
  std::memset(buffer.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  if (auto err = parser.iterate(buffer.get(), json.size(), capacity).get(*doc)) {
    return JsonError(err, "");
  }
  return Status::OK();
}

// On-Demand stops reading after the object; anything left over means the
// payload was not one JSON object.
Status Wal2JsonDecoder::Impl::CheckEnd(od::document& doc) {
  const char* where = nullptr;
  if (doc.current_location().get(where) == simdjson::SUCCESS) {
    return Status::Corruption("invalid JSON: trailing content after the object");
  }
  return Status::OK();
}

Wal2JsonDecoder::Wal2JsonDecoder() : impl_(std::make_unique<Impl>()) {}
Wal2JsonDecoder::~Wal2JsonDecoder() = default;

Status Wal2JsonDecoder::Decode(std::string_view payload, Record* out) {
  ResetRecord(out);
  od::document doc;
  WG_RETURN_IF_ERROR(impl_->Iterate(payload, &doc));
  od::object obj;
  if (auto err = doc.get_object().get(obj)) return JsonError(err, "");
  // Keys are taken in whatever order they come; Finish() judges the whole.
  TopLevel top;
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(field_result).get(field)) return JsonError(err, "");
    if (auto err = field.unescaped_key().get(key)) return JsonError(err, "");
    WG_RETURN_IF_ERROR(ReadTopField(key, field.value(), out, &top));
  }
  WG_RETURN_IF_ERROR(Impl::CheckEnd(doc));
  return Finish(top, out);
}

Status Wal2JsonDecoder::DecodeRowJson(std::string_view json, std::string_view schema, std::string_view table,
                                      Change* out) {
  ResetChange(out);
  out->schema.assign(schema);
  out->table.assign(table);
  od::document doc;
  WG_RETURN_IF_ERROR(impl_->Iterate(json, &doc));
  od::object obj;
  if (auto err = doc.get_object().get(obj)) return JsonError(err, "");
  for (auto field_result : obj) {
    od::field field;
    std::string_view key;
    if (auto err = std::move(field_result).get(field)) return JsonError(err, "");
    if (auto err = field.unescaped_key().get(key)) return JsonError(err, "");
    Datum& d = out->columns.emplace_back();
    d.name.assign(key);
    WG_RETURN_IF_ERROR(ReadValue(field.value(), key, &d));
  }
  return Impl::CheckEnd(doc);
}

}  // namespace walguard

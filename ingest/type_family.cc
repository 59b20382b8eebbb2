#include "ingest/type_family.h"

namespace walguard {

namespace {

// Postgres reserves oids below this for built-in objects (FirstNormalObjectId).
constexpr int64_t kFirstUserOid = 16384;

// True when `name` is `head`, optionally followed by a typmod "(...)", then `tail`.
bool NameIs(std::string_view name, std::string_view head, std::string_view tail = {}) {
  if (!name.starts_with(head)) return false;
  name.remove_prefix(head.size());
  if (name.starts_with('(')) {
    const size_t close = name.find(')');
    if (close == std::string_view::npos) return false;
    name.remove_prefix(close + 1);
  }
  return name == tail;
}

struct NamedFamily {
  std::string_view head;
  std::string_view tail;
  TypeFamily family;
};

constexpr NamedFamily kNames[] = {
    {"integer", "", TypeFamily::kInteger},
    {"bigint", "", TypeFamily::kInteger},
    {"smallint", "", TypeFamily::kInteger},
    {"numeric", "", TypeFamily::kNumeric},
    {"text", "", TypeFamily::kText},
    {"character varying", "", TypeFamily::kText},
    {"character", "", TypeFamily::kText},
    {"bpchar", "", TypeFamily::kText},
    {"name", "", TypeFamily::kText},
    {"char", "", TypeFamily::kText},  // "char", its quotes lost by wal2json
    {"citext", "", TypeFamily::kText},
    {"uuid", "", TypeFamily::kUuid},
    {"timestamp", " with time zone", TypeFamily::kTimestampTz},
    {"timestamp", " without time zone", TypeFamily::kTimestamp},
    {"date", "", TypeFamily::kDate},
    {"boolean", "", TypeFamily::kBoolean},
    {"jsonb", "", TypeFamily::kJson},
    {"json", "", TypeFamily::kJson},
    {"real", "", TypeFamily::kFloat},
    {"double precision", "", TypeFamily::kFloat},
    {"bytea", "", TypeFamily::kOther},
    {"interval", "", TypeFamily::kOther},
    {"money", "", TypeFamily::kOther},
    {"oid", "", TypeFamily::kOther},
    {"inet", "", TypeFamily::kOther},
    {"time", " with time zone", TypeFamily::kOther},
    {"time", " without time zone", TypeFamily::kOther},
    {"bit", "", TypeFamily::kOther},
    {"bit varying", "", TypeFamily::kOther},
    {"xml", "", TypeFamily::kOther},
    {"tsvector", "", TypeFamily::kOther},
};

}  // namespace

TypeFamily TypeFamilyOfOid(int64_t oid) {
  switch (oid) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
      return TypeFamily::kInteger;
    case 1700:
      return TypeFamily::kNumeric;
    case 700:  // float4
    case 701:  // float8
      return TypeFamily::kFloat;
    case 18:    // "char"
    case 19:    // name
    case 25:    // text
    case 1042:  // bpchar
    case 1043:  // varchar
      return TypeFamily::kText;
    case 2950:
      return TypeFamily::kUuid;
    case 1184:
      return TypeFamily::kTimestampTz;
    case 1114:
      return TypeFamily::kTimestamp;
    case 1082:
      return TypeFamily::kDate;
    case 16:
      return TypeFamily::kBoolean;
    case 114:   // json
    case 3802:  // jsonb
      return TypeFamily::kJson;
    default:
      break;
  }
  return oid >= kFirstUserOid || oid < 0 ? TypeFamily::kUserDefined : TypeFamily::kOther;
}

TypeFamily TypeFamilyOfName(std::string_view name) {
  if (name.ends_with("[]")) return TypeFamily::kOther;
  for (const NamedFamily& n : kNames) {
    if (NameIs(name, n.head, n.tail)) return n.family;
  }
  return TypeFamily::kUserDefined;
}

}  // namespace walguard

#include "processors/transaction_parts.h"

#include <string>
#include <string_view>

#include "core/key_layout.h"
#include "processors/occupancy.h"
#include "processors/row_accounting.h"
#include "util/coding.h"

namespace walguard {

namespace {

// Entities evaluated per round, occupancy entries read per unit at most per scan.
constexpr size_t kEvaluateRound = 4096;

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

std::string DirtyKey(EntityKind kind, std::string_view id) {
  std::string key(keys::kPartialDirty);
  key.push_back(static_cast<char>(kind));
  key.append(id);
  return key;
}

// '~xo' | unit '\0' | sign-flipped be32(date): sorts by unit, then by date.
std::string OccupancyKey(std::string_view unit, int32_t date) {
  std::string key(keys::kPartialOccupancy);
  key.append(unit);
  key.push_back('\0');
  const uint32_t flipped = static_cast<uint32_t>(date) ^ 0x80000000u;
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((flipped >> shift) & 0xff));
  return key;
}

bool DecodeOccupancyKey(std::string_view key, std::string_view* unit, int32_t* date) {
  key.remove_prefix(keys::kPartialOccupancy.size());
  const size_t nul = key.find('\0');
  if (nul == std::string_view::npos || key.size() != nul + 5) return false;
  *unit = key.substr(0, nul);
  uint32_t flipped = 0;
  for (size_t i = nul + 1; i < key.size(); ++i) flipped = (flipped << 8) | static_cast<uint8_t>(key[i]);
  *date = static_cast<int32_t>(flipped ^ 0x80000000u);
  return true;
}

void KeepTouched(ApplyContext* ctx) {
  for (const auto& [kind, id] : ctx->touched) ctx->kv->Put(DirtyKey(kind, id), "");
  ctx->touched.clear();
}

// Every boundary is kept, a netted zero too: the unit was touched all the same.
Status KeepOccupancy(ApplyContext* ctx) {
  if (ctx->occupancy.empty()) return Status::OK();
  std::string value;
  for (const auto& [unit, boundaries] : NetOccupancy(ctx)) {
    for (const auto& [date, delta] : boundaries) {
      const std::string key = OccupancyKey(unit, date);
      int64_t kept = 0;
      Status s = ctx->kv->Get(key, &value);
      if (s.ok()) {
        std::string_view in(value);
        if (!GetVarsint64(&in, &kept))
          return Status::Corruption("kept occupancy of a partial transaction is malformed");
      } else if (!s.IsNotFound()) {
        return s;
      }
      value.clear();
      PutVarsint64(&value, kept + delta);
      ctx->kv->Put(key, value);
    }
  }
  return Status::OK();
}

// The kept boundaries of the first unit at or after `from`; false when none is left.
Status ReadUnitOccupancy(KvTxn* kv, const std::string& from, std::string* unit, OccupancyBoundaries* boundaries,
                         bool* found) {
  *found = false;
  boundaries->clear();
  Status decode;
  WG_RETURN_IF_ERROR(kv->Scan(from, PrefixEnd(keys::kPartialOccupancy), [&](std::string_view key, std::string_view v) {
    std::string_view u;
    int32_t date = 0;
    int64_t delta = 0;
    if (!DecodeOccupancyKey(key, &u, &date) || !GetVarsint64(&v, &delta)) {
      decode = Status::Corruption("kept occupancy of a partial transaction is malformed");
      return false;
    }
    if (*found && u != *unit) return false;
    if (!*found) unit->assign(u);
    *found = true;
    (*boundaries)[date] = delta;
    return true;
  }));
  return decode;
}

Status ApplyKeptOccupancy(ApplyContext* ctx, const std::function<Status()>& commit_part) {
  std::string from(keys::kPartialOccupancy);
  std::string unit;
  OccupancyBoundaries boundaries;
  for (bool found = true; found;) {
    WG_RETURN_IF_ERROR(ReadUnitOccupancy(ctx->kv, from, &unit, &boundaries, &found));
    if (!found) break;
    WG_RETURN_IF_ERROR(ApplyOccupancy(ctx, unit, boundaries));
    KeepTouched(ctx);
    WG_RETURN_IF_ERROR(commit_part());
    // Past every key of this unit: '\0' ends the unit's part of the key.
    from.assign(keys::kPartialOccupancy);
    from.append(unit);
    from.push_back('\1');
  }
  return Status::OK();
}

}  // namespace

Status KeepPart(ApplyContext* ctx) {
  KeepTouched(ctx);
  return KeepOccupancy(ctx);
}

Status EvaluateParts(ApplyContext* ctx, const std::function<Status()>& commit_part, TouchedEntities* touched) {
  WG_RETURN_IF_ERROR(KeepPart(ctx));
  WG_RETURN_IF_ERROR(ApplyKeptOccupancy(ctx, commit_part));
  const std::string end = PrefixEnd(keys::kPartialDirty);
  std::string from(keys::kPartialDirty);
  for (;;) {
    Status decode;
    WG_RETURN_IF_ERROR(ctx->kv->Scan(from, end, [&](std::string_view key, std::string_view) {
      if (key.size() <= keys::kPartialDirty.size()) {
        decode = Status::Corruption("kept entity of a partial transaction is malformed");
        return false;
      }
      const auto kind = static_cast<EntityKind>(key[keys::kPartialDirty.size()]);
      ctx->touched.emplace(kind, std::string(key.substr(keys::kPartialDirty.size() + 1)));
      from.assign(key);
      return ctx->touched.size() < kEvaluateRound;
    }));
    WG_RETURN_IF_ERROR(decode);
    if (ctx->touched.empty()) return Status::OK();
    from.push_back('\0');  // the smallest key after the last one read
    if (touched != nullptr) touched->insert(ctx->touched.begin(), ctx->touched.end());
    WG_RETURN_IF_ERROR(EvaluateTouched(ctx));
    WG_RETURN_IF_ERROR(commit_part());
  }
}

}  // namespace walguard

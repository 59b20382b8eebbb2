#include "processors/occupancy.h"

#include <map>

#include "core/key_layout.h"
#include "processors/aggregates.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/coding.h"

namespace walguard {

namespace {

struct DateCount {
  enum : int { kActive, kCount };
  std::array<int64_t, kCount> v{};
};

std::string OverbookedPrefix(std::string_view unit) {
  std::string key(1, keys::kOverbooked);
  key.append(unit);
  key.push_back('/');
  return key;
}

std::string OverbookedKey(std::string_view unit, int32_t date) {
  std::string key = OverbookedPrefix(unit);
  // Sign-flipped big-endian so dates sort in order, before 1970 too.
  uint32_t flipped = static_cast<uint32_t>(date) ^ 0x80000000u;
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((flipped >> shift) & 0xff));
  return key;
}

// The allotment of a date: the calendar row's, or 1 without one.
Status AllotmentOf(KvTxn* kv, std::string_view unit, int32_t date, int64_t* allotment) {
  RowImage img;
  Status s = LoadImage(kv, TableId::kAvailabilityCalendar, UnitDateId(unit, date), &img);
  if (s.IsNotFound()) {
    *allotment = 1;
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(s);
  return CellInt(Spec(TableId::kAvailabilityCalendar), img, calendar_col::kAllotment, allotment);
}

// Per unit: how many of its dates are overbooked, so evaluating a unit that
// has none needs no scan.
struct UnitOverbooked {
  enum : int { kDates, kCount };
  std::array<int64_t, kCount> v{};
};

// Writes the flag only when it changes (no tombstone per untouched date) and
// keeps the unit's count of overbooked dates.
Status SetOverbooked(KvTxn* kv, std::string_view unit, int32_t date, bool overbooked) {
  const std::string key = OverbookedKey(unit, date);
  std::string ignored;
  Status s = kv->Get(key, &ignored);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.ok() == overbooked) return Status::OK();
  if (overbooked)
    kv->Put(key, "");
  else
    kv->Delete(key);
  UnitOverbooked d;
  d.v[UnitOverbooked::kDates] = overbooked ? 1 : -1;
  return AddTo(kv, EntityKind::kUnit, unit, d);
}

Status ApplyDate(ApplyContext* ctx, const std::string& unit, int32_t date, int64_t delta) {
  const std::string id = UnitDateId(unit, date);
  DateCount count;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kUnitDate, id, &count));
  count.v[DateCount::kActive] += delta;
  Store(ctx->kv, EntityKind::kUnitDate, id, count);
  int64_t allotment = 1;
  WG_RETURN_IF_ERROR(AllotmentOf(ctx->kv, unit, date, &allotment));
  WG_RETURN_IF_ERROR(SetOverbooked(ctx->kv, unit, date, count.v[DateCount::kActive] > allotment));
  ctx->Touch(EntityKind::kUnitDate, id);
  return Status::OK();
}

}  // namespace

std::string UnitDateId(std::string_view unit, int32_t date) {
  std::string id(unit);
  id.push_back('/');
  id.append(FormatDate(date));
  return id;
}

Status LoadDateCount(KvTxn* kv, std::string_view unit, int32_t date, int64_t* count) {
  DateCount c;
  WG_RETURN_IF_ERROR(Load(kv, EntityKind::kUnitDate, UnitDateId(unit, date), &c));
  *count = c.v[DateCount::kActive];
  return Status::OK();
}

std::map<std::string, OccupancyBoundaries> NetOccupancy(ApplyContext* ctx) {
  // Boundaries per unit: +delta where a range starts, -delta where it ends.
  std::map<std::string, OccupancyBoundaries> boundaries;
  for (const OccupancyDelta& d : ctx->occupancy) {
    if (d.to <= d.from || d.delta == 0) continue;
    auto& b = boundaries[d.unit];
    b[d.from] += d.delta;
    b[d.to] -= d.delta;
  }
  ctx->occupancy.clear();
  return boundaries;
}

Status ApplyOccupancy(ApplyContext* ctx, const std::string& unit, const OccupancyBoundaries& b) {
  ctx->Touch(EntityKind::kUnit, unit);
  int64_t running = 0;
  for (auto it = b.begin(); it != b.end(); ++it) {
    running += it->second;
    auto next = std::next(it);
    if (running == 0 || next == b.end()) continue;
    // Only the dates whose net count changed are read and written.
    for (int32_t date = it->first; date < next->first; ++date) {
      WG_RETURN_IF_ERROR(ApplyDate(ctx, unit, date, running));
    }
  }
  return Status::OK();
}

Status FlushOccupancy(ApplyContext* ctx) {
  if (ctx->occupancy.empty()) return Status::OK();
  for (const auto& [unit, b] : NetOccupancy(ctx)) WG_RETURN_IF_ERROR(ApplyOccupancy(ctx, unit, b));
  return Status::OK();
}

Status RefreshOverbooked(ApplyContext* ctx, std::string_view unit, int32_t date, int64_t allotment) {
  if (allotment < 0) allotment = 1;
  int64_t count = 0;
  WG_RETURN_IF_ERROR(LoadDateCount(ctx->kv, unit, date, &count));
  WG_RETURN_IF_ERROR(SetOverbooked(ctx->kv, unit, date, count > allotment));
  ctx->Touch(EntityKind::kUnit, unit);
  ctx->Touch(EntityKind::kUnitDate, UnitDateId(unit, date));
  return Status::OK();
}

Status FirstOverbookedDate(KvTxn* kv, std::string_view unit, int32_t from, bool* found, int32_t* date) {
  *found = false;
  UnitOverbooked count;
  WG_RETURN_IF_ERROR(Load(kv, EntityKind::kUnit, unit, &count));
  if (count.v[UnitOverbooked::kDates] == 0) return Status::OK();
  const std::string prefix = OverbookedPrefix(unit);
  std::string end = prefix;
  end.back() = static_cast<char>('/' + 1);
  return kv->Scan(OverbookedKey(unit, from), end, [&](std::string_view key, std::string_view) {
    if (key.size() != prefix.size() + 4) return true;
    uint32_t flipped = 0;
    for (size_t i = prefix.size(); i < key.size(); ++i) flipped = (flipped << 8) | static_cast<uint8_t>(key[i]);
    *date = static_cast<int32_t>(flipped ^ 0x80000000u);
    *found = true;
    return false;
  });
}

}  // namespace walguard

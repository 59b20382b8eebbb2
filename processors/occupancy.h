// Occupancy: active reservations per unit and date, and the dates on which a
// unit is overbooked (more active reservations than its allotment, which is
// 1 when the date has no calendar row).
//
//  'A' 'd' <unit>/<date>  count of active reservations covering the date
//  'O' <unit>/ be32(date) present while the date is overbooked (sorted, so
//                         the first overbooked date is one seek)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

// Nets ctx->occupancy (ranges of -1/+1) and applies the dates whose count
// really changed; clears ctx->occupancy. Touches the unit and each changed
// unit_date.
Status FlushOccupancy(ApplyContext* ctx);

// FlushOccupancy in two halves, for a transaction applied in parts
// (processors/transaction_parts.h): the netted boundaries of each unit, date
// -> +delta where ranges start, -delta where they end (ctx->occupancy
// cleared); then a unit's boundaries applied.
using OccupancyBoundaries = std::map<int32_t, int64_t>;
std::map<std::string, OccupancyBoundaries> NetOccupancy(ApplyContext* ctx);
Status ApplyOccupancy(ApplyContext* ctx, const std::string& unit, const OccupancyBoundaries& boundaries);

// Recomputes the overbooked flag of one date after its allotment changed.
// `allotment` < 0 means "no calendar row" (allotment 1).
Status RefreshOverbooked(ApplyContext* ctx, std::string_view unit, int32_t date, int64_t allotment);

std::string UnitDateId(std::string_view unit, int32_t date);
Status LoadDateCount(KvTxn* kv, std::string_view unit, int32_t date, int64_t* count);

// The first overbooked date of the unit on or after `from`; false when there is none.
Status FirstOverbookedDate(KvTxn* kv, std::string_view unit, int32_t from, bool* found, int32_t* date);

}  // namespace walguard

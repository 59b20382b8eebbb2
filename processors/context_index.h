// The two indexes kept only for an alert's context (CONTRACT 3.1), so that
// reading it is one bounded seek rather than a scan of a table's rows:
//
//  'H' <tier>/ be64(expires_at) <hold id>       -> ""   while the hold is stuck
//  'B' <unit>/ be32(check_in) <reservation id>  -> be32(check_out)
//                                                       while the reservation is active
//
// Both sort by time, so the oldest stuck hold is the first key of its tier,
// and the reservations covering a date are those before the first check_in
// after it whose check_out is later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/kv.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// Adds (present) or removes the stuck hold's entry.
void SetStuckHold(KvTxn* kv, std::string_view tier, Micros expires_at, std::string_view hold, bool present);

// The earliest expires_at of the tier's stuck holds; *found false when none.
Status OldestStuckExpiry(KvTxn* kv, std::string_view tier, bool* found, Micros* expires_at);

// Adds (present) or removes the active reservation's entry; dates are days
// since the epoch (util/time.h ParseDate).
void SetBooked(KvTxn* kv, std::string_view unit, int32_t check_in, int32_t check_out, std::string_view reservation,
               bool present);

// At most `limit` active reservations of the unit covering `date`, by
// check_in then id, looking at no more than `scan_limit` entries (a unit
// holds few active reservations; the bound keeps a pathological one cheap).
Status ReservationsOn(KvTxn* kv, std::string_view unit, int32_t date, size_t limit, size_t scan_limit,
                      std::vector<std::string>* ids);

}  // namespace walguard

// The business day: which calendar dates can still be overbooked (CONTRACT
// 3.1). overbooking, calendar_drift and calendar_overcommitted consider only
// dates on or after today, today being the WAL clock's date in
// `business_timezone`, so a snapshot over last year's calendar pages for
// none of it and a replay sees the same days as the live run.
//
// When the WAL clock crosses a local midnight, every firing alert of those
// rules is evaluated again: an alert whose offending dates have all passed
// resolves then, with details.reason "date_passed". That is the day timer:
// the crossing is noticed at the first step (commit or keepalive) after
// midnight, and it only ever visits the firing alerts of the three rules.
#pragma once

#include <cstdint>

#include "config/thresholds.h"
#include "processors/apply_context.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// Days since 1970-01-01 of the WAL clock's local date.
int32_t BusinessToday(const Thresholds& t, Micros now);

// When `previous` and ctx->now fall on different local dates (and previous
// is a real clock, not the fresh state's 0), touches the entity of every
// firing overbooking, calendar_drift and calendar_overcommitted alert.
Status TouchWhenTheDayChanges(ApplyContext* ctx, Micros previous);

}  // namespace walguard

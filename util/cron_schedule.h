// pg_cron schedules: parsing and the next run, for cron_job_missed.
//
// Syntax (what pg_cron accepts, from Vixie cron): five fields
//   minute hour day-of-month month day-of-week
// each a comma list of `*`, `N`, `N-M`, with an optional step `/S`
// (`*/5`, `1-10/2`; `N/S` reads as `N-max/S`); months and weekdays also by
// name (`jan`..`dec`, `sun`..`sat`, any case); weekday 7 is Sunday. The
// shorthands `@hourly`, `@daily`, `@midnight`, `@weekly`, `@monthly`,
// `@yearly`, `@annually`, and pg_cron's interval form `N seconds` (1..59).
// As in Vixie cron, when both day fields are restricted (neither begins with
// `*`) a day matches either; otherwise it must match both.
//
// Runs happen at whole minutes of the zone's wall clock (pg_cron's
// `cron.timezone`, GMT by default). Across a DST change a wall time that is
// skipped does not run that day and one that occurs twice runs twice: the
// search walks UTC instants and asks each for its wall time.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/status.h"
#include "util/time.h"
#include "util/time_zone.h"

namespace walguard {

struct CronSchedule {
  uint64_t minutes = 0;   // bit m: minute m, 0..59
  uint32_t hours = 0;     // bit h: 0..23
  uint32_t days = 0;      // bit d: day of month 1..31
  uint32_t months = 0;    // bit m: 1..12
  uint32_t weekdays = 0;  // bit w: 0..6, Sunday = 0
  bool day_star = false;  // the day-of-month field begins with '*'
  bool weekday_star = false;
  // "N seconds": every N seconds from the previous run; the fields above are unused.
  Micros every = 0;
};

// InvalidArgument naming what does not parse (`@reboot` included: it has no next run).
Status ParseCronSchedule(std::string_view text, CronSchedule* out);

// The first run strictly after `after`; false when there is none within
// eight years (`0 0 30 2 *`).
bool NextCronRun(const CronSchedule& schedule, const TimeZone& zone, Micros after, Micros* next);

// The interval cron_job_missed allows twice after a start: the longer of the
// two gaps that follow it (start -> next run, next run -> the one after), so
// a regular schedule gives its period (a start 0.3 s late still gives 5 min
// for `*/5`) and an irregular one its longer gap (a weekday job started on
// Friday is not missed over the weekend). False when there is no next run.
bool CronInterval(const CronSchedule& schedule, const TimeZone& zone, Micros start, Micros* interval);

}  // namespace walguard

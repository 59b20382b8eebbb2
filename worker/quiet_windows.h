// Quiet windows: times when `apply` acts as `approval` (the runbooks: never
// during launches or peak traffic). Each window is "<days> HH:MM-HH:MM":
// days one of Mon..Sun, a range "Mon-Fri", or "*" for every day; both
// minutes are inclusive ("Fri 18:00-23:59" is all of Friday evening). A
// window whose end is before its start runs past midnight into the next day
// ("Fri 22:00-02:00" ends Saturday 02:00).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct QuietWindow {
  int first_day = 0;  // 0 = Sunday .. 6 = Saturday
  int last_day = 6;   // inclusive; may wrap (Sat-Mon)
  int start_minute = 0;
  int end_minute = 0;  // inclusive
};

struct QuietSchedule {
  std::vector<QuietWindow> windows;
  // The schedule's clock: a fixed offset from UTC, or an IANA zone read
  // through the C library (the process's TZ is set to it; the worker is
  // its own process).
  int64_t utc_offset_s = 0;
  std::string zone;  // empty: the fixed offset
};

// `timezone`: "UTC", "+HH:MM"/"-HH:MM", or an IANA name present in the
// system's zoneinfo. InvalidArgument naming the malformed window.
Status ParseQuietSchedule(const std::vector<std::string>& windows, std::string_view timezone, QuietSchedule* out);

bool InQuietWindow(const QuietSchedule& schedule, Micros now);

}  // namespace walguard

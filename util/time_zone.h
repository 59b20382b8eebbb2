// Time zones: the local calendar date of an instant in an IANA zone, for the
// rules that care which day it is where the business is (`business_timezone`,
// CONTRACT 3.1: only today and later can be overbooked).
//
// GCC 12's libstdc++ has no C++20 <chrono> time zones, and the C library's
// localtime_r reads the process-wide TZ, so zones are read here from the
// system's TZif files (/usr/share/zoneinfo or $TZDIR, RFC 8536) into plain values: a
// pure function of the file, the same in a live run and in a replay.
//
// Instants after the file's last transition keep its last offset. Debian
// ships "fat" files (explicit transitions up to 2037), so that only matters
// for zones that still change offset, after 2037.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct TimeZone {
  std::string name;
  // Ascending UTC seconds at which the offset changes, and the offset
  // (seconds east of UTC) in force from each; before the first, `initial`.
  std::vector<int64_t> transitions;
  std::vector<int32_t> offsets;
  int32_t initial = 0;
};

// Where zones are read from: $TZDIR when set (as the C library does), else
// /usr/share/zoneinfo.
std::string ZoneInfoDir();

// "UTC" (also "Etc/UTC", "Z") needs no file. InvalidArgument for a name that
// is not a zone of the system's zoneinfo, Corruption for an unreadable file.
Status LoadTimeZone(std::string_view name, TimeZone* out);

// Parses a TZif file's bytes (version 1, 2 or 3).
Status ParseTzif(std::string_view bytes, TimeZone* out);

// Seconds east of UTC in force at `t`.
int32_t UtcOffsetAt(const TimeZone& zone, Micros t);

// Days since 1970-01-01 of the local date at `t`.
int32_t LocalDate(const TimeZone& zone, Micros t);

// The first instant after `t` whose local date is later than `t`'s: the
// next local midnight (or, where a transition skips midnight, the first
// local time of the next day).
Micros NextLocalDay(const TimeZone& zone, Micros t);

// The zone named `name`, loaded once per process and kept: rules ask for it
// on every evaluation. Falls back to UTC for a name that does not load (the
// config validates it at load, so that does not happen in a run).
const TimeZone& CachedTimeZone(std::string_view name);

// The first offset change strictly after t; false when there is none.
bool NextTransition(const TimeZone& zone, Micros t, Micros* at);

}  // namespace walguard

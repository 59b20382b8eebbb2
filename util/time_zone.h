// A time zone of the TZ database, read from its TZif file (RFC 8536) under
// /usr/share/zoneinfo: GCC 12's libstdc++ has no std::chrono::tzdb.
//
// Only the file's transition table is read, not its POSIX TZ footer: Debian's
// tzdata files are "fat" (transitions listed up to 2037), and after the last
// transition the last offset stays in force.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct TimeZone {
  std::string name;                  // "UTC", "America/New_York"
  int32_t initial_offset = 0;        // seconds east of UTC before the first transition
  std::vector<int64_t> transitions;  // UTC seconds since the epoch, ascending
  std::vector<int32_t> offsets;      // offsets[i]: in force from transitions[i] on
};

// "UTC" (also "GMT", "Etc/UTC", "") needs no file. NotFound for an unknown
// zone, Corruption for a file that is not TZif.
Status LoadTimeZone(std::string_view name, TimeZone* out);

// The contents of a TZif file (version 1, 2 or 3).
Status ParseTzif(std::string_view data, TimeZone* out);

// Seconds east of UTC at instant t.
int32_t UtcOffsetSeconds(const TimeZone& zone, Micros t);

// The first offset change strictly after t; false when there is none.
bool NextTransition(const TimeZone& zone, Micros t, Micros* at);

}  // namespace walguard

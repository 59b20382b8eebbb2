// Time on the WAL clock: microseconds since the Unix epoch, UTC.
//
// Postgres timestamps arrive in two text forms: wal2json's output function
// form with DateStyle=ISO, TimeZone=UTC ("2026-11-21 16:35:37.595003+00") and
// row_to_json's form used by the snapshot ("2026-11-21T16:35:37.595003+00:00").
// Both, with any offset, parse to the same instant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace walguard {

using Micros = int64_t;  // microseconds since 1970-01-01T00:00:00Z

constexpr Micros kMicrosPerSecond = 1'000'000;
constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;

// Microseconds between the Unix epoch and the Postgres epoch (2000-01-01).
constexpr Micros kPostgresEpochOffset = 946'684'800LL * kMicrosPerSecond;

// Accepts "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH|+HH:MM|+HHMM|-...]". A
// timestamp without an offset is taken as UTC. Returns false on malformed input.
bool ParseTimestamp(std::string_view text, Micros* out);

// "2026-11-21T16:33:53.001193Z" (always six fraction digits).
std::string FormatTimestamp(Micros t);

// Dates are days since 1970-01-01. "2026-01-31" <-> 20484.
bool ParseDate(std::string_view text, int32_t* days);
std::string FormatDate(int32_t days);

// Proleptic Gregorian civil dates <-> days since 1970-01-01 (m 1..12, d 1..31).
int64_t DaysFromCivil(int64_t y, int m, int d);
void CivilFromDays(int64_t days, int64_t* y, int* m, int* d);

// The local wall clock, for detected_at and lag reporting only; rules never read it.
Micros WallClockNow();

}  // namespace walguard

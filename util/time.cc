#include "util/time.h"

#include <chrono>
#include <cstdio>

namespace walguard {

namespace {

constexpr int64_t kSecondsPerDay = 86'400;
constexpr Micros kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;

bool IsLeap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n decimal digits from the front of *s.
bool ConsumeDigits(std::string_view* s, size_t n, int* out) {
  if (s->size() < n) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = (*s)[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  s->remove_prefix(n);
  *out = v;
  return true;
}

bool ConsumeChar(std::string_view* s, char c) {
  if (s->empty() || (*s)[0] != c) return false;
  s->remove_prefix(1);
  return true;
}

// "YYYY-MM-DD" at the front of *s, validated against the calendar.
bool ConsumeDate(std::string_view* s, int64_t* days) {
  int y = 0, m = 0, d = 0;
  if (!ConsumeDigits(s, 4, &y) || !ConsumeChar(s, '-') || !ConsumeDigits(s, 2, &m) || !ConsumeChar(s, '-') ||
      !ConsumeDigits(s, 2, &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return false;
  *days = DaysFromCivil(y, m, d);
  return true;
}

// "HH:MM:SS[.f{1,6}]" -> microseconds since midnight.
bool ConsumeTimeOfDay(std::string_view* s, Micros* out) {
  int hh = 0, mm = 0, ss = 0;
  if (!ConsumeDigits(s, 2, &hh) || !ConsumeChar(s, ':') || !ConsumeDigits(s, 2, &mm) || !ConsumeChar(s, ':') ||
      !ConsumeDigits(s, 2, &ss)) {
    return false;
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  Micros frac = 0;
  if (ConsumeChar(s, '.')) {
    int n = 0;
    for (; n < 6 && !s->empty() && (*s)[0] >= '0' && (*s)[0] <= '9'; ++n) {
      frac = frac * 10 + ((*s)[0] - '0');
      s->remove_prefix(1);
    }
    if (n == 0) return false;
    for (; n < 6; ++n) frac *= 10;
  }
  *out = ((hh * 60 + mm) * 60 + ss) * kMicrosPerSecond + frac;
  return true;
}

// "" (UTC), "Z", or [+-]HH[[:]MM[[:]SS]] -> offset east of UTC in microseconds.
// Seconds appear only for historical local-mean-time zones, but Postgres can
// print them, so they are accepted too.
bool ParseOffset(std::string_view s, Micros* out) {
  *out = 0;
  if (s.empty()) return true;
  if (s == "Z") return true;
  bool negative = s[0] == '-';
  if (!negative && s[0] != '+') return false;
  s.remove_prefix(1);
  int hh = 0, mm = 0, ss = 0;
  if (!ConsumeDigits(&s, 2, &hh)) return false;
  if (!s.empty()) {
    bool colon = ConsumeChar(&s, ':');
    if (!ConsumeDigits(&s, 2, &mm)) return false;
    if (!s.empty()) {
      // The seconds use the same separator style as the minutes.
      if (colon && !ConsumeChar(&s, ':')) return false;
      if (!ConsumeDigits(&s, 2, &ss)) return false;
    }
  }
  if (!s.empty() || hh > 15 || mm > 59 || ss > 59) return false;
  Micros offset = ((hh * 60 + mm) * 60 + ss) * kMicrosPerSecond;
  *out = negative ? -offset : offset;
  return true;
}

}  // namespace

// Howard Hinnant's days_from_civil: pure integer arithmetic, so no
// dependence on the C library's time zone, locale or time_t range.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

// The inverse of DaysFromCivil.
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool ParseTimestamp(std::string_view text, Micros* out) {
  std::string_view s = text;
  int64_t days = 0;
  Micros time_of_day = 0;
  if (!ConsumeDate(&s, &days)) return false;
  if (!ConsumeChar(&s, ' ') && !ConsumeChar(&s, 'T')) return false;
  if (!ConsumeTimeOfDay(&s, &time_of_day)) return false;
  Micros offset = 0;
  if (!ParseOffset(s, &offset)) return false;
  // Local time = UTC + offset, so UTC = local - offset. Four-digit years keep
  // this far inside the int64 range.
  *out = days * kMicrosPerDay + time_of_day - offset;
  return true;
}

std::string FormatTimestamp(Micros t) {
  // Floor division, so a time before the epoch lands on the previous day with
  // a positive time of day. Done without t - days * kMicrosPerDay, which could
  // overflow near INT64_MIN.
  int64_t days = t / kMicrosPerDay;
  Micros rem = t % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    days -= 1;
  }
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  int64_t secs = rem / kMicrosPerSecond;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%06lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(rem % kMicrosPerSecond));
  return buf;
}

bool ParseDate(std::string_view text, int32_t* days) {
  std::string_view s = text;
  int64_t d = 0;
  if (!ConsumeDate(&s, &d) || !s.empty()) return false;
  *days = static_cast<int32_t>(d);  // four-digit years always fit
  return true;
}

std::string FormatDate(int32_t days) {
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(y), m, d);
  return buf;
}

Micros WallClockNow() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace walguard

#include "worker/quiet_windows.h"

#include <stdlib.h>
#include <time.h>

#include <array>
#include <filesystem>

namespace walguard {

namespace {

constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

bool ParseDay(std::string_view text, int* day) {
  for (int i = 0; i < 7; ++i) {
    if (text == kDays[static_cast<size_t>(i)]) {
      *day = i;
      return true;
    }
  }
  return false;
}

bool ParseMinute(std::string_view text, int* minute) {
  if (text.size() != 5 || text[2] != ':') return false;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 23 || m > 59) return false;
  *minute = h * 60 + m;
  return true;
}

bool ParseWindow(std::string_view text, QuietWindow* w) {
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view days = text.substr(0, space);
  const std::string_view times = text.substr(space + 1);
  if (days == "*") {
    w->first_day = 0;
    w->last_day = 6;
  } else if (const size_t dash = days.find('-'); dash != std::string_view::npos) {
    if (!ParseDay(days.substr(0, dash), &w->first_day) || !ParseDay(days.substr(dash + 1), &w->last_day)) return false;
  } else {
    if (!ParseDay(days, &w->first_day)) return false;
    w->last_day = w->first_day;
  }
  const size_t dash = times.find('-');
  if (dash == std::string_view::npos) return false;
  return ParseMinute(times.substr(0, dash), &w->start_minute) && ParseMinute(times.substr(dash + 1), &w->end_minute);
}

bool ParseOffset(std::string_view tz, int64_t* offset_s) {
  if (tz == "UTC" || tz == "Z") {
    *offset_s = 0;
    return true;
  }
  int minute = 0;
  if (tz.size() != 6 || (tz[0] != '+' && tz[0] != '-') || !ParseMinute(tz.substr(1), &minute)) return false;
  *offset_s = (tz[0] == '-' ? -60 : 60) * int64_t{minute};
  return true;
}

bool DayListed(const QuietWindow& w, int day) {
  if (w.first_day <= w.last_day) return day >= w.first_day && day <= w.last_day;
  return day >= w.first_day || day <= w.last_day;  // wraps: Sat-Mon
}

// Local day of week and minute of day at `now`.
void LocalTime(const QuietSchedule& s, Micros now, int* day, int* minute) {
  const time_t secs = static_cast<time_t>(now / kMicrosPerSecond);
  struct tm tm = {};
  if (s.zone.empty()) {
    const time_t shifted = secs + static_cast<time_t>(s.utc_offset_s);
    gmtime_r(&shifted, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  *day = tm.tm_wday;
  *minute = tm.tm_hour * 60 + tm.tm_min;
}

}  // namespace

Status ParseQuietSchedule(const std::vector<std::string>& windows, std::string_view timezone, QuietSchedule* out) {
  *out = QuietSchedule();
  if (!ParseOffset(timezone, &out->utc_offset_s)) {
    const std::string zone(timezone);
    if (zone.empty() || zone.find("..") != std::string::npos ||
        !std::filesystem::exists("/usr/share/zoneinfo/" + zone)) {
      return Status::InvalidArgument("worker.timezone \"" + zone +
                                     "\" is neither UTC, +HH:MM/-HH:MM nor a zone in /usr/share/zoneinfo");
    }
    out->zone = zone;
    setenv("TZ", zone.c_str(), 1);
    tzset();
  }
  for (const std::string& text : windows) {
    QuietWindow w;
    if (!ParseWindow(text, &w)) {
      return Status::InvalidArgument(
          "worker.quiet_windows: \"" + text +
          "\" is not like \"Fri 18:00-23:59\", \"Mon-Fri 09:00-17:00\" or \"* 00:00-06:00\"");
    }
    out->windows.push_back(w);
  }
  return Status::OK();
}

bool InQuietWindow(const QuietSchedule& schedule, Micros now) {
  int day = 0, minute = 0;
  LocalTime(schedule, now, &day, &minute);
  const int yesterday = (day + 6) % 7;
  for (const QuietWindow& w : schedule.windows) {
    if (w.start_minute <= w.end_minute) {
      if (DayListed(w, day) && minute >= w.start_minute && minute <= w.end_minute) return true;
      continue;
    }
    // Past midnight: the evening part belongs to the listed day, the morning part to the day after.
    if (DayListed(w, day) && minute >= w.start_minute) return true;
    if (DayListed(w, yesterday) && minute <= w.end_minute) return true;
  }
  return false;
}

}  // namespace walguard

#include "util/cron_schedule.h"

#include <gtest/gtest.h>

#include <string>

#include "util/time.h"
#include "util/time_zone.h"

namespace walguard {
namespace {

Micros T(const char* text) {
  Micros t = 0;
  EXPECT_TRUE(ParseTimestamp(text, &t)) << text;
  return t;
}

TimeZone Zone(const char* name) {
  TimeZone zone;
  EXPECT_TRUE(LoadTimeZone(name, &zone).ok()) << name;
  return zone;
}

struct NextCase {
  const char* schedule;
  const char* zone;
  const char* after;
  const char* expected;  // nullptr: no next run
};

// 2026-12-03 is a Thursday. New York leaves EST for EDT on 2026-03-08 at
// 02:00 (02:00-02:59 does not exist) and comes back on 2026-11-01 at 02:00
// (01:00-01:59 happens twice).
constexpr NextCase kNextCases[] = {
    {"*/5 * * * *", "UTC", "2026-12-03T10:37:12Z", "2026-12-03T10:40:00.000000Z"},
    {"*/5 * * * *", "UTC", "2026-12-03T10:40:00Z", "2026-12-03T10:45:00.000000Z"},
    {"* * * * *", "UTC", "2026-12-03T10:40:59.999999Z", "2026-12-03T10:41:00.000000Z"},
    {"0 * * * *", "UTC", "2026-12-03T10:37:00Z", "2026-12-03T11:00:00.000000Z"},
    {"@hourly", "UTC", "2026-12-03T10:37:00Z", "2026-12-03T11:00:00.000000Z"},
    {"@daily", "UTC", "2026-12-03T10:37:00Z", "2026-12-04T00:00:00.000000Z"},
    {"@midnight", "UTC", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00.000000Z"},
    {"@weekly", "UTC", "2026-12-03T10:37:00Z", "2026-12-06T00:00:00.000000Z"},
    {"@monthly", "UTC", "2026-12-03T10:37:00Z", "2027-01-01T00:00:00.000000Z"},
    {"@yearly", "UTC", "2026-12-03T10:37:00Z", "2027-01-01T00:00:00.000000Z"},
    {"@annually", "UTC", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00.000000Z"},
    {"30 9 * * mon-fri", "UTC", "2026-12-04T09:30:00Z", "2026-12-07T09:30:00.000000Z"},
    {"1-10/2 * * * *", "UTC", "2026-12-03T10:05:30Z", "2026-12-03T10:07:00.000000Z"},
    {"1-10/2 * * * *", "UTC", "2026-12-03T10:09:00Z", "2026-12-03T11:01:00.000000Z"},
    {"50/5 * * * *", "UTC", "2026-12-03T10:56:00Z", "2026-12-03T11:50:00.000000Z"},
    {"0 12 1,15 * *", "UTC", "2026-12-03T10:37:00Z", "2026-12-15T12:00:00.000000Z"},
    {"0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000000Z"},
    // Both day fields restricted: either matches (Friday the 4th comes first).
    {"0 0 13 * 5", "UTC", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00.000000Z"},
    // Day of month begins with '*': both must match (an odd day that is a Friday).
    {"0 0 */2 * 5", "UTC", "2026-12-03T00:00:00Z", "2026-12-11T00:00:00.000000Z"},
    {"0 0 * JAN Sun", "UTC", "2026-12-03T00:00:00Z", "2027-01-03T00:00:00.000000Z"},
    {"15 10 * * 7", "UTC", "2026-12-03T00:00:00Z", "2026-12-06T10:15:00.000000Z"},
    {"  0   6  *  *  *  ", "UTC", "2026-12-03T00:00:00Z", "2026-12-03T06:00:00.000000Z"},
    {"30 seconds", "UTC", "2026-12-03T10:00:00.5Z", "2026-12-03T10:00:30.500000Z"},
    {"0 0 30 2 *", "UTC", "2026-12-03T00:00:00Z", nullptr},
    // New York: EST (-5) in winter, EDT (-4) in summer.
    {"0 9 * * *", "America/New_York", "2026-12-03T00:00:00Z", "2026-12-03T14:00:00.000000Z"},
    {"0 9 * * *", "America/New_York", "2026-07-01T00:00:00Z", "2026-07-01T13:00:00.000000Z"},
    {"@daily", "America/New_York", "2026-12-03T10:00:00Z", "2026-12-04T05:00:00.000000Z"},
    // 02:30 does not exist on 2026-03-08: the next is on the 9th, in EDT.
    {"30 2 * * *", "America/New_York", "2026-03-07T08:00:00Z", "2026-03-09T06:30:00.000000Z"},
    // 01:30 happens twice on 2026-11-01: in EDT, then in EST.
    {"30 1 * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T05:30:00.000000Z"},
    {"30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00.000000Z"},
    {"30 1 * * *", "America/New_York", "2026-11-01T06:30:00Z", "2026-11-02T06:30:00.000000Z"},
    // Every hour across the spring gap: 01:00 EST, then 03:00 EDT one hour later.
    {"0 * * * *", "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T07:00:00.000000Z"},
};

TEST(CronScheduleTest, NextRunMatchesTheTable) {
  for (const NextCase& c : kNextCases) {
    SCOPED_TRACE(std::string(c.schedule) + " in " + c.zone + " after " + c.after);
    CronSchedule schedule;
    ASSERT_TRUE(ParseCronSchedule(c.schedule, &schedule).ok());
    Micros next = 0;
    const bool found = NextCronRun(schedule, Zone(c.zone), T(c.after), &next);
    if (c.expected == nullptr) {
      EXPECT_FALSE(found) << FormatTimestamp(next);
    } else {
      ASSERT_TRUE(found);
      EXPECT_EQ(FormatTimestamp(next), c.expected);
    }
  }
}

TEST(CronScheduleTest, RejectsWhatPgCronRejects) {
  for (const char* bad : {"",           "* * * *",     "* * * * * *", "60 * * * *",  "* 24 * * *",  "* * 0 * *",
                          "* * 32 * *", "* * * 13 *",  "* * * * 8",   "*/0 * * * *", "5-1 * * * *", "1,,2 * * * *",
                          "x * * * *",  "* * * mon *", "* * * * jan", "@reboot",     "@often",      "0 seconds",
                          "60 seconds", "5 minutes"}) {
    CronSchedule schedule;
    EXPECT_TRUE(ParseCronSchedule(bad, &schedule).code() == Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST(CronScheduleTest, FieldsParseToTheirValues) {
  CronSchedule s;
  ASSERT_TRUE(ParseCronSchedule("1-10/3,59 0,23 */10 feb-apr 1-5", &s).ok());
  EXPECT_EQ(s.minutes, (1ULL << 1) | (1ULL << 4) | (1ULL << 7) | (1ULL << 10) | (1ULL << 59));
  EXPECT_EQ(s.hours, (1U << 0) | (1U << 23));
  EXPECT_EQ(s.days, (1U << 1) | (1U << 11) | (1U << 21) | (1U << 31));
  EXPECT_EQ(s.months, (1U << 2) | (1U << 3) | (1U << 4));
  EXPECT_EQ(s.weekdays, 0b0111110U);
  EXPECT_TRUE(s.day_star);
  EXPECT_FALSE(s.weekday_star);
  ASSERT_TRUE(ParseCronSchedule("0 0 * * 0,7", &s).ok());
  EXPECT_EQ(s.weekdays, 1U);  // 7 is Sunday too
  ASSERT_TRUE(ParseCronSchedule("5 seconds", &s).ok());
  EXPECT_EQ(s.every, 5 * kMicrosPerSecond);
}

struct IntervalCase {
  const char* schedule;
  const char* start;
  Micros expected;
};

TEST(CronScheduleTest, IntervalIsTheLongerOfTheTwoGapsAfterTheStart) {
  constexpr Micros kDay = 24 * 60 * kMicrosPerMinute;
  const IntervalCase cases[] = {
      {"*/5 * * * *", "2026-12-03T10:05:00.3Z", 5 * kMicrosPerMinute},
      {"@hourly", "2026-12-03T10:00:01Z", 60 * kMicrosPerMinute},
      {"30 seconds", "2026-12-03T10:00:00Z", 30 * kMicrosPerSecond},
      // Weekdays: from Wednesday both gaps are a day; from Friday the weekend is the longer.
      {"30 9 * * 1-5", "2026-12-02T09:30:00Z", kDay},
      {"30 9 * * 1-5", "2026-12-04T09:30:00.2Z", 3 * kDay - 200'000},
      {"30 9 * * 1-5", "2026-12-03T09:30:00Z", 3 * kDay},
  };
  for (const IntervalCase& c : cases) {
    SCOPED_TRACE(std::string(c.schedule) + " started " + c.start);
    CronSchedule s;
    ASSERT_TRUE(ParseCronSchedule(c.schedule, &s).ok());
    Micros interval = 0;
    ASSERT_TRUE(CronInterval(s, Zone("UTC"), T(c.start), &interval));
    EXPECT_EQ(interval, c.expected);
  }
  CronSchedule never;
  ASSERT_TRUE(ParseCronSchedule("0 0 31 2 *", &never).ok());
  Micros interval = 0;
  EXPECT_FALSE(CronInterval(never, Zone("UTC"), T("2026-12-03T00:00:00Z"), &interval));
}

TEST(TimeZoneTest, OffsetsFollowTheTzDatabase) {
  const TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(UtcOffsetAt(ny, T("2026-12-03T12:00:00Z")), -5 * 3600);
  EXPECT_EQ(UtcOffsetAt(ny, T("2026-07-01T12:00:00Z")), -4 * 3600);
  EXPECT_EQ(UtcOffsetAt(ny, T("2026-03-08T06:59:59Z")), -5 * 3600);
  EXPECT_EQ(UtcOffsetAt(ny, T("2026-03-08T07:00:00Z")), -4 * 3600);
  Micros at = 0;
  ASSERT_TRUE(NextTransition(ny, T("2026-07-01T00:00:00Z"), &at));
  EXPECT_EQ(FormatTimestamp(at), "2026-11-01T06:00:00.000000Z");
  const TimeZone utc = Zone("UTC");
  EXPECT_EQ(UtcOffsetAt(utc, T("2026-07-01T12:00:00Z")), 0);
  EXPECT_FALSE(NextTransition(utc, 0, &at));
  TimeZone zone;
  EXPECT_FALSE(LoadTimeZone("Nowhere/Atlantis", &zone).ok());
  EXPECT_TRUE(LoadTimeZone("../etc/passwd", &zone).code() == Status::Code::kInvalidArgument);
  EXPECT_FALSE(ParseTzif("TZif2 but short", &zone).ok());
}

}  // namespace
}  // namespace walguard

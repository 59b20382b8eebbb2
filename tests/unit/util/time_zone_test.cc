#include "util/time_zone.h"

#include <gtest/gtest.h>

#include <string>

namespace walguard {
namespace {

Micros T(const char* text) {
  Micros t = 0;
  EXPECT_TRUE(ParseTimestamp(text, &t)) << text;
  return t;
}

std::string Date(const TimeZone& zone, const char* at) {
  return FormatDate(LocalDate(zone, T(at)));
}

TimeZone Zone(const char* name) {
  TimeZone zone;
  Status s = LoadTimeZone(name, &zone);
  EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
  return zone;
}

TEST(TimeZoneTest, UtcNeedsNoFile) {
  const TimeZone utc = Zone("UTC");
  EXPECT_TRUE(utc.transitions.empty());
  EXPECT_EQ(Date(utc, "2026-12-03 23:59:59.999999+00"), "2026-12-03");
  EXPECT_EQ(Date(utc, "2026-12-04 00:00:00+00"), "2026-12-04");
  EXPECT_EQ(Date(utc, "1969-12-31 23:00:00+00"), "1969-12-31");  // before the epoch: floor, not truncation
  EXPECT_EQ(NextLocalDay(utc, T("2026-12-03 10:00:00+00")), T("2026-12-04 00:00:00+00"));
  EXPECT_EQ(NextLocalDay(utc, T("2026-12-04 00:00:00+00")), T("2026-12-05 00:00:00+00"));
}

TEST(TimeZoneTest, SaoPauloIsThreeHoursBehindWithoutDaylightSaving) {
  const TimeZone sp = Zone("America/Sao_Paulo");
  EXPECT_EQ(UtcOffsetAt(sp, T("2026-12-03 12:00:00+00")), -3 * 3600);
  EXPECT_EQ(Date(sp, "2026-12-04 02:59:59+00"), "2026-12-03");
  EXPECT_EQ(Date(sp, "2026-12-04 03:00:00+00"), "2026-12-04");
  EXPECT_EQ(NextLocalDay(sp, T("2026-12-03 20:00:00+00")), T("2026-12-04 03:00:00+00"));
  // In 2018 Brazil still had daylight saving (UTC-2 in December).
  EXPECT_EQ(UtcOffsetAt(sp, T("2018-12-03 12:00:00+00")), -2 * 3600);
}

TEST(TimeZoneTest, NewYorkAcrossTheDaylightSavingChanges) {
  const TimeZone ny = Zone("America/New_York");
  // 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
  EXPECT_EQ(NextLocalDay(ny, T("2026-03-07 17:00:00+00")), T("2026-03-08 05:00:00+00"));
  EXPECT_EQ(NextLocalDay(ny, T("2026-03-08 17:00:00+00")), T("2026-03-09 04:00:00+00"));
  EXPECT_EQ(NextLocalDay(ny, T("2026-11-01 12:00:00+00")), T("2026-11-02 05:00:00+00"));
  EXPECT_EQ(Date(ny, "2026-11-02 04:59:59+00"), "2026-11-01");
}

TEST(TimeZoneTest, NextLocalDayStartsTheNextDateEvenWhereMidnightIsSkipped) {
  // Chile springs forward at local midnight: 2026-09-06 00:00 does not exist.
  for (const char* name : {"America/Santiago", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"}) {
    const TimeZone zone = Zone(name);
    for (Micros t = T("2026-01-01 00:00:00+00"); t < T("2027-01-01 00:00:00+00"); t += 7 * 3600 * kMicrosPerSecond) {
      const Micros next = NextLocalDay(zone, t);
      ASSERT_GT(next, t);
      EXPECT_EQ(LocalDate(zone, next), LocalDate(zone, t) + 1) << name << " " << FormatTimestamp(t);
      EXPECT_EQ(LocalDate(zone, next - 1), LocalDate(zone, t)) << name << " " << FormatTimestamp(t);
    }
  }
}

TEST(TimeZoneTest, RejectsNamesThatAreNotZones) {
  TimeZone zone;
  for (const char* name : {"", "Mars/Olympus_Mons", "../../etc/passwd", "/etc/passwd", "America"}) {
    Status s = LoadTimeZone(name, &zone);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "'" << name << "': " << s.ToString();
  }
}

TEST(TimeZoneTest, RejectsBytesThatAreNotTzif) {
  TimeZone zone;
  EXPECT_FALSE(ParseTzif("", &zone).ok());
  EXPECT_FALSE(ParseTzif("TZif2 and then nothing", &zone).ok());
  EXPECT_FALSE(ParseTzif(std::string(100, 'x'), &zone).ok());
}

TEST(TimeZoneTest, CachedZoneFallsBackToUtcForAnUnknownName) {
  EXPECT_EQ(UtcOffsetAt(CachedTimeZone("America/Sao_Paulo"), T("2026-12-03 12:00:00+00")), -3 * 3600);
  EXPECT_EQ(UtcOffsetAt(CachedTimeZone("Not/A_Zone"), T("2026-12-03 12:00:00+00")), 0);
  EXPECT_EQ(&CachedTimeZone("America/Sao_Paulo"), &CachedTimeZone("America/Sao_Paulo"));
}

}  // namespace
}  // namespace walguard

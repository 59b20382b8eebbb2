#include "worker/quiet_windows.h"

#include <gtest/gtest.h>

namespace walguard {
namespace {

Micros At(const char* text) {
  Micros t = 0;
  EXPECT_TRUE(ParseTimestamp(text, &t)) << text;
  return t;
}

// 2026-12-04 is a Friday.
TEST(QuietWindowsTest, ADayAndItsMinutesInclusive) {
  QuietSchedule s;
  ASSERT_TRUE(ParseQuietSchedule({"Fri 18:00-23:59"}, "UTC", &s).ok());
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-04T17:59:59Z")));
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-04T18:00:00Z")));
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-04T23:59:59Z")));
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-05T00:00:00Z")));
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-03T19:00:00Z")));  // Thursday
}

TEST(QuietWindowsTest, RangesWildcardsAndPastMidnight) {
  QuietSchedule s;
  ASSERT_TRUE(ParseQuietSchedule({"Mon-Wed 09:00-10:00", "Fri 22:00-02:00", "* 04:00-04:30"}, "UTC", &s).ok());
  EXPECT_TRUE(InQuietWindow(s, At("2026-11-30T09:30:00Z")));   // Monday
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-02T10:00:00Z")));   // Wednesday
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-03T09:30:00Z")));  // Thursday
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-04T23:00:00Z")));   // Friday night
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-05T01:30:00Z")));   // ... into Saturday
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-05T22:30:00Z")));  // Saturday night is not Friday's
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-04T01:30:00Z")));  // Friday morning belongs to Thursday
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-06T04:15:00Z")));   // every day
}

TEST(QuietWindowsTest, TheScheduleClockIsTheTimezone) {
  QuietSchedule s;
  ASSERT_TRUE(ParseQuietSchedule({"Fri 18:00-23:59"}, "-03:00", &s).ok());
  EXPECT_FALSE(InQuietWindow(s, At("2026-12-04T18:30:00Z")));  // 15:30 local
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-04T21:30:00Z")));   // 18:30 local
  EXPECT_TRUE(InQuietWindow(s, At("2026-12-05T02:30:00Z")));   // 23:30 local, still Friday
}

TEST(QuietWindowsTest, MalformedWindowsAndZonesAreNamed) {
  QuietSchedule s;
  for (const char* bad : {"Friday 18:00-23:59", "Fri 18:00", "Fri 24:00-23:59", "Fri 18:0-23:59", "Fri18:00-23:59"}) {
    Status st = ParseQuietSchedule({bad}, "UTC", &s);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
  }
  Status st = ParseQuietSchedule({}, "Mars/Olympus", &s);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("Mars/Olympus"), std::string::npos);
}

}  // namespace
}  // namespace walguard

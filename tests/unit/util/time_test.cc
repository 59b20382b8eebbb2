#include "util/time.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace walguard {
namespace {

// 2026-11-21T16:35:37.595003Z, computed independently (Python datetime).
constexpr Micros kWalCommit = 1'795'278'937'595'003;

TEST(TimeTest, ParsesBothPostgresForms) {
  Micros wal2json = 0;
  Micros row_to_json = 0;
  ASSERT_TRUE(ParseTimestamp("2026-11-21 16:35:37.595003+00", &wal2json));
  ASSERT_TRUE(ParseTimestamp("2026-11-21T16:35:37.595003+00:00", &row_to_json));
  EXPECT_EQ(wal2json, kWalCommit);
  EXPECT_EQ(row_to_json, wal2json);
}

TEST(TimeTest, OffsetsAndFractions) {
  struct Case {
    const char* text;
    Micros want;
  };
  const Case cases[] = {
      {"2026-11-21 16:35:37.595003Z", kWalCommit},
      {"2026-11-21T16:35:37.595003", kWalCommit},  // no offset: UTC
      {"2026-11-21 18:35:37.595003+02", kWalCommit},
      {"2026-11-21 18:35:37.595003+0200", kWalCommit},
      {"2026-11-21 22:05:37.595003+05:30", kWalCommit},
      {"2026-11-21 11:35:37.595003-05", kWalCommit},
      {"2026-11-21 11:35:37.595003-05:00", kWalCommit},
      {"2026-11-21 06:05:37.595003-1030", kWalCommit},
      {"2026-11-22 01:35:37.595003+09:00", kWalCommit},  // crosses midnight
      {"2026-11-21 16:35:37+00", kWalCommit - 595'003},
      {"2026-11-21 16:35:37.5+00", kWalCommit - 95'003},
      {"2026-11-21 16:35:37.59+00", kWalCommit - 5'003},
      {"2026-11-21 16:35:37.59500+00", kWalCommit - 3},
      {"1970-01-01 00:00:00+00", 0},
      {"1969-12-31 23:59:59.999999+00", -1},
      {"1970-01-01 00:59:59.999999+01", -1},
      {"2000-01-01 00:00:00Z", kPostgresEpochOffset},
      {"2024-02-29 12:00:00Z", 1'709'208'000'000'000},
      {"0001-01-01 00:00:00Z", -62'135'596'800'000'000},
      {"9999-12-31 23:59:59.999999Z", 253'402'300'799'999'999},
  };
  for (const Case& c : cases) {
    Micros t = 12345;
    ASSERT_TRUE(ParseTimestamp(c.text, &t)) << c.text;
    EXPECT_EQ(t, c.want) << c.text;
  }
}

TEST(TimeTest, OffsetWithSeconds) {
  // Postgres prints local-mean-time offsets with seconds.
  Micros with_seconds = 0;
  Micros utc = 0;
  ASSERT_TRUE(ParseTimestamp("1901-01-01 05:21:10+05:21:10", &with_seconds));
  ASSERT_TRUE(ParseTimestamp("1901-01-01 00:00:00Z", &utc));
  EXPECT_EQ(with_seconds, utc);
  ASSERT_TRUE(ParseTimestamp("1900-12-31 18:38:50-052110", &with_seconds));
  EXPECT_EQ(with_seconds, utc);
}

TEST(TimeTest, RejectsMalformed) {
  const char* bad[] = {
      "",
      "2026-11-21",
      "2026-11-21 16:35",
      "2026-11-21X16:35:37",
      "2026-13-01 00:00:00",
      "2026-00-01 00:00:00",
      "2026-02-29 00:00:00",  // not a leap year
      "1900-02-29 00:00:00",  // not a leap year either
      "2026-04-31 00:00:00",
      "2026-11-00 00:00:00",
      "2026-11-21 24:00:00",
      "2026-11-21 23:60:00",
      "2026-11-21 23:59:60",
      "2026-11-21 16:35:37.",
      "2026-11-21 16:35:37.1234567",
      "2026-11-21 16:35:37+",
      "2026-11-21 16:35:37+1",
      "2026-11-21 16:35:37+16",
      "2026-11-21 16:35:37+05:60",
      "2026-11-21 16:35:37+05:3",
      "2026-11-21 16:35:37+05:30:",
      "2026-11-21 16:35:37+0530:00",
      "2026-11-21 16:35:37 +00",
      "2026-11-21 16:35:37+00 ",
      "2026-11-21 16:35:37ZZ",
      "2026-11-21 16:35:37 UTC",
      "infinity",
      "-infinity",
      "26-11-21 16:35:37",
      "2026-1-21 16:35:37",
      "12026-11-21 16:35:37",
      "2026-11-21 16:35:37 BC",
  };
  for (const char* text : bad) {
    Micros t = 777;
    EXPECT_FALSE(ParseTimestamp(text, &t)) << "accepted '" << text << "'";
    EXPECT_EQ(t, 777) << text;
  }
}

TEST(TimeTest, Format) {
  struct Case {
    Micros t;
    const char* want;
  };
  const Case cases[] = {
      {1'795'278'833'001'193, "2026-11-21T16:33:53.001193Z"},
      {0, "1970-01-01T00:00:00.000000Z"},
      {-1, "1969-12-31T23:59:59.999999Z"},
      {-1'000'000, "1969-12-31T23:59:59.000000Z"},
      {-86'400'000'000, "1969-12-31T00:00:00.000000Z"},
      {-86'400'000'001, "1969-12-30T23:59:59.999999Z"},
      {kPostgresEpochOffset, "2000-01-01T00:00:00.000000Z"},
      {1'709'208'000'000'000, "2024-02-29T12:00:00.000000Z"},
      {-62'135'596'800'000'000, "0001-01-01T00:00:00.000000Z"},
      {253'402'300'799'999'999, "9999-12-31T23:59:59.999999Z"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatTimestamp(c.t), c.want) << c.t;
  // The extremes must not crash or overflow.
  EXPECT_FALSE(FormatTimestamp(INT64_MIN).empty());
  EXPECT_FALSE(FormatTimestamp(INT64_MAX).empty());
}

TEST(TimeTest, FormatParseRoundTrip) {
  for (Micros t : {Micros{0}, Micros{-1}, kWalCommit, Micros{-123'456'789'012'345}, Micros{951'782'400'000'001}}) {
    Micros back = 0;
    ASSERT_TRUE(ParseTimestamp(FormatTimestamp(t), &back)) << FormatTimestamp(t);
    EXPECT_EQ(back, t);
  }
}

TEST(TimeTest, Dates) {
  struct Case {
    const char* text;
    int32_t days;
  };
  const Case cases[] = {
      {"1970-01-01", 0},       {"2026-01-31", 20484},   {"1969-12-31", -1},    {"1900-03-01", -25508},
      {"0001-01-01", -719162}, {"9999-12-31", 2932896}, {"2000-02-29", 11016},
  };
  for (const Case& c : cases) {
    int32_t days = 99;
    ASSERT_TRUE(ParseDate(c.text, &days)) << c.text;
    EXPECT_EQ(days, c.days) << c.text;
    EXPECT_EQ(FormatDate(c.days), c.text);
  }
  const char* bad[] = {"", "2026-01-32", "2026-02-29", "2026-01-31 ", "2026-1-31", "2026/01/31", "2026-01-31T00:00:00"};
  for (const char* text : bad) {
    int32_t days = 99;
    EXPECT_FALSE(ParseDate(text, &days)) << text;
    EXPECT_EQ(days, 99);
  }
}

TEST(TimeTest, WallClockIsRecent) {
  Micros now = WallClockNow();
  Micros y2024 = 1'704'067'200'000'000;  // 2024-01-01
  EXPECT_GT(now, y2024);
  EXPECT_LE(now, WallClockNow());
}

}  // namespace
}  // namespace walguard

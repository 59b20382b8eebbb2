#include "util/lsn.h"

#include <gtest/gtest.h>

namespace walguard {
namespace {

TEST(LsnTest, ParseAndFormat) {
  struct Case {
    const char* text;
    Lsn lsn;
    const char* formatted;  // how Postgres prints it
  };
  const Case cases[] = {
      {"0/0", 0, "0/0"},
      {"0/16B3748", 0x16B3748, "0/16B3748"},
      {"0/16b3748", 0x16B3748, "0/16B3748"},
      {"16/B374D848", 0x16B374D848, "16/B374D848"},
      {"0/1533CD0", 0x1533CD0, "0/1533CD0"},
      {"00000000/00000001", 1, "0/1"},
      {"FFFFFFFF/FFFFFFFF", UINT64_MAX, "FFFFFFFF/FFFFFFFF"},
      {"1/0", 0x100000000, "1/0"},
  };
  for (const Case& c : cases) {
    Lsn lsn = 42;
    ASSERT_TRUE(ParseLsn(c.text, &lsn)) << c.text;
    EXPECT_EQ(lsn, c.lsn) << c.text;
    EXPECT_EQ(FormatLsn(c.lsn), c.formatted);
  }
}

TEST(LsnTest, RejectsMalformed) {
  const char* bad[] = {"",      "/",   "0/",   "/0",   "0",    "0/1/2", "123456789/0", "0/123456789",
                       "0x1/0", "g/0", " 0/1", "0/1 ", "-1/0", "0/+1",  "0\\1"};
  for (const char* text : bad) {
    Lsn lsn = 42;
    EXPECT_FALSE(ParseLsn(text, &lsn)) << "accepted '" << text << "'";
    EXPECT_EQ(lsn, 42u);
  }
}

TEST(LsnTest, RoundTrip) {
  for (Lsn lsn : {Lsn{0}, Lsn{1}, Lsn{0xDEADBEEF}, Lsn{0x123456789ABCDEF0}, UINT64_MAX}) {
    Lsn back = 0;
    ASSERT_TRUE(ParseLsn(FormatLsn(lsn), &back));
    EXPECT_EQ(back, lsn);
  }
}

}  // namespace
}  // namespace walguard

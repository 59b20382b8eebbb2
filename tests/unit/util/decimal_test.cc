#include "util/decimal.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace walguard {
namespace {

Decimal D(std::string_view text) {
  Decimal d;
  Status s = Decimal::Parse(text, &d);
  EXPECT_TRUE(s.ok()) << text << ": " << s.ToString();
  return d;
}

TEST(DecimalTest, TenthPlusTwoTenthsIsExactlyThreeTenths) {
  Decimal sum = D("0.10") + D("0.20");
  EXPECT_EQ(sum, D("0.30"));
  EXPECT_EQ(sum, D("0.3"));
  EXPECT_EQ(sum.ToString(), "0.30");
  EXPECT_EQ(sum.scale(), 2);
}

TEST(DecimalTest, ParseAndPrintRoundTrip) {
  struct Case {
    const char* in;
    const char* out;
    int scale;
  };
  const Case cases[] = {
      {"0", "0", 0},
      {"-5", "-5", 0},
      {"+7", "7", 0},
      {"0.05", "0.05", 2},
      {"-0.30", "-0.30", 2},
      {"12", "12", 0},
      {"1000.00", "1000.00", 2},
      {"12345678901.23", "12345678901.23", 2},
      {"007.10", "7.10", 2},
      {"-0", "0", 0},
      {"-0.00", "0.00", 2},
      {"0.000000000000000001", "0.000000000000000001", 18},
      {"999999999999999999999999999999", "999999999999999999999999999999", 0},
      {"9999999999999999999999.99999999", "9999999999999999999999.99999999", 8},
      {"-1234567890123456789012345678.90", "-1234567890123456789012345678.90", 2},
  };
  for (const Case& c : cases) {
    Decimal d = D(c.in);
    EXPECT_EQ(d.ToString(), c.out) << c.in;
    EXPECT_EQ(d.scale(), c.scale) << c.in;
  }
}

TEST(DecimalTest, ParseRejects) {
  const char* bad[] = {
      "",
      "-",
      "+",
      ".",
      ".5",
      "5.",
      "1e5",
      "1E5",
      "1.5e-3",
      "NaN",
      "nan",
      "Infinity",
      "-Infinity",
      "1.2.3",
      "--1",
      "+-1",
      "1-",
      " 1",
      "1 ",
      "0x10",
      "1,000",
      "١",
      "1.0000000000000000000",             // 19 fraction digits
      "1234567890123456789012345678901",   // 31 digits
      "12345678901234567890.12345678901",  // 31 digits with a point
  };
  for (const char* text : bad) {
    Decimal d = Decimal::FromInt(42);
    Status s = Decimal::Parse(text, &d);
    EXPECT_FALSE(s.ok()) << "accepted '" << text << "'";
    EXPECT_EQ(d, Decimal::FromInt(42)) << "output touched for '" << text << "'";
  }
}

TEST(DecimalTest, LeadingZerosAreNotSignificant) {
  // 30 significant digits behind a run of zeros still fit.
  EXPECT_EQ(D("0000000000123456789012345678901234567890").ToString(), "123456789012345678901234567890");
}

TEST(DecimalTest, AddSubtractAlignScales) {
  struct Case {
    const char* a;
    const char* b;
    const char* sum;
    const char* diff;
  };
  const Case cases[] = {
      {"0.10", "0.20", "0.30", "-0.10"},     {"1", "0.5", "1.5", "0.5"},
      {"-5", "2.25", "-2.75", "-7.25"},      {"12345678901.23", "0.77", "12345678902.00", "12345678900.46"},
      {"0.001", "-0.001", "0.000", "0.002"}, {"100", "100", "200", "0"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ((D(c.a) + D(c.b)).ToString(), c.sum) << c.a << " + " << c.b;
    EXPECT_EQ((D(c.a) - D(c.b)).ToString(), c.diff) << c.a << " - " << c.b;
  }
  Decimal acc;
  for (int i = 0; i < 1000; ++i) acc += D("0.01");
  EXPECT_EQ(acc.ToString(), "10.00");
  acc -= D("10");
  EXPECT_TRUE(acc.IsZero());
  EXPECT_EQ((-D("1.50")).ToString(), "-1.50");
}

TEST(DecimalTest, CompareIsNumeric) {
  EXPECT_EQ(D("1.50"), D("1.5"));
  EXPECT_EQ(D("0"), D("-0.000"));
  EXPECT_LT(D("-1"), D("0.01"));
  EXPECT_LT(D("-2"), D("-1.99"));
  EXPECT_GT(D("10"), D("9.999999999999999999"));
  EXPECT_LE(D("3.0"), D("3"));
  EXPECT_GE(D("3.0"), D("3"));
  EXPECT_NE(D("0.1"), D("0.01"));
  EXPECT_EQ(D("1").Compare(D("2")), -1);
  EXPECT_EQ(D("2").Compare(D("1")), 1);
  EXPECT_EQ(D("2.00").Compare(D("2")), 0);
}

TEST(DecimalTest, CompareWhenRescalingWouldOverflow) {
  // Bringing 10^29 to scale 18 needs 10^47, beyond 128 bits.
  Decimal big = D("100000000000000000000000000000");
  Decimal tiny = D("0.000000000000000001");
  EXPECT_GT(big, tiny);
  EXPECT_LT(tiny, big);
  EXPECT_LT(-big, tiny);
  EXPECT_GT(tiny, -big);
  EXPECT_LT(-big, -tiny);
}

TEST(DecimalTest, AddThatCannotBeExactKeepsTheMagnitude) {
  // 10^29 at scale 18 needs 48 digits: the sum drops fraction digits instead
  // of wrapping or clamping to something smaller.
  Decimal big = D("100000000000000000000000000000");
  Decimal tiny = D("0.000000000000000001");
  Decimal sum = big + tiny;
  EXPECT_GE(sum, big);
  EXPECT_LT(sum, big + D("1"));
  EXPECT_EQ(sum.ToString().substr(0, 31), "100000000000000000000000000000.");
  Decimal diff = -big - tiny;
  EXPECT_LE(diff, -big);
  EXPECT_GT(diff, -big - D("1"));
}

TEST(DecimalTest, AddSaturatesOnlyBeyondScaleZero) {
  Decimal max30 = D("999999999999999999999999999999");
  Decimal acc;
  // 10^30 * 2^28 > 2^127: this loop runs past the 128-bit range.
  for (int i = 0; i < 400; ++i) {
    Decimal next = acc + max30;
    ASSERT_GE(next, acc) << "wrapped at step " << i;
    acc = next;
    acc += acc;
  }
  EXPECT_GT(acc, max30);
  EXPECT_EQ(acc.scale(), 0);
  Decimal neg = -acc;
  EXPECT_LT(neg - max30, Decimal());
  EXPECT_LE(neg - max30, neg);
}

TEST(DecimalTest, EncodeDecodeRoundTrip) {
  const char* values[] = {
      "0", "-5", "0.30", "-0.30", "12345678901.23", "999999999999999999999999999999", "-0.000000000000000001"};
  std::string buf;
  for (const char* v : values) D(v).EncodeTo(&buf);
  ASSERT_EQ(buf.size(), 17u * (sizeof values / sizeof values[0]));
  std::string_view in = buf;
  for (const char* v : values) {
    Decimal d;
    ASSERT_TRUE(Decimal::DecodeFrom(&in, &d)) << v;
    EXPECT_EQ(d.ToString(), v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(DecimalTest, EncodingLayout) {
  std::string buf;
  D("-0.01").EncodeTo(&buf);
  ASSERT_EQ(buf.size(), 17u);
  // -1 as a big-endian two's complement 128-bit mantissa, then scale 2.
  for (int i = 0; i < 16; ++i) EXPECT_EQ(static_cast<uint8_t>(buf[i]), 0xff) << i;
  EXPECT_EQ(buf[16], 2);
  buf.clear();
  D("2.58").EncodeTo(&buf);
  EXPECT_EQ(static_cast<uint8_t>(buf[14]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(buf[15]), 0x02);
  EXPECT_EQ(buf[16], 2);
}

TEST(DecimalTest, DecodeRejectsShortOrCorruptInput) {
  std::string buf;
  D("1.00").EncodeTo(&buf);
  Decimal d;
  std::string_view shortened = std::string_view(buf).substr(0, 16);
  EXPECT_FALSE(Decimal::DecodeFrom(&shortened, &d));
  EXPECT_EQ(shortened.size(), 16u) << "input not consumed on failure";

  std::string bad_scale = buf;
  bad_scale[16] = 19;
  std::string_view in = bad_scale;
  EXPECT_FALSE(Decimal::DecodeFrom(&in, &d));

  std::string min_mantissa(17, '\0');
  min_mantissa[0] = static_cast<char>(0x80);
  in = min_mantissa;
  EXPECT_FALSE(Decimal::DecodeFrom(&in, &d));
}

}  // namespace
}  // namespace walguard

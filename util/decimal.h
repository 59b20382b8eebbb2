// Decimal: an exact base-10 number for money (numeric(14,2) and wider).
//
// value = mantissa * 10^-scale, with a 128-bit mantissa. Parsed from the raw
// token text that wal2json 2.5 writes for numeric columns (a bare JSON number
// such as 12345678901.23 or 0.10), never through a double. Sums keep the
// larger scale, so 0.10 + 0.20 == 0.30 exactly and prints as "0.30".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace walguard {

class Decimal {
 public:
  // At most this many significant digits are accepted by Parse, which leaves
  // headroom for ~10^8 additions before the 128-bit mantissa could overflow.
  static constexpr int kMaxDigits = 30;
  static constexpr int kMaxScale = 18;

  Decimal() = default;
  static Decimal FromInt(int64_t v) { return Decimal(v, 0); }

  // Accepts [+-]digits[.digits]. Rejects exponents, NaN/Infinity, empty input,
  // more than kMaxDigits digits or kMaxScale fraction digits.
  static Status Parse(std::string_view text, Decimal* out);

  Decimal operator+(const Decimal& o) const;
  Decimal operator-(const Decimal& o) const;
  Decimal operator-() const { return Decimal(-mantissa_, scale_); }
  Decimal& operator+=(const Decimal& o) { return *this = *this + o; }
  Decimal& operator-=(const Decimal& o) { return *this = *this - o; }

  // Numeric comparison: 1.50 == 1.5.
  int Compare(const Decimal& o) const;
  bool operator==(const Decimal& o) const { return Compare(o) == 0; }
  bool operator!=(const Decimal& o) const { return Compare(o) != 0; }
  bool operator<(const Decimal& o) const { return Compare(o) < 0; }
  bool operator>(const Decimal& o) const { return Compare(o) > 0; }
  bool operator<=(const Decimal& o) const { return Compare(o) <= 0; }
  bool operator>=(const Decimal& o) const { return Compare(o) >= 0; }

  bool IsZero() const { return mantissa_ == 0; }
  int scale() const { return scale_; }

  // Plain notation with exactly scale() fraction digits: "-0.30", "12", "1000.00".
  std::string ToString() const;

  // Fixed-size binary encoding (17 bytes) for the state store.
  void EncodeTo(std::string* dst) const;
  static bool DecodeFrom(std::string_view* input, Decimal* out);

 private:
  Decimal(__int128 mantissa, int scale) : mantissa_(mantissa), scale_(scale) {}
  __int128 Rescaled(int scale) const;  // requires scale >= scale_

  __int128 mantissa_ = 0;
  int scale_ = 0;
};

}  // namespace walguard

#include "util/decimal.h"

#include <algorithm>

namespace walguard {

namespace {

using Int128 = __int128;
using UInt128 = unsigned __int128;

// The largest mantissa magnitude. Arithmetic never wraps past it (signed
// overflow is undefined behaviour, and a wrapped amount could flip sign and
// slip under a threshold); see operator+. Keeping the range symmetric also
// means negation can never overflow.
constexpr Int128 kMaxMantissa = static_cast<Int128>(~UInt128{0} >> 1);

constexpr int kEncodedSize = 17;

Int128 Pow10(int n) {
  Int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

Int128 Saturate(bool negative) {
  return negative ? -kMaxMantissa : kMaxMantissa;
}

// a * 10^n, saturating. n <= kMaxScale, so 10^n itself fits comfortably.
Int128 ScaleUp(Int128 a, int n, bool* overflow) {
  Int128 r = 0;
  if (__builtin_mul_overflow(a, Pow10(n), &r) || r > kMaxMantissa || r < -kMaxMantissa) {
    *overflow = true;
    return Saturate(a < 0);
  }
  return r;
}

// m (at scale `from`) expressed at scale `to`. Going down truncates toward
// zero; that only happens on the overflow path of Add below.
Int128 Align(Int128 m, int from, int to, bool* overflow) {
  if (to >= from) return ScaleUp(m, to - from, overflow);
  return m / Pow10(from - to);
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Status Decimal::Parse(std::string_view text, Decimal* out) {
  const std::string_view original = text;
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("bad decimal '" + std::string(original.substr(0, 64)) + "': " + why);
  };
  if (text.empty()) return bad("empty");
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  size_t dot = text.find('.');
  std::string_view int_part = text.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  // Both sides of a '.' must have digits: that is how Postgres and JSON write
  // numbers, and it rejects ".", "1." and "-" without special cases.
  if (int_part.empty()) return bad("expected digits");
  if (dot != std::string_view::npos && frac_part.empty()) return bad("expected digits after '.'");
  if (frac_part.size() > static_cast<size_t>(kMaxScale)) return bad("too many fraction digits");

  Int128 mantissa = 0;
  int significant = 0;
  for (std::string_view part : {int_part, frac_part}) {
    for (char c : part) {
      // Catches exponents, "NaN", "Infinity", a second '.', stray signs.
      if (!IsDigit(c)) return bad("unexpected character");
      if (mantissa == 0 && c == '0') continue;  // leading zeros are not significant
      if (++significant > kMaxDigits) return bad("too many digits");
      mantissa = mantissa * 10 + (c - '0');
    }
  }
  *out = Decimal(negative ? -mantissa : mantissa, static_cast<int>(frac_part.size()));
  return Status::OK();
}

// Saturating; operator+ and Compare detect overflow themselves instead.
__int128 Decimal::Rescaled(int scale) const {
  bool overflow = false;
  return ScaleUp(mantissa_, scale - scale_, &overflow);
}

Decimal Decimal::operator+(const Decimal& o) const {
  // Exact whenever the aligned sum fits in 128 bits, which Parse's digit
  // limits make the normal case. Otherwise give up fraction digits one at a
  // time (the magnitude matters more than the last decimals of a sum this
  // large), and saturate only when even scale 0 does not fit.
  for (int scale = std::max(scale_, o.scale_); scale >= 0; --scale) {
    bool overflow = false;
    Int128 a = Align(mantissa_, scale_, scale, &overflow);
    Int128 b = Align(o.mantissa_, o.scale_, scale, &overflow);
    Int128 sum = 0;
    if (!overflow && !__builtin_add_overflow(a, b, &sum) && sum <= kMaxMantissa && sum >= -kMaxMantissa) {
      return Decimal(sum, scale);
    }
  }
  // Both operands fit at scale 0, so only same-signed operands get here.
  return Decimal(Saturate(mantissa_ < 0), 0);
}

Decimal Decimal::operator-(const Decimal& o) const {
  return *this + (-o);
}

int Decimal::Compare(const Decimal& o) const {
  // Different signs (or a zero) decide without any arithmetic.
  int sa = (mantissa_ > 0) - (mantissa_ < 0);
  int sb = (o.mantissa_ > 0) - (o.mantissa_ < 0);
  if (sa != sb) return sa < sb ? -1 : 1;
  // Same sign: bring the smaller scale up. If that overflows, the rescaled
  // value's magnitude exceeds anything representable, so its sign decides.
  bool overflow = false;
  Int128 a = mantissa_;
  Int128 b = o.mantissa_;
  if (scale_ < o.scale_) {
    a = ScaleUp(a, o.scale_ - scale_, &overflow);
    if (overflow) return sa;
  } else if (o.scale_ < scale_) {
    b = ScaleUp(b, scale_ - o.scale_, &overflow);
    if (overflow) return -sb;
  }
  return (a > b) - (a < b);
}

std::string Decimal::ToString() const {
  // Work on the magnitude as unsigned so every mantissa converts safely.
  UInt128 mag = mantissa_ < 0 ? UInt128{0} - static_cast<UInt128>(mantissa_) : static_cast<UInt128>(mantissa_);
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(mag % 10));
    mag /= 10;
  } while (mag != 0);
  while (n <= scale_) digits[n++] = '0';  // at least one digit before the '.'

  std::string out;
  out.reserve(static_cast<size_t>(n) + 2);
  if (mantissa_ < 0) out.push_back('-');
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(digits[i]);
    if (i == scale_ && i != 0) out.push_back('.');
  }
  return out;
}

void Decimal::EncodeTo(std::string* dst) const {
  char buf[kEncodedSize];
  UInt128 u = static_cast<UInt128>(mantissa_);
  for (int i = 15; i >= 0; --i) {
    buf[i] = static_cast<char>(static_cast<uint8_t>(u & 0xff));
    u >>= 8;
  }
  buf[16] = static_cast<char>(scale_);
  dst->append(buf, kEncodedSize);
}

bool Decimal::DecodeFrom(std::string_view* input, Decimal* out) {
  if (input->size() < static_cast<size_t>(kEncodedSize)) return false;
  UInt128 u = 0;
  for (int i = 0; i < 16; ++i) u = (u << 8) | static_cast<uint8_t>((*input)[i]);
  int scale = static_cast<uint8_t>((*input)[16]);
  // Nothing valid encodes the one mantissa outside the symmetric range, or a
  // scale beyond kMaxScale: such bytes are corrupt.
  if (u == (UInt128{1} << 127) || scale > kMaxScale) return false;
  input->remove_prefix(kEncodedSize);
  *out = Decimal(static_cast<Int128>(u), scale);
  return true;
}

}  // namespace walguard

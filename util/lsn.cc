#include "util/lsn.h"

#include <cstdio>

namespace walguard {

namespace {

// One 32-bit half: 1 to 8 hex digits, either case (pg_lsn_in accepts both).
bool ParseHalf(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 8) return false;
  uint32_t v = 0;
  for (char c : s) {
    uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    v = (v << 4) | digit;
  }
  *out = v;
  return true;
}

}  // namespace

bool ParseLsn(std::string_view text, Lsn* out) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  uint32_t hi = 0, lo = 0;
  if (!ParseHalf(text.substr(0, slash), &hi) || !ParseHalf(text.substr(slash + 1), &lo)) {
    return false;
  }
  *out = (static_cast<Lsn>(hi) << 32) | lo;
  return true;
}

std::string FormatLsn(Lsn lsn) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn & 0xffffffffu));
  return buf;
}

}  // namespace walguard

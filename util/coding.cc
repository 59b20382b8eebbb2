#include "util/coding.h"

namespace walguard {

void PutFixed64BE(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(buf, 8);
}

bool GetFixed64BE(std::string_view* input, uint64_t* v) {
  if (input->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>((*input)[i]);
  input->remove_prefix(8);
  *v = r;
  return true;
}

void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

bool GetVarint64(std::string_view* input, uint64_t* v) {
  uint64_t result = 0;
  // A 64-bit varint has at most 10 bytes: the loop is bounded.
  for (size_t i = 0, shift = 0; i < input->size() && shift <= 63; ++i, shift += 7) {
    uint64_t byte = static_cast<uint8_t>((*input)[i]);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      input->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

void PutVarsint64(std::string* dst, int64_t v) {
  PutVarint64(dst, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

bool GetVarsint64(std::string_view* input, int64_t* v) {
  uint64_t u = 0;
  if (!GetVarint64(input, &u)) return false;
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

bool GetLengthPrefixed(std::string_view* input, std::string_view* s) {
  uint64_t len = 0;
  if (!GetVarint64(input, &len) || len > input->size()) return false;
  *s = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace walguard

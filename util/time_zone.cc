#include "util/time_zone.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace walguard {

namespace {

constexpr char kZoneDir[] = "/usr/share/zoneinfo/";
constexpr size_t kHeaderSize = 44;
// Far more than any zone has (New York: 236): bounds a corrupt file.
constexpr uint32_t kMaxTransitions = 10000;
constexpr uint32_t kMaxTypes = 256;

uint32_t Be32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

int64_t Be64(std::string_view in, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return static_cast<int64_t>(v);
}

struct Counts {
  size_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool ReadHeader(std::string_view data, size_t at, Counts* c) {
  if (data.size() < at + kHeaderSize || data.substr(at, 4) != "TZif") return false;
  *c = {Be32(data, at + 20), Be32(data, at + 24), Be32(data, at + 28),
        Be32(data, at + 32), Be32(data, at + 36), Be32(data, at + 40)};
  return c->time <= kMaxTransitions && c->type >= 1 && c->type <= kMaxTypes;
}

size_t BlockSize(const Counts& c, size_t time_size) {
  return c.time * time_size + c.time + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd + c.isut;
}

// The data block at `at`, with times of `time_size` bytes (4: v1, 8: v2+).
Status ReadBlock(std::string_view data, size_t at, const Counts& c, size_t time_size, TimeZone* out) {
  if (data.size() < at + BlockSize(c, time_size)) return Status::Corruption("TZif data block truncated");
  const size_t indices = at + c.time * time_size;
  const size_t types = indices + c.time;
  auto offset_of = [&](size_t type) { return static_cast<int32_t>(Be32(data, types + type * 6)); };
  out->initial_offset = offset_of(0);
  out->transitions.clear();
  out->offsets.clear();
  for (size_t i = 0; i < c.time; ++i) {
    const int64_t t = time_size == 8 ? Be64(data, at + i * 8) : static_cast<int32_t>(Be32(data, at + i * 4));
    const uint8_t type = static_cast<uint8_t>(data[indices + i]);
    if (type >= c.type) return Status::Corruption("TZif transition names an unknown type");
    if (!out->transitions.empty() && t <= out->transitions.back()) return Status::Corruption("TZif not ascending");
    out->transitions.push_back(t);
    out->offsets.push_back(offset_of(type));
  }
  return Status::OK();
}

bool IsUtcName(std::string_view name) {
  return name.empty() || name == "UTC" || name == "GMT" || name == "Etc/UTC" || name == "Etc/GMT" || name == "Z";
}

// Zone names are paths below the zone directory: no way out of it.
bool SafeZoneName(std::string_view name) {
  if (name.front() == '/' || name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-' || c == '+';
  });
}

}  // namespace

Status ParseTzif(std::string_view data, TimeZone* out) {
  Counts v1{};
  if (!ReadHeader(data, 0, &v1)) return Status::Corruption("not a TZif file");
  if (data[4] == '\0') return ReadBlock(data, kHeaderSize, v1, 4, out);
  // Version 2+: a second header and block with 64-bit times follow the first.
  const size_t second = kHeaderSize + BlockSize(v1, 4);
  Counts v2{};
  if (!ReadHeader(data, second, &v2)) return Status::Corruption("TZif version 2 header missing");
  return ReadBlock(data, second + kHeaderSize, v2, 8, out);
}

Status LoadTimeZone(std::string_view name, TimeZone* out) {
  *out = TimeZone();
  out->name = IsUtcName(name) ? "UTC" : std::string(name);
  if (IsUtcName(name)) return Status::OK();
  if (!SafeZoneName(name)) return Status::InvalidArgument("time zone name '" + std::string(name) + "'");
  std::ifstream file(kZoneDir + std::string(name), std::ios::binary);
  if (!file) return Status::NotFound("time zone '" + std::string(name) + "' (no file under " + kZoneDir + ")");
  std::ostringstream contents;
  contents << file.rdbuf();
  Status s = ParseTzif(contents.str(), out);
  if (!s.ok()) return s.WithContext("time zone '" + std::string(name) + "'");
  return Status::OK();
}

namespace {
int64_t FloorSeconds(Micros t) {
  return t >= 0 ? t / kMicrosPerSecond : -((-t + kMicrosPerSecond - 1) / kMicrosPerSecond);
}
}  // namespace

int32_t UtcOffsetSeconds(const TimeZone& zone, Micros t) {
  const auto it = std::upper_bound(zone.transitions.begin(), zone.transitions.end(), FloorSeconds(t));
  if (it == zone.transitions.begin()) return zone.initial_offset;
  return zone.offsets[static_cast<size_t>(it - zone.transitions.begin()) - 1];
}

bool NextTransition(const TimeZone& zone, Micros t, Micros* at) {
  const auto first = std::upper_bound(zone.transitions.begin(), zone.transitions.end(), FloorSeconds(t));
  for (size_t i = static_cast<size_t>(first - zone.transitions.begin()); i < zone.transitions.size(); ++i) {
    const int32_t before = i == 0 ? zone.initial_offset : zone.offsets[i - 1];
    if (zone.offsets[i] == before) continue;  // a change of name or DST flag only
    *at = zone.transitions[i] * kMicrosPerSecond;
    return true;
  }
  return false;
}

}  // namespace walguard

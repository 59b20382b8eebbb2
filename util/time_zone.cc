#include "util/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

namespace walguard {

namespace {

constexpr int64_t kSecondsPerDay = 86'400;
constexpr size_t kHeaderSize = 44;
// A zone file is a few kB; anything far larger is not one.
constexpr size_t kMaxFileSize = 1 << 20;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

uint32_t Be32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}

int64_t Be64(std::string_view b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return static_cast<int64_t>(v);
}

struct Counts {
  size_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
  size_t BlockSize(size_t time_size) const {
    return time * time_size + time + type * 6 + chars + leap * (time_size + 4) + isstd + isut;
  }
};

bool ReadHeader(std::string_view b, size_t at, char* version, Counts* c) {
  if (b.size() < at + kHeaderSize || b.substr(at, 4) != "TZif") return false;
  *version = b[at + 4];
  c->isut = Be32(b, at + 20);
  c->isstd = Be32(b, at + 24);
  c->leap = Be32(b, at + 28);
  c->time = Be32(b, at + 32);
  c->type = Be32(b, at + 36);
  c->chars = Be32(b, at + 40);
  return c->type > 0 && b.size() >= at + kHeaderSize + c->BlockSize(4);
}

bool IsUtcName(std::string_view name) {
  return name == "UTC" || name == "Etc/UTC" || name == "Z" || name == "Etc/UCT" || name == "UCT";
}

}  // namespace

std::string ZoneInfoDir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && dir[0] != '\0' ? dir : "/usr/share/zoneinfo";
}

Status ParseTzif(std::string_view b, TimeZone* out) {
  char version = 0;
  Counts c;
  if (!ReadHeader(b, 0, &version, &c)) return Status::Corruption("not a TZif file");
  size_t at = kHeaderSize;
  size_t time_size = 4;
  if (version >= '2') {
    // The 64-bit block follows the 32-bit one, with its own header.
    at += c.BlockSize(4);
    if (!ReadHeader(b, at, &version, &c)) return Status::Corruption("TZif version 2 header missing");
    at += kHeaderSize;
    time_size = 8;
  }
  if (b.size() < at + c.BlockSize(time_size)) return Status::Corruption("TZif file is truncated");
  const size_t indices = at + c.time * time_size;
  const size_t types = indices + c.time;
  auto offset_of = [&](size_t type) { return static_cast<int32_t>(Be32(b, types + type * 6)); };
  out->transitions.clear();
  out->offsets.clear();
  out->initial = offset_of(0);
  for (size_t i = 0; i < c.time; ++i) {
    const int64_t when = time_size == 8 ? Be64(b, at + i * 8) : static_cast<int32_t>(Be32(b, at + i * 4));
    const size_t type = static_cast<uint8_t>(b[indices + i]);
    if (type >= c.type) return Status::Corruption("TZif transition names a missing type");
    if (!out->transitions.empty() && when <= out->transitions.back()) {
      return Status::Corruption("TZif transitions are not ascending");
    }
    out->transitions.push_back(when);
    out->offsets.push_back(offset_of(type));
  }
  return Status::OK();
}

Status LoadTimeZone(std::string_view name, TimeZone* out) {
  *out = TimeZone();
  out->name = std::string(name);
  if (IsUtcName(name)) return Status::OK();
  const std::string text(name);
  // An IANA name: letters, digits, '/', '_', '-', '+'; never a path out of zoneinfo.
  const bool plain =
      !text.empty() && text.front() != '/' && text.find("..") == std::string::npos &&
      std::all_of(text.begin(), text.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' || ch == '+';
      });
  const std::filesystem::path path = std::filesystem::path(ZoneInfoDir()) / text;
  std::error_code ec;
  if (!plain || !std::filesystem::is_regular_file(path, ec)) {
    return Status::InvalidArgument("\"" + text + "\" is not a time zone of " + ZoneInfoDir());
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string data = bytes.str();
  if (!in || data.size() > kMaxFileSize) return Status::Corruption("cannot read " + path.string());
  Status s = ParseTzif(data, out);
  out->name = text;
  if (!s.ok()) return Status::Corruption(path.string() + ": " + s.message());
  return Status::OK();
}

int32_t UtcOffsetAt(const TimeZone& zone, Micros t) {
  const int64_t secs = FloorDiv(t, kMicrosPerSecond);
  auto it = std::upper_bound(zone.transitions.begin(), zone.transitions.end(), secs);
  if (it == zone.transitions.begin()) return zone.initial;
  return zone.offsets[static_cast<size_t>(it - zone.transitions.begin()) - 1];
}

bool NextTransition(const TimeZone& zone, Micros t, Micros* at) {
  const int64_t secs = FloorDiv(t, kMicrosPerSecond);
  auto it = std::upper_bound(zone.transitions.begin(), zone.transitions.end(), secs);
  if (it == zone.transitions.end()) return false;
  *at = *it * kMicrosPerSecond;
  return true;
}

int32_t LocalDate(const TimeZone& zone, Micros t) {
  const int64_t local = FloorDiv(t, kMicrosPerSecond) + UtcOffsetAt(zone, t);
  return static_cast<int32_t>(FloorDiv(local, kSecondsPerDay));
}

Micros NextLocalDay(const TimeZone& zone, Micros t) {
  const int32_t today = LocalDate(zone, t);
  const int64_t midnight = (int64_t{today} + 1) * kSecondsPerDay;  // local seconds
  int64_t at = midnight - UtcOffsetAt(zone, t);
  // The offset at midnight may differ from the offset now: settle on it.
  for (int i = 0; i < 4; ++i) {
    const int64_t next = midnight - UtcOffsetAt(zone, at * kMicrosPerSecond);
    if (next == at) break;
    at = next;
  }
  // A transition that skips midnight: the day starts later.
  for (int i = 0; i < 96 && LocalDate(zone, at * kMicrosPerSecond) <= today; ++i) at += int64_t{15} * 60;
  return std::max(at * kMicrosPerSecond, t + 1);
}

const TimeZone& CachedTimeZone(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<TimeZone>, std::less<>> zones;
  std::lock_guard<std::mutex> lock(mu);
  auto it = zones.find(name);
  if (it != zones.end()) return *it->second;
  auto zone = std::make_unique<TimeZone>();
  if (!LoadTimeZone(name, zone.get()).ok()) {
    *zone = TimeZone();
    zone->name = "UTC";
  }
  return *zones.emplace(std::string(name), std::move(zone)).first->second;
}

}  // namespace walguard

#include "util/cron_schedule.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

namespace walguard {

namespace {

constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;
constexpr Micros kHorizon = Micros{8} * 366 * kMicrosPerDay;
// Each step moves to the next candidate minute, hour, day or month: a year
// of the sparsest schedule takes a few hundred.
constexpr int kMaxSteps = 100000;

struct Field {
  const char* name;
  int min, max;
  std::array<const char*, 12> names;  // names[i] is value min + i; empty when the field has none
};

constexpr Field kMinute{"minute", 0, 59, {}};
constexpr Field kHour{"hour", 0, 23, {}};
constexpr Field kDay{"day of month", 1, 31, {}};
constexpr Field kMonth{
    "month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
// 7 is Sunday too: the range runs to 7 and bit 7 folds onto bit 0.
constexpr Field kWeekday{"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseNumber(std::string_view s, int* out) {
  if (s.empty() || s.size() > 3) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ParseValue(const Field& f, std::string_view s, int* out) {
  if (ParseNumber(s, out)) return *out >= f.min && *out <= f.max;
  const std::string name = Lower(s);
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (f.names[i] != nullptr && name == f.names[i]) {
      *out = f.min + static_cast<int>(i);
      return true;
    }
  }
  return false;
}

Status Bad(const Field& f, std::string_view item) {
  return Status::InvalidArgument(std::string("cron schedule: ") + f.name + " '" + std::string(item) + "'");
}

// One comma-separated item: `*`, `N`, `N-M`, each with an optional `/S`.
Status ParseItem(const Field& f, std::string_view item, uint64_t* bits) {
  int lo = f.min, hi = f.max, step = 1;
  std::string_view range = item;
  if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
    if (!ParseNumber(item.substr(slash + 1), &step) || step < 1) return Bad(f, item);
    range = item.substr(0, slash);
  }
  if (range != "*") {
    const size_t dash = range.find('-');
    if (!ParseValue(f, range.substr(0, dash), &lo)) return Bad(f, item);
    hi = lo;
    if (dash != std::string_view::npos) {
      if (!ParseValue(f, range.substr(dash + 1), &hi) || hi < lo) return Bad(f, item);
    } else if (step > 1 || item.find('/') != std::string_view::npos) {
      hi = f.max;  // "N/S": from N to the end
    }
  }
  for (int v = lo; v <= hi; v += step) *bits |= uint64_t{1} << v;
  return Status::OK();
}

Status ParseField(const Field& f, std::string_view text, uint64_t* bits) {
  *bits = 0;
  for (size_t begin = 0; begin <= text.size();) {
    size_t comma = text.find(',', begin);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(begin, comma - begin);
    if (item.empty()) return Bad(f, text);
    WG_RETURN_IF_ERROR(ParseItem(f, item, bits));
    begin = comma + 1;
  }
  return Status::OK();
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const size_t begin = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > begin) out.push_back(s.substr(begin, i - begin));
  }
  return out;
}

std::string_view Shorthand(std::string_view name) {
  if (name == "@yearly" || name == "@annually") return "0 0 1 1 *";
  if (name == "@monthly") return "0 0 1 * *";
  if (name == "@weekly") return "0 0 * * 0";
  if (name == "@daily" || name == "@midnight") return "0 0 * * *";
  if (name == "@hourly") return "0 * * * *";
  return {};
}

Status ParseFields(const std::vector<std::string_view>& fields, CronSchedule* out) {
  uint64_t bits = 0;
  WG_RETURN_IF_ERROR(ParseField(kMinute, fields[0], &out->minutes));
  WG_RETURN_IF_ERROR(ParseField(kHour, fields[1], &bits));
  out->hours = static_cast<uint32_t>(bits);
  WG_RETURN_IF_ERROR(ParseField(kDay, fields[2], &bits));
  out->days = static_cast<uint32_t>(bits);
  WG_RETURN_IF_ERROR(ParseField(kMonth, fields[3], &bits));
  out->months = static_cast<uint32_t>(bits);
  WG_RETURN_IF_ERROR(ParseField(kWeekday, fields[4], &bits));
  out->weekdays = static_cast<uint32_t>((bits | (bits >> 7)) & 0x7f);
  out->day_star = fields[2].front() == '*';
  out->weekday_star = fields[4].front() == '*';
  return Status::OK();
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

bool DayMatches(const CronSchedule& s, int day, int64_t days_since_epoch) {
  const int weekday = static_cast<int>(((days_since_epoch + 4) % 7 + 7) % 7);  // 1970-01-01: Thursday
  const bool dom = (s.days >> day) & 1;
  const bool dow = (s.weekdays >> weekday) & 1;
  return s.day_star || s.weekday_star ? dom && dow : dom || dow;
}

// The next set bit at or after `from` below `limit`, or -1.
int NextBit(uint64_t bits, int from, int limit) {
  for (int v = from; v < limit; ++v) {
    if ((bits >> v) & 1) return v;
  }
  return -1;
}

}  // namespace

Status ParseCronSchedule(std::string_view text, CronSchedule* out) {
  *out = CronSchedule();
  const std::vector<std::string_view> words = SplitSpaces(text);
  if (words.size() == 2 && (Lower(words[1]) == "seconds" || Lower(words[1]) == "second")) {
    int n = 0;
    if (!ParseNumber(words[0], &n) || n < 1 || n > 59) {
      return Status::InvalidArgument("cron schedule: '" + std::string(text) + "' (1 to 59 seconds)");
    }
    out->every = n * kMicrosPerSecond;
    return Status::OK();
  }
  if (words.size() == 1 && words[0].front() == '@') {
    const std::string_view expanded = Shorthand(Lower(words[0]));
    if (expanded.empty()) return Status::InvalidArgument("cron schedule: '" + std::string(text) + "' has no interval");
    return ParseFields(SplitSpaces(expanded), out);
  }
  if (words.size() != 5) {
    return Status::InvalidArgument("cron schedule: '" + std::string(text) + "' does not have five fields");
  }
  return ParseFields(words, out);
}

bool NextCronRun(const CronSchedule& s, const TimeZone& zone, Micros after, Micros* next) {
  if (s.every > 0) {
    *next = after + s.every;
    return true;
  }
  Micros t = FloorDiv(after, kMicrosPerMinute) * kMicrosPerMinute + kMicrosPerMinute;
  for (int step = 0; step < kMaxSteps && t <= after + kHorizon; ++step) {
    const Micros offset = Micros{UtcOffsetAt(zone, t)} * kMicrosPerSecond;
    const Micros local = t + offset;
    const int64_t days = FloorDiv(local, kMicrosPerDay);
    const int minute_of_day = static_cast<int>((local - days * kMicrosPerDay) / kMicrosPerMinute);
    const int hour = minute_of_day / 60, minute = minute_of_day % 60;
    int64_t year = 0;
    int month = 0, day = 0;
    CivilFromDays(days, &year, &month, &day);
    // Jumps to a later wall time, but never past an offset change: until
    // then the offset, and so the wall time -> instant mapping, is fixed.
    Micros transition = 0;
    const bool has_transition = NextTransition(zone, t, &transition);
    auto jump = [&](Micros local_target) {
      t = local_target - offset;
      if (has_transition && transition < t)
        t = FloorDiv(transition + kMicrosPerMinute - 1, kMicrosPerMinute) * kMicrosPerMinute;
    };
    if (!((s.months >> month) & 1)) {
      jump(DaysFromCivil(month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1, 1) * kMicrosPerDay);
    } else if (!DayMatches(s, day, days)) {
      jump((days + 1) * kMicrosPerDay);
    } else if (!((s.hours >> hour) & 1)) {
      jump(days * kMicrosPerDay + (hour + 1) * kMicrosPerHour);
    } else if (const int m = NextBit(s.minutes, minute, 60); m != minute) {
      jump(days * kMicrosPerDay + hour * kMicrosPerHour + (m < 0 ? 60 : m) * kMicrosPerMinute);
    } else {
      *next = t;
      return true;
    }
  }
  return false;
}

bool CronInterval(const CronSchedule& s, const TimeZone& zone, Micros start, Micros* interval) {
  Micros first = 0, second = 0;
  if (!NextCronRun(s, zone, start, &first) || !NextCronRun(s, zone, first, &second)) return false;
  *interval = std::max(first - start, second - first);
  return true;
}

}  // namespace walguard

#include "processors/business_day.h"

#include <string>

#include "core/key_layout.h"
#include "processors/reserve_rules.h"
#include "util/time_zone.h"

namespace walguard {

int32_t BusinessToday(const Thresholds& t, Micros now) {
  return LocalDate(CachedTimeZone(t.business_timezone), now);
}

Status TouchWhenTheDayChanges(ApplyContext* ctx, Micros previous) {
  if (previous <= 0 || ctx->now <= previous) return Status::OK();
  const TimeZone& zone = CachedTimeZone(ctx->thresholds->business_timezone);
  if (LocalDate(zone, previous) == LocalDate(zone, ctx->now)) return Status::OK();
  const std::pair<const AlertType*, EntityKind> kDateBound[] = {
      {&kOverbooking, EntityKind::kUnit},
      {&kCalendarDrift, EntityKind::kUnitDate},
      {&kCalendarOvercommitted, EntityKind::kUnitDate},
  };
  for (const auto& [type, kind] : kDateBound) {
    const std::string prefix = std::string(1, keys::kFiring) + Fingerprint(*type, "");
    WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&, kind = kind](std::string_view key, std::string_view) {
      ctx->Touch(kind, key.substr(prefix.size()));
      return true;
    }));
  }
  return Status::OK();
}

}  // namespace walguard

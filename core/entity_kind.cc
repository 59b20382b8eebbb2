#include "core/entity_kind.h"

#include <utility>

namespace walguard {

namespace {
constexpr std::pair<EntityKind, std::string_view> kNames[] = {
    {EntityKind::kTier, "tier"},
    {EntityKind::kOrder, "order"},
    {EntityKind::kEvent, "event"},
    {EntityKind::kPayment, "payment"},
    {EntityKind::kBookingIntent, "booking_intent"},
    {EntityKind::kUnit, "unit"},
    {EntityKind::kUnitDate, "unit_date"},
    {EntityKind::kProvider, "provider"},
    {EntityKind::kLedgerTransaction, "ledger_transaction"},
    {EntityKind::kCronJob, "cron_job"},
};
}  // namespace

std::string_view EntityKindName(EntityKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return {};
}

std::optional<EntityKind> EntityKindFromName(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace walguard

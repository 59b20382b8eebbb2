// The entities rules are evaluated for.
#pragma once

#include <optional>
#include <string_view>

namespace walguard {

// FROZEN (core/key_layout.h): the char is also the key-space tag of the
// entity's aggregates ('A' | kind | id), so a value never changes.
enum class EntityKind : char {
  kTier = 't',
  kOrder = 'o',
  kEvent = 'e',
  kPayment = 'p',
  kBookingIntent = 'b',
  kUnit = 'u',
  kUnitDate = 'd',  // id "<unit_id>/<YYYY-MM-DD>"
  kProvider = 'v',
  kLedgerTransaction = 'l',
  kCronJob = 'c',  // id: the jobname, or the jobid as text when unnamed
  // Aggregate tag only (never evaluated): a provider's webhook counters.
  kProviderWebhooks = 'w',
  // Aggregate tag only: a provider's failed payments in the rate window per
  // error code, id "<provider>\0<error_code>".
  kProviderErrorCode = 'c',
};

// The entity.kind of messages: "tier", "unit_date", ... ("" for the aggregate-only tags).
std::string_view EntityKindName(EntityKind kind);

// The kind named `name` in messages, if rules are evaluated for it.
std::optional<EntityKind> EntityKindFromName(std::string_view name);

}  // namespace walguard

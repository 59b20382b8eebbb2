// What the Reserve Connect rules (runbook 002) know of one entity: its row
// image, indexes and aggregates, read once per evaluation by the entity's
// facts loader and then handed to every rule of the entity (rule_registry.h).
// Reserve alerts carry no event_id, so event_id stays empty.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/entity_kind.h"
#include "processors/apply_context.h"
#include "processors/reserve_apply.h"
#include "util/decimal.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct PaymentFacts {
  static constexpr EntityKind kKind = EntityKind::kPayment;
  std::string id;
  std::string event_id;
  bool exists = false;
  std::string status, method;
  bool has_created = false, has_succeeded = false;
  Micros created = 0, succeeded = 0;
  int64_t intent_reservations = 0;  // of its booking intent
  Micros now = 0;                   // the WAL clock
  std::string details = "{}";       // the row's figures, shared by the payment rules
  std::string args;                 // {"payment_id":...}
};

struct BookingIntentFacts {
  static constexpr EntityKind kKind = EntityKind::kBookingIntent;
  std::string id;
  std::string event_id;
  int64_t succeeded = 0;  // 'succeeded' payments
  Decimal total;          // their amounts
  std::string latest_id;  // the latest success (by succeeded_at, then id)
  bool has_latest_at = false;
  Micros latest_at = 0;  // its succeeded_at, when known (double_charge's lookback)
  Micros now = 0;        // the WAL clock
};

struct UnitFacts {
  static constexpr EntityKind kKind = EntityKind::kUnit;
  std::string id;
  std::string event_id;
  bool overbooked = false;
  int32_t first_date = 0;  // the first overbooked date
  int64_t active = 0;      // active reservations on it
  int64_t allotment = 1;   // 1 without a calendar row
};

struct UnitDateFacts {
  static constexpr EntityKind kKind = EntityKind::kUnitDate;
  std::string id;  // "<unit_id>/<YYYY-MM-DD>"
  std::string event_id;
  std::string unit;
  int32_t date = 0;
  bool has_calendar = false;
  int64_t bookings_count = 0;  // the calendar row's
  int64_t active = 0;          // active reservations on the date
};

struct ProviderFacts {
  static constexpr EntityKind kKind = EntityKind::kProvider;
  std::string id;  // the provider name
  std::string event_id;
  PaymentWindowAgg payments;
  WebhookAgg webhooks;
};

struct LedgerEntry {
  std::string id;
  IndexedLedgerEntry e;
  Decimal amount;
};

struct LedgerTransactionFacts {
  static constexpr EntityKind kKind = EntityKind::kLedgerTransaction;
  std::string id;
  std::string event_id;
  std::vector<LedgerEntry> entries;
  Decimal debit, credit;
  Micros newest_created = 0;  // the newest entry's created_at (ledger_imbalance's lookback); 0: unknown
  Micros now = 0;             // the WAL clock
};

Status LoadFacts(ApplyContext* ctx, const std::string& id, PaymentFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, BookingIntentFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, UnitFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, UnitDateFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, ProviderFacts* out);
Status LoadFacts(ApplyContext* ctx, const std::string& id, LedgerTransactionFacts* out);

// The alert's `context` (CONTRACT 3.1): a JSON object of the names and ids the
// on-call engineer acts on, null where unknown.
std::string ContextOf(const PaymentFacts& f);
std::string ContextOf(const BookingIntentFacts& f);
std::string ContextOf(const UnitFacts& f);
std::string ContextOf(const UnitDateFacts& f);
std::string ContextOf(const ProviderFacts& f);
std::string ContextOf(const LedgerTransactionFacts& f);

}  // namespace walguard

// What the Reserve Connect rules (runbook 002) know of one entity: its row
// image, indexes and aggregates, read once per evaluation by the entity's
// facts loader and then handed to every rule of the entity (rule_registry.h).
// Reserve alerts carry no event_id, so event_id stays empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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
  // Context (CONTRACT 3.1); nullopt: unknown, shown as null.
  std::optional<std::string> provider, amount, gateway_payment_id, booking_intent_id, error_code;
  std::optional<std::string> unit_id, check_in, check_out;  // LoadContext: of its booking intent
};

// A succeeded payment of a booking intent, as its context lists it.
struct SucceededPayment {
  std::string id;
  std::string amount;  // exact decimal text
  std::optional<std::string> succeeded_at;
  Micros at = 0;                                  // succeeded_at, for the order
  std::optional<std::string> gateway_payment_id;  // LoadContext
};

struct BookingIntentFacts {
  static constexpr EntityKind kKind = EntityKind::kBookingIntent;
  std::string id;
  std::string event_id;
  int64_t succeeded = 0;  // 'succeeded' payments
  Decimal total;          // their amounts
  std::string latest_id;  // the latest success (by succeeded_at, then id)
  // Context: the first kContextListLimit successes by succeeded_at, then id.
  std::vector<SucceededPayment> payments;
  std::optional<std::string> unit_id, check_in, check_out;  // LoadContext
  bool has_latest_at = false;
  Micros latest_at = 0;  // its succeeded_at, when known (double_charge's lookback)
  Micros now = 0;        // the WAL clock
};

struct UnitFacts {
  static constexpr EntityKind kKind = EntityKind::kUnit;
  std::string id;
  std::string event_id;
  int32_t today = 0;        // the business day (business_day.h)
  bool overbooked = false;  // on some date >= today
  int32_t first_date = 0;   // the first such date
  int64_t active = 0;       // active reservations on it
  int64_t allotment = 1;    // 1 without a calendar row
  bool passed = false;      // not overbooked, but some date before today still is
  // Context: the active reservations on first_date, at most kContextListLimit (LoadContext).
  std::vector<std::string> reservation_ids;
};

struct UnitDateFacts {
  static constexpr EntityKind kKind = EntityKind::kUnitDate;
  std::string id;  // "<unit_id>/<YYYY-MM-DD>"
  std::string event_id;
  std::string unit;
  int32_t date = 0;
  std::string day;    // the date as FormatDate writes it, for the messages
  int32_t today = 0;  // the business day (business_day.h)
  bool has_calendar = false;
  int64_t bookings_count = 0;  // the calendar row's
  int64_t allotment = 0;       // the calendar row's
  // The calendar row's; nullopt when null or without the column (the rules
  // read it as 0, the context shows null).
  std::optional<int64_t> temp_holds;
  int64_t active = 0;  // active reservations on the date
};

struct ProviderFacts {
  static constexpr EntityKind kKind = EntityKind::kProvider;
  std::string id;  // the provider name
  std::string event_id;
  PaymentWindowAgg payments;
  WebhookAgg webhooks;
  // Failed payments in the rate window per error code, in code order.
  std::vector<std::pair<std::string, int64_t>> by_error_code;
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

// Lists in a context stop at this many items (a unit's reservations on one
// date, a booking intent's successes, a transaction's entries), so an alert
// stays small whatever the data.
inline constexpr size_t kContextListLimit = 20;

// What only the context needs beyond the facts (a booking intent's dates,
// gateway ids, a unit's reservations): read when an alert of the entity fires
// or resolves, never on every evaluation (rule_registry.cc, EvaluateRules).
// Nothing to read for the other kinds.
Status LoadContext(ApplyContext* ctx, PaymentFacts* f);
Status LoadContext(ApplyContext* ctx, BookingIntentFacts* f);
Status LoadContext(ApplyContext* ctx, UnitFacts* f);
inline Status LoadContext(ApplyContext*, UnitDateFacts*) {
  return Status::OK();
}
inline Status LoadContext(ApplyContext*, ProviderFacts*) {
  return Status::OK();
}
inline Status LoadContext(ApplyContext*, LedgerTransactionFacts*) {
  return Status::OK();
}

// The alert's `context` (CONTRACT 3.1): a JSON object of the names and ids the
// on-call engineer acts on, null where unknown (alert_context.cc).
std::string ContextOf(const PaymentFacts& f);
std::string ContextOf(const BookingIntentFacts& f);
std::string ContextOf(const UnitFacts& f);
std::string ContextOf(const UnitDateFacts& f);
std::string ContextOf(const ProviderFacts& f);
std::string ContextOf(const LedgerTransactionFacts& f);

}  // namespace walguard

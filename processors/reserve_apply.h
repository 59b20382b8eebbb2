// How each Reserve Connect row contributes to walguard's state (runbook 002).
//
// Same protocol as ticketing_apply.h: a row is accounted (+1) when stored and
// retracted (-1), with exactly the same contribution, before it changes.
//  - payments: the per-intent payment index ('P'), the provider's settled
//    payments inside the rate window (aggregate + timer to leave it), and
//    timers for the payment's own deadlines.
//  - reservations: the intent's reservation count and, when active, an
//    occupancy range netted at the end of the step (occupancy.h).
//  - ledger entries: the per-transaction entry index ('L').
//  - calendar rows: the date's allotment, so its overbooked flag is refreshed.
//  - webhooks: the provider's recent failures and stuck 'processing' ones.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "processors/apply_context.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/status.h"

namespace walguard {

Status CheckReserveRow(TableId table, const RowImage& image);

Status AccountReserveRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign);

// Key prefixes of the per-intent payment index and the per-transaction ledger index.
std::string PaymentIndexPrefix(std::string_view intent_id);
std::string LedgerIndexPrefix(std::string_view transaction_id);

struct IndexedPayment {
  std::string status;
  bool has_succeeded_at = false;
  Micros succeeded_at = 0;
  std::string amount;  // exact decimal text
};
bool DecodeIndexedPayment(std::string_view value, IndexedPayment* out);

struct IndexedLedgerEntry {
  std::string direction;
  std::string account;
  std::string amount;  // exact decimal text
  Micros created_at = 0;
};
bool DecodeIndexedLedgerEntry(std::string_view value, IndexedLedgerEntry* out);

// Aggregates of the reserve entities.
struct IntentAgg {
  enum : int { kReservations, kCount };
  std::array<int64_t, kCount> v{};
};
struct PaymentWindowAgg {  // per provider, settled payments created inside the rate window
  enum : int { kSucceeded, kFailed, kCount };
  std::array<int64_t, kCount> v{};
};
struct WebhookAgg {  // per provider
  // kStuckHistorical: the stuck 'processing' ones older than webhook_failures_lookback.
  enum : int { kFailedRecent, kStuckProcessing, kStuckHistorical, kCount };
  std::array<int64_t, kCount> v{};
};

}  // namespace walguard

// How each Reserve Connect row contributes to walguard's state (runbook 002).
//
// Same protocol as ticketing_apply.h: a row is accounted (+1) when stored and
// retracted (-1), with exactly the same contribution, before it changes.
//  - payments: the per-intent payment index ('P'), the provider's settled
//    payments inside the rate window (aggregate + timer to leave it; failed
//    ones also per error code), its overdue card payments awaiting a
//    webhook, and timers for the payment's own deadlines.
//  - reservations: the intent's reservation count and, when active, an
//    occupancy range netted at the end of the step (occupancy.h).
//  - ledger entries: the per-transaction entry index ('L').
//  - calendar rows: the date's allotment, so its overbooked flag is refreshed.
//  - webhooks: the provider's recent failures and stuck 'processing' ones,
//    and how many it received lately (webhook_silence).
//  - booking intents: nothing but their stored image, read for context.
// Active reservations are also indexed by unit for context (context_index.h).
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

// The id of a provider's per-error-code counter (EntityKind::kProviderErrorCode),
// and the prefix of all of them.
std::string ErrorCodeAggId(std::string_view provider, std::string_view error_code);
std::string ErrorCodeAggPrefix(std::string_view provider);

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
// Per provider: settled payments created inside the rate window (a 'failed'
// one with a benign error code counts as kBenign, not kFailed), and 'card'
// payments still 'pending'/'processing' past webhook_silence_pending_after.
struct PaymentWindowAgg {
  enum : int { kSucceeded, kFailed, kBenign, kAwaitingWebhook, kCount };
  std::array<int64_t, kCount> v{};
};
struct ErrorCodeAgg {  // per provider and error code: failed payments in the rate window
  enum : int { kFailed, kCount };
  std::array<int64_t, kCount> v{};
};
struct WebhookAgg {  // per provider; kReceivedRecent: any status, inside webhook_silence_window
  // kStuckHistorical: the stuck 'processing' ones older than webhook_failures_lookback.
  enum : int { kFailedRecent, kStuckProcessing, kReceivedRecent, kStuckHistorical, kCount };
  std::array<int64_t, kCount> v{};
};

}  // namespace walguard

#include "processors/reserve_apply.h"

#include "core/key_layout.h"
#include "processors/aggregates.h"
#include "processors/context_index.h"
#include "processors/occupancy.h"
#include "processors/timers.h"
#include "util/coding.h"
#include "util/decimal.h"

namespace walguard {

namespace {

// Longer stays are data errors (a check_out of 9999-12-31 would cost millions
// of per-date writes): they are dead-lettered rather than accounted.
constexpr int32_t kMaxStayNights = 3660;

bool IsActiveReservation(std::string_view status) {
  return status == "host_commit_pending" || status == "confirmed" || status == "checked_in";
}

Status CheckDecimal(TableId table, const RowImage& img, int col) {
  Decimal d;
  Status s = Decimal::Parse(CellText(img, col), &d);
  if (!s.ok()) return Status::InvalidArgument("column " + Spec(table).columns[col] + ": " + s.message());
  return Status::OK();
}

Status TimeOf(TableId table, const RowImage& img, int col, Micros* t, bool* known) {
  bool is_null = true;
  WG_RETURN_IF_ERROR(CellTime(Spec(table), img, col, t, &is_null));
  *known = !is_null;
  return Status::OK();
}

Status DateOf(TableId table, const RowImage& img, int col, int32_t* date) {
  if (!ParseDate(CellText(img, col), date)) {
    return Status::InvalidArgument("column " + Spec(table).columns[col] +
                                   " is not a date: " + std::string(CellText(img, col)));
  }
  return Status::OK();
}

// Keeps the earliest deadline strictly after now.
void Earliest(Micros now, Micros candidate, bool* has, Micros* deadline) {
  if (candidate <= now) return;
  if (!*has || candidate < *deadline) *deadline = candidate;
  *has = true;
}

// Bits of a payment image's `accounted`: what its last accounting added to
// the provider's aggregates, so retraction subtracts exactly that even if
// the settings changed in between.
enum PaymentFlags : int64_t {
  kInRateWindow = 1,     // settled, created inside the rate window
  kBenignDecline = 2,    // ... and 'failed' with a benign error code
  kAwaitingWebhook = 4,  // 'card', 'pending'/'processing' past webhook_silence_pending_after
};

bool IsBenign(const Thresholds& t, std::string_view error_code) {
  if (error_code.empty()) return false;
  for (const std::string& code : t.benign_error_codes) {
    if (code == error_code) return true;
  }
  return false;
}

// The flags of a payment at ctx->now, and the earliest deadline at which they
// (or the payment's own rules) change.
int64_t PaymentFlagsNow(const ApplyContext& ctx, const RowImage& img, Micros created, bool has_created,
                        bool* has_deadline, Micros* deadline) {
  const Thresholds& t = *ctx.thresholds;
  const std::string_view status = CellText(img, payment_col::kStatus);
  const bool settled = status == "succeeded" || status == "failed";
  int64_t flags = 0;
  if (settled && has_created && ctx.now < created + t.payment_rate_window) {
    flags |= kInRateWindow;
    if (status == "failed" && IsBenign(t, CellText(img, payment_col::kErrorCode))) {
      flags |= kBenignDecline;
    }
    Earliest(ctx.now, created + t.payment_rate_window, has_deadline, deadline);
  }
  if ((status == "pending" || status == "processing") && has_created && CellText(img, payment_col::kMethod) == "card") {
    if (ctx.now >= created + t.webhook_silence_pending_after) {
      flags |= kAwaitingWebhook;
    } else {
      Earliest(ctx.now, created + t.webhook_silence_pending_after, has_deadline, deadline);
    }
  }
  return flags;
}

// The provider's aggregates for a payment with `flags`, signed.
Status AddPaymentToProvider(ApplyContext* ctx, const RowImage& img, int64_t flags, int sign) {
  const std::string_view provider = CellText(img, payment_col::kProvider);
  const std::string_view status = CellText(img, payment_col::kStatus);
  PaymentWindowAgg d;
  if ((flags & kInRateWindow) != 0) {
    const int kind = status == "succeeded"           ? PaymentWindowAgg::kSucceeded
                     : (flags & kBenignDecline) != 0 ? PaymentWindowAgg::kBenign
                                                     : PaymentWindowAgg::kFailed;
    d.v[kind] = sign;
  }
  if ((flags & kAwaitingWebhook) != 0) d.v[PaymentWindowAgg::kAwaitingWebhook] = sign;
  if (flags != 0) WG_RETURN_IF_ERROR(AddTo(ctx->kv, EntityKind::kProvider, provider, d));
  // By error code: every failed one in the window that has a code (null reads as "").
  if ((flags & kInRateWindow) == 0 || status != "failed" || CellText(img, payment_col::kErrorCode).empty()) {
    return Status::OK();
  }
  ErrorCodeAgg one;
  one.v[ErrorCodeAgg::kFailed] = sign;
  return AddTo(ctx->kv, EntityKind::kProviderErrorCode,
               ErrorCodeAggId(provider, CellText(img, payment_col::kErrorCode)), one);
}

Status AccountPayment(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  const Thresholds& t = *ctx->thresholds;
  const std::string_view intent = CellText(*img, payment_col::kIntentId);
  const std::string_view provider = CellText(*img, payment_col::kProvider);
  const std::string_view status = CellText(*img, payment_col::kStatus);
  Micros created = 0, succeeded = 0;
  bool has_created = false, has_succeeded = false;
  WG_RETURN_IF_ERROR(TimeOf(TableId::kPayments, *img, payment_col::kCreatedAt, &created, &has_created));
  WG_RETURN_IF_ERROR(TimeOf(TableId::kPayments, *img, payment_col::kSucceededAt, &succeeded, &has_succeeded));

  const std::string index_key = PaymentIndexPrefix(intent) + key;
  if (sign > 0) {
    std::string v;
    PutLengthPrefixed(&v, status);
    PutVarint64(&v, has_succeeded ? 1 : 0);
    PutVarsint64(&v, succeeded);
    PutLengthPrefixed(&v, CellText(*img, payment_col::kAmount));
    ctx->kv->Put(index_key, v);
  } else {
    ctx->kv->Delete(index_key);
  }

  bool has_deadline = false;
  Micros deadline = 0;
  int64_t flags = img->accounted;
  if (sign > 0) {
    flags = PaymentFlagsNow(*ctx, *img, created, has_created, &has_deadline, &deadline);
    if (status == "succeeded" && (has_succeeded || has_created)) {
      Earliest(ctx->now, (has_succeeded ? succeeded : created) + t.payment_without_reservation_after, &has_deadline,
               &deadline);
    }
    if (status == "processing" && has_created)
      Earliest(ctx->now, created + t.stuck_payment_after + 1, &has_deadline, &deadline);
    if (status == "pending" && has_created && CellText(*img, payment_col::kMethod) == "pix") {
      Earliest(ctx->now, created + t.pix_pending_after + 1, &has_deadline, &deadline);
    }
    img->accounted = flags;
  }
  UpdateRowTimer(ctx->kv, TableId::kPayments, key, img, sign, has_deadline, deadline);
  ctx->Touch(EntityKind::kPayment, key);
  ctx->Touch(EntityKind::kBookingIntent, intent);
  ctx->Touch(EntityKind::kProvider, provider);
  return AddPaymentToProvider(ctx, *img, flags, sign);
}

Status AccountReservation(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  const std::string_view intent = CellText(*img, reservation_col::kIntentId);
  const std::string_view unit = CellText(*img, reservation_col::kUnitId);
  if (!intent.empty()) {
    IntentAgg d;
    d.v[IntentAgg::kReservations] = sign;
    WG_RETURN_IF_ERROR(AddTo(ctx->kv, EntityKind::kBookingIntent, intent, d));
    // payment_without_reservation is a payment's rule: re-evaluate the intent's payments.
    const std::string prefix = PaymentIndexPrefix(intent);
    WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view k, std::string_view) {
      ctx->Touch(EntityKind::kPayment, k.substr(prefix.size()));
      return true;
    }));
  }
  ctx->Touch(EntityKind::kUnit, unit);
  if (!IsActiveReservation(CellText(*img, reservation_col::kStatus))) return Status::OK();
  int32_t check_in = 0, check_out = 0;
  WG_RETURN_IF_ERROR(DateOf(TableId::kReservations, *img, reservation_col::kCheckIn, &check_in));
  WG_RETURN_IF_ERROR(DateOf(TableId::kReservations, *img, reservation_col::kCheckOut, &check_out));
  ctx->occupancy.push_back({std::string(unit), check_in, check_out, sign});
  SetBooked(ctx->kv, unit, check_in, check_out, key, sign > 0);
  return Status::OK();
}

Status AccountLedgerEntry(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  const std::string_view txn = CellText(*img, ledger_col::kTransactionId);
  const std::string index_key = LedgerIndexPrefix(txn) + key;
  ctx->Touch(EntityKind::kLedgerTransaction, txn);
  if (sign < 0) {
    ctx->kv->Delete(index_key);
    return Status::OK();
  }
  Micros created = 0;
  bool known = false;
  WG_RETURN_IF_ERROR(TimeOf(TableId::kLedgerEntries, *img, ledger_col::kCreatedAt, &created, &known));
  std::string v;
  PutLengthPrefixed(&v, CellText(*img, ledger_col::kDirection));
  PutLengthPrefixed(&v, CellText(*img, ledger_col::kAccount));
  PutLengthPrefixed(&v, CellText(*img, ledger_col::kAmount));
  PutVarsint64(&v, created);
  ctx->kv->Put(index_key, v);
  return Status::OK();
}

Status AccountCalendar(ApplyContext* ctx, RowImage* img, int sign) {
  int32_t date = 0;
  WG_RETURN_IF_ERROR(DateOf(TableId::kAvailabilityCalendar, *img, calendar_col::kDate, &date));
  int64_t allotment = -1;  // retracted: the date falls back to "no calendar row"
  if (sign > 0) {
    WG_RETURN_IF_ERROR(CellInt(Spec(TableId::kAvailabilityCalendar), *img, calendar_col::kAllotment, &allotment));
  }
  return RefreshOverbooked(ctx, CellText(*img, calendar_col::kUnitId), date, allotment);
}

Status AccountWebhook(ApplyContext* ctx, const std::string& key, RowImage* img, int sign) {
  const Thresholds& t = *ctx->thresholds;
  const std::string_view provider = CellText(*img, webhook_col::kProvider);
  const std::string_view status = CellText(*img, webhook_col::kStatus);
  Micros received = 0;
  bool known = false;
  WG_RETURN_IF_ERROR(TimeOf(TableId::kProcessedWebhooks, *img, webhook_col::kReceivedAt, &received, &known));
  // bit 0: failed in the window; bit 1: processing too long; bit 2: received
  // inside the silence window; bit 3: processing too long and older than the lookback.
  int64_t flags = img->accounted;
  bool has_deadline = false;
  Micros deadline = 0;
  if (sign > 0) {
    const bool failed_recent = known && status == "failed" && ctx->now < received + t.webhook_window;
    const bool processing = known && status == "processing";
    const bool stuck = processing && ctx->now - received > t.webhook_processing_after;
    const bool recent = known && ctx->now < received + t.webhook_silence_window;
    const bool lookback = t.webhook_failures_lookback > 0;
    const bool old = stuck && lookback && ctx->now - received > t.webhook_failures_lookback;
    flags = (failed_recent ? 1 : 0) | (stuck ? 2 : 0) | (recent ? 4 : 0) | (old ? 8 : 0);
    if (failed_recent) Earliest(ctx->now, received + t.webhook_window, &has_deadline, &deadline);
    if (recent) Earliest(ctx->now, received + t.webhook_silence_window, &has_deadline, &deadline);
    if (processing && !stuck) Earliest(ctx->now, received + t.webhook_processing_after + 1, &has_deadline, &deadline);
    if (processing && lookback && !old) {
      Earliest(ctx->now, received + t.webhook_failures_lookback + 1, &has_deadline, &deadline);
    }
    img->accounted = flags;
  }
  UpdateRowTimer(ctx->kv, TableId::kProcessedWebhooks, key, img, sign, has_deadline, deadline);
  ctx->Touch(EntityKind::kProvider, provider);
  if (flags == 0) return Status::OK();
  WebhookAgg d;
  d.v[WebhookAgg::kFailedRecent] = (flags & 1) ? sign : 0;
  d.v[WebhookAgg::kStuckProcessing] = (flags & 2) ? sign : 0;
  d.v[WebhookAgg::kReceivedRecent] = (flags & 4) ? sign : 0;
  d.v[WebhookAgg::kStuckHistorical] = (flags & 8) ? sign : 0;
  return AddTo(ctx->kv, EntityKind::kProviderWebhooks, provider, d);
}

}  // namespace

std::string ErrorCodeAggPrefix(std::string_view provider) {
  std::string id(provider);
  id.push_back('\0');
  return id;
}

std::string ErrorCodeAggId(std::string_view provider, std::string_view error_code) {
  std::string id = ErrorCodeAggPrefix(provider);
  id.append(error_code);
  return id;
}

std::string PaymentIndexPrefix(std::string_view intent_id) {
  std::string key(1, keys::kPaymentIndex);
  key.append(intent_id);
  key.push_back('/');
  return key;
}

std::string LedgerIndexPrefix(std::string_view transaction_id) {
  std::string key(1, keys::kLedgerIndex);
  key.append(transaction_id);
  key.push_back('/');
  return key;
}

bool DecodeIndexedPayment(std::string_view in, IndexedPayment* out) {
  std::string_view status, amount;
  uint64_t has = 0;
  if (!GetLengthPrefixed(&in, &status) || !GetVarint64(&in, &has) || !GetVarsint64(&in, &out->succeeded_at) ||
      !GetLengthPrefixed(&in, &amount)) {
    return false;
  }
  out->status.assign(status);
  out->has_succeeded_at = has != 0;
  out->amount.assign(amount);
  return true;
}

bool DecodeIndexedLedgerEntry(std::string_view in, IndexedLedgerEntry* out) {
  std::string_view direction, account, amount;
  if (!GetLengthPrefixed(&in, &direction) || !GetLengthPrefixed(&in, &account) || !GetLengthPrefixed(&in, &amount) ||
      !GetVarsint64(&in, &out->created_at)) {
    return false;
  }
  out->direction.assign(direction);
  out->account.assign(account);
  out->amount.assign(amount);
  return true;
}

Status CheckReserveRow(TableId table, const RowImage& img) {
  Micros t = 0;
  bool known = false;
  int32_t date = 0;
  int64_t n = 0;
  switch (table) {
    case TableId::kPayments:
      WG_RETURN_IF_ERROR(CheckDecimal(table, img, payment_col::kAmount));
      WG_RETURN_IF_ERROR(TimeOf(table, img, payment_col::kCreatedAt, &t, &known));
      return TimeOf(table, img, payment_col::kSucceededAt, &t, &known);
    case TableId::kReservations: {
      int32_t check_out = 0;
      WG_RETURN_IF_ERROR(DateOf(table, img, reservation_col::kCheckIn, &date));
      WG_RETURN_IF_ERROR(DateOf(table, img, reservation_col::kCheckOut, &check_out));
      if (check_out - date > kMaxStayNights) {
        return Status::InvalidArgument("stay of " + std::to_string(check_out - date) + " nights exceeds " +
                                       std::to_string(kMaxStayNights));
      }
      return Status::OK();
    }
    case TableId::kLedgerEntries:
      WG_RETURN_IF_ERROR(CheckDecimal(table, img, ledger_col::kAmount));
      return TimeOf(table, img, ledger_col::kCreatedAt, &t, &known);
    case TableId::kAvailabilityCalendar:
      WG_RETURN_IF_ERROR(DateOf(table, img, calendar_col::kDate, &date));
      WG_RETURN_IF_ERROR(CellInt(Spec(table), img, calendar_col::kAllotment, &n));
      // temp_holds may be null (no holds); a value must be a count.
      if (!CellText(img, calendar_col::kTempHolds).empty()) {
        WG_RETURN_IF_ERROR(CellInt(Spec(table), img, calendar_col::kTempHolds, &n));
      }
      return CellInt(Spec(table), img, calendar_col::kBookingsCount, &n);
    case TableId::kProcessedWebhooks:
      return TimeOf(table, img, webhook_col::kReceivedAt, &t, &known);
    case TableId::kBookingIntents:
      return Status::OK();  // context only: whatever it holds is shown as text
    default:
      return Status::InvalidArgument("not a reserve table");
  }
}

Status AccountReserveRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  switch (table) {
    case TableId::kPayments:
      return AccountPayment(ctx, key, image, sign);
    case TableId::kReservations:
      return AccountReservation(ctx, key, image, sign);
    case TableId::kLedgerEntries:
      return AccountLedgerEntry(ctx, key, image, sign);
    case TableId::kAvailabilityCalendar:
      return AccountCalendar(ctx, image, sign);
    case TableId::kProcessedWebhooks:
      return AccountWebhook(ctx, key, image, sign);
    case TableId::kBookingIntents:
      // Read only for context, when an alert fires or resolves (LoadContext): the stored image is the lookup.
      return Status::OK();
    default:
      return Status::InvalidArgument("not a reserve table");
  }
}

}  // namespace walguard

#include "processors/reserve_apply.h"

#include "core/key_layout.h"
#include "processors/aggregates.h"
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

  const bool settled = status == "succeeded" || status == "failed";
  const bool in_window =
      sign > 0 ? settled && has_created && ctx->now < created + t.payment_rate_window : img->accounted != 0;
  bool has_deadline = false;
  Micros deadline = 0;
  if (sign > 0) {
    if (in_window) Earliest(ctx->now, created + t.payment_rate_window, &has_deadline, &deadline);
    if (status == "succeeded" && (has_succeeded || has_created)) {
      Earliest(ctx->now, (has_succeeded ? succeeded : created) + t.payment_without_reservation_after, &has_deadline,
               &deadline);
    }
    if (status == "processing" && has_created)
      Earliest(ctx->now, created + t.stuck_payment_after + 1, &has_deadline, &deadline);
    if (status == "pending" && has_created && CellText(*img, payment_col::kMethod) == "pix") {
      Earliest(ctx->now, created + t.pix_pending_after + 1, &has_deadline, &deadline);
    }
    img->accounted = in_window ? 1 : 0;
  }
  UpdateRowTimer(ctx->kv, TableId::kPayments, key, img, sign, has_deadline, deadline);
  ctx->Touch(EntityKind::kPayment, key);
  ctx->Touch(EntityKind::kBookingIntent, intent);
  ctx->Touch(EntityKind::kProvider, provider);
  if (!in_window) return Status::OK();
  PaymentWindowAgg d;
  d.v[status == "succeeded" ? PaymentWindowAgg::kSucceeded : PaymentWindowAgg::kFailed] = sign;
  return AddTo(ctx->kv, EntityKind::kProvider, provider, d);
}

Status AccountReservation(ApplyContext* ctx, RowImage* img, int sign) {
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
  // bit 0: failed in the window; bit 1: processing too long; bit 2: that, and older than the lookback
  int64_t flags = img->accounted;
  bool has_deadline = false;
  Micros deadline = 0;
  if (sign > 0) {
    const bool failed_recent = known && status == "failed" && ctx->now < received + t.webhook_window;
    const bool processing = known && status == "processing";
    const bool stuck = processing && ctx->now - received > t.webhook_processing_after;
    const bool lookback = t.webhook_failures_lookback > 0;
    const bool old = stuck && lookback && ctx->now - received > t.webhook_failures_lookback;
    flags = (failed_recent ? 1 : 0) | (stuck ? 2 : 0) | (old ? 4 : 0);
    if (failed_recent) Earliest(ctx->now, received + t.webhook_window, &has_deadline, &deadline);
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
  d.v[WebhookAgg::kStuckHistorical] = (flags & 4) ? sign : 0;
  return AddTo(ctx->kv, EntityKind::kProviderWebhooks, provider, d);
}

}  // namespace

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
      return CellInt(Spec(table), img, calendar_col::kBookingsCount, &n);
    case TableId::kProcessedWebhooks:
      return TimeOf(table, img, webhook_col::kReceivedAt, &t, &known);
    default:
      return Status::InvalidArgument("not a reserve table");
  }
}

Status AccountReserveRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  switch (table) {
    case TableId::kPayments:
      return AccountPayment(ctx, key, image, sign);
    case TableId::kReservations:
      return AccountReservation(ctx, image, sign);
    case TableId::kLedgerEntries:
      return AccountLedgerEntry(ctx, key, image, sign);
    case TableId::kAvailabilityCalendar:
      return AccountCalendar(ctx, image, sign);
    case TableId::kProcessedWebhooks:
      return AccountWebhook(ctx, key, image, sign);
    default:
      return Status::InvalidArgument("not a reserve table");
  }
}

}  // namespace walguard

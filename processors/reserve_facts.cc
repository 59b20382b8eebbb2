#include "processors/reserve_facts.h"

#include <algorithm>
#include <climits>

#include "processors/aggregates.h"
#include "processors/alert_context.h"
#include "processors/business_day.h"
#include "processors/context_index.h"
#include "processors/monitored_tables.h"
#include "processors/occupancy.h"
#include "processors/row_image.h"
#include "processors/rule_util.h"
#include "util/coding.h"

namespace walguard {

Status LoadFacts(ApplyContext* ctx, const std::string& id, PaymentFacts* p) {
  p->id = id;
  p->now = ctx->now;
  p->args = Args("payment_id", id);
  RowImage img;
  Status s = LoadImage(ctx->kv, TableId::kPayments, id, &img);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (!s.ok()) return Status::OK();
  const TableSpec& spec = Spec(TableId::kPayments);
  p->exists = true;
  p->status = CellText(img, payment_col::kStatus);
  p->method = CellText(img, payment_col::kMethod);
  bool no_created = true, no_succeeded = true;
  WG_RETURN_IF_ERROR(CellTime(spec, img, payment_col::kCreatedAt, &p->created, &no_created));
  WG_RETURN_IF_ERROR(CellTime(spec, img, payment_col::kSucceededAt, &p->succeeded, &no_succeeded));
  p->has_created = !no_created;
  p->has_succeeded = !no_succeeded;
  IntentAgg intent;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kBookingIntent, CellText(img, payment_col::kIntentId), &intent));
  p->intent_reservations = intent.v[IntentAgg::kReservations];
  p->provider = KnownText(img, payment_col::kProvider);
  p->amount = KnownText(img, payment_col::kAmount);
  p->gateway_payment_id = KnownText(img, payment_col::kGatewayPaymentId);
  p->booking_intent_id = KnownText(img, payment_col::kIntentId);
  p->error_code = KnownText(img, payment_col::kErrorCode);
  p->details = Texts({{"status", p->status},
                      {"method", p->method},
                      {"provider", CellText(img, payment_col::kProvider)},
                      {"booking_intent_id", CellText(img, payment_col::kIntentId)},
                      {"amount", CellText(img, payment_col::kAmount)},
                      {"created_at", no_created ? "" : FormatTimestamp(p->created)},
                      {"succeeded_at", no_succeeded ? "" : FormatTimestamp(p->succeeded)}});
  return Status::OK();
}

Status LoadFacts(ApplyContext* ctx, const std::string& id, BookingIntentFacts* b) {
  b->id = id;
  b->now = ctx->now;
  const std::string prefix = PaymentIndexPrefix(id);
  Micros latest_at = 0;
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view key, std::string_view value) {
    IndexedPayment p;
    if (!DecodeIndexedPayment(value, &p)) parse = Status::Corruption("payment index entry");
    if (!parse.ok() || p.status != "succeeded") return parse.ok();
    Decimal amount;
    parse = Decimal::Parse(p.amount, &amount);
    b->total += amount;
    ++b->succeeded;
    std::string pid(key.substr(prefix.size()));
    b->payments.push_back({pid, p.amount,
                           p.has_succeeded_at ? std::optional(FormatTimestamp(p.succeeded_at)) : std::nullopt,
                           p.has_succeeded_at ? p.succeeded_at : 0, std::nullopt});
    if (b->latest_id.empty() || p.succeeded_at > latest_at || (p.succeeded_at == latest_at && pid > b->latest_id)) {
      b->latest_id = pid;
      latest_at = p.succeeded_at;
      b->has_latest_at = p.has_succeeded_at;
      b->latest_at = p.succeeded_at;
    }
    return parse.ok();
  }));
  WG_RETURN_IF_ERROR(parse);
  // Without succeeded_at, a success sorts first: at 0.
  std::sort(b->payments.begin(), b->payments.end(), [](const SucceededPayment& x, const SucceededPayment& y) {
    return x.at != y.at ? x.at < y.at : x.id < y.id;
  });
  if (b->payments.size() > kContextListLimit) b->payments.resize(kContextListLimit);
  return Status::OK();
}

Status LoadFacts(ApplyContext* ctx, const std::string& unit, UnitFacts* u) {
  u->id = unit;
  u->today = BusinessToday(*ctx->thresholds, ctx->now);
  WG_RETURN_IF_ERROR(FirstOverbookedDate(ctx->kv, unit, u->today, &u->overbooked, &u->first_date));
  if (!u->overbooked) {
    int32_t first_ever = 0;
    WG_RETURN_IF_ERROR(FirstOverbookedDate(ctx->kv, unit, INT32_MIN, &u->passed, &first_ever));
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(LoadDateCount(ctx->kv, unit, u->first_date, &u->active));
  RowImage cal;
  if (LoadImage(ctx->kv, TableId::kAvailabilityCalendar, UnitDateId(unit, u->first_date), &cal).ok()) {
    WG_RETURN_IF_ERROR(CellInt(Spec(TableId::kAvailabilityCalendar), cal, calendar_col::kAllotment, &u->allotment));
  }
  return Status::OK();
}

Status LoadFacts(ApplyContext* ctx, const std::string& id, UnitDateFacts* d) {
  d->id = id;
  const size_t slash = id.rfind('/');
  if (slash == std::string::npos || !ParseDate(std::string_view(id).substr(slash + 1), &d->date)) {
    return Status::Corruption("unit_date id " + id);
  }
  d->unit = id.substr(0, slash);
  // ParseDate accepts only the YYYY-MM-DD that FormatDate writes: the text is FormatDate(d->date).
  d->day = id.substr(slash + 1);
  d->today = BusinessToday(*ctx->thresholds, ctx->now);
  RowImage cal;
  Status s = LoadImage(ctx->kv, TableId::kAvailabilityCalendar, id, &cal);
  if (!s.ok() && !s.IsNotFound()) return s;
  d->has_calendar = s.ok();
  if (s.ok()) {
    const TableSpec& spec = Spec(TableId::kAvailabilityCalendar);
    WG_RETURN_IF_ERROR(CellInt(spec, cal, calendar_col::kBookingsCount, &d->bookings_count));
    WG_RETURN_IF_ERROR(CellInt(spec, cal, calendar_col::kAllotment, &d->allotment));
    if (!CellText(cal, calendar_col::kTempHolds).empty()) {
      int64_t temp_holds = 0;
      WG_RETURN_IF_ERROR(CellInt(spec, cal, calendar_col::kTempHolds, &temp_holds));
      d->temp_holds = temp_holds;
    }
  }
  return LoadDateCount(ctx->kv, d->unit, d->date, &d->active);
}

Status LoadFacts(ApplyContext* ctx, const std::string& provider, ProviderFacts* p) {
  p->id = provider;
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kProvider, provider, &p->payments));
  WG_RETURN_IF_ERROR(Load(ctx->kv, EntityKind::kProviderWebhooks, provider, &p->webhooks));
  const std::string prefix = AggregateKey(EntityKind::kProviderErrorCode, ErrorCodeAggPrefix(provider));
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view key, std::string_view value) {
    int64_t failed = 0;
    if (!GetVarsint64(&value, &failed)) parse = Status::Corruption("error code aggregate of " + provider);
    if (parse.ok() && failed != 0) p->by_error_code.emplace_back(std::string(key.substr(prefix.size())), failed);
    return parse.ok();
  }));
  return parse;
}

Status LoadFacts(ApplyContext* ctx, const std::string& txn_id, LedgerTransactionFacts* l) {
  l->id = txn_id;
  l->now = ctx->now;
  const std::string prefix = LedgerIndexPrefix(txn_id);
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(ctx->kv, prefix, [&](std::string_view key, std::string_view value) {
    LedgerEntry x;
    x.id.assign(key.substr(prefix.size()));
    if (!DecodeIndexedLedgerEntry(value, &x.e)) parse = Status::Corruption("ledger index entry " + x.id);
    if (parse.ok()) parse = Decimal::Parse(x.e.amount, &x.amount);
    l->entries.push_back(std::move(x));
    return parse.ok();
  }));
  WG_RETURN_IF_ERROR(parse);
  for (const LedgerEntry& x : l->entries) {
    if (x.e.direction == "debit") l->debit += x.amount;
    if (x.e.direction == "credit") l->credit += x.amount;
    l->newest_created = std::max(l->newest_created, x.e.created_at);
  }
  return Status::OK();
}

}  // namespace walguard

namespace walguard {

namespace {

// Active reservations examined at most per unit context: far more than a unit has.
constexpr size_t kReservationScanLimit = 1000;

}  // namespace

Status LoadContext(ApplyContext* ctx, PaymentFacts* p) {
  if (!p->booking_intent_id) return Status::OK();
  return IntentStay(ctx->kv, *p->booking_intent_id, &p->unit_id, &p->check_in, &p->check_out);
}

Status LoadContext(ApplyContext* ctx, BookingIntentFacts* b) {
  WG_RETURN_IF_ERROR(IntentStay(ctx->kv, b->id, &b->unit_id, &b->check_in, &b->check_out));
  for (SucceededPayment& p : b->payments) {
    RowImage img;
    Status s = LoadImage(ctx->kv, TableId::kPayments, p.id, &img);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.ok()) p.gateway_payment_id = KnownText(img, payment_col::kGatewayPaymentId);
  }
  return Status::OK();
}

Status LoadContext(ApplyContext* ctx, UnitFacts* u) {
  if (!u->overbooked) return Status::OK();
  return ReservationsOn(ctx->kv, u->id, u->first_date, kContextListLimit, kReservationScanLimit, &u->reservation_ids);
}

}  // namespace walguard

#include "processors/alert_context.h"

#include <vector>

#include "processors/monitored_tables.h"
#include "processors/reserve_facts.h"
#include "processors/ticketing_facts.h"
#include "util/json_writer.h"

namespace walguard {

std::optional<std::string> KnownText(const RowImage& image, int col) {
  if (!CellKnown(image, col)) return std::nullopt;
  return std::string(CellText(image, col));
}

std::optional<int64_t> KnownInt(const TableSpec& spec, const RowImage& image, int col) {
  int64_t v = 0;
  if (!CellKnown(image, col) || !CellInt(spec, image, col, &v).ok()) return std::nullopt;
  return v;
}

Status EventTitle(KvTxn* kv, std::string_view event_id, std::optional<std::string>* title) {
  *title = std::nullopt;
  if (event_id.empty()) return Status::OK();
  RowImage img;
  Status s = LoadImage(kv, TableId::kEvents, event_id, &img);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  *title = KnownText(img, event_col::kTitle);
  return Status::OK();
}

Status IntentStay(KvTxn* kv, std::string_view intent_id, std::optional<std::string>* unit_id,
                  std::optional<std::string>* check_in, std::optional<std::string>* check_out) {
  *unit_id = *check_in = *check_out = std::nullopt;
  if (intent_id.empty()) return Status::OK();
  RowImage img;
  Status s = LoadImage(kv, TableId::kBookingIntents, intent_id, &img);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  *unit_id = KnownText(img, intent_col::kUnitId);
  *check_in = KnownText(img, intent_col::kCheckIn);
  *check_out = KnownText(img, intent_col::kCheckOut);
  return Status::OK();
}

namespace {

void Put(JsonWriter* w, std::string_view key, const std::optional<std::string>& v) {
  w->Key(key);
  if (v)
    w->String(*v);
  else
    w->Null();
}

void Put(JsonWriter* w, std::string_view key, const std::optional<int64_t>& v) {
  w->Key(key);
  if (v)
    w->Int(*v);
  else
    w->Null();
}

// "[item,item]" from items that are JSON already.
std::string Array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += items[i];
  }
  out.push_back(']');
  return out;
}

template <typename Fn>
std::string Object(Fn&& fill) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  fill(&w);
  w.EndObject();
  return out;
}

std::optional<std::string> NonEmpty(bool exists, std::string_view v) {
  if (!exists || v.empty()) return std::nullopt;
  return std::string(v);
}

}  // namespace

std::string ContextOf(const TierFacts& f) {
  return Object([&](JsonWriter* w) {
    Put(w, "event_title", f.event_title);
    Put(w, "tier_name", f.tier_name);
    Put(w, "price_cents", f.price_cents);
  });
}

std::string ContextOf(const OrderFacts& f) {
  return Object([&](JsonWriter* w) {
    Put(w, "event_title", f.event_title);
    Put(w, "user_id", f.user_id);
    Put(w, "total_cents", f.exists ? std::optional(f.total_cents) : std::nullopt);
    Put(w, "paid_at", f.paid_at);
  });
}

std::string ContextOf(const EventFacts& f) {
  return Object([&](JsonWriter* w) { Put(w, "event_title", f.event_title); });
}

std::string ContextOf(const PaymentFacts& f) {
  return Object([&](JsonWriter* w) {
    Put(w, "provider", f.provider);
    Put(w, "method", NonEmpty(f.exists, f.method));
    Put(w, "amount", f.amount);
    Put(w, "gateway_payment_id", f.gateway_payment_id);
    Put(w, "booking_intent_id", f.booking_intent_id);
    Put(w, "unit_id", f.unit_id);
    Put(w, "check_in", f.check_in);
    Put(w, "check_out", f.check_out);
    Put(w, "error_code", f.error_code);
  });
}

std::string ContextOf(const BookingIntentFacts& f) {
  std::vector<std::string> payments;
  for (const SucceededPayment& p : f.payments) {
    payments.push_back(Object([&](JsonWriter* w) {
      w->Field("id", p.id);
      w->Field("amount", p.amount);
      Put(w, "gateway_payment_id", p.gateway_payment_id);
      Put(w, "succeeded_at", p.succeeded_at);
    }));
  }
  return Object([&](JsonWriter* w) {
    Put(w, "unit_id", f.unit_id);
    Put(w, "check_in", f.check_in);
    Put(w, "check_out", f.check_out);
    w->Key("payments").Raw(Array(payments));
  });
}

std::string ContextOf(const UnitFacts& f) {
  return Object([&](JsonWriter* w) {
    w->Key("reservation_ids");
    if (!f.overbooked) {
      w->Null();
      return;
    }
    std::string list = "[";
    for (size_t i = 0; i < f.reservation_ids.size(); ++i) {
      if (i > 0) list.push_back(',');
      AppendJsonString(&list, f.reservation_ids[i]);
    }
    list.push_back(']');
    w->Raw(list);
  });
}

std::string ContextOf(const UnitDateFacts& f) {
  return Object([&](JsonWriter* w) {
    Put(w, "allotment", f.has_calendar ? std::optional(f.allotment) : std::nullopt);
    Put(w, "bookings_count", f.has_calendar ? std::optional(f.bookings_count) : std::nullopt);
    Put(w, "temp_holds", f.temp_holds);
  });
}

std::string ContextOf(const ProviderFacts& f) {
  const int64_t failed = f.payments.v[PaymentWindowAgg::kFailed];
  return Object([&](JsonWriter* w) {
    w->Field("window_failed", failed);
    w->Field("window_settled", failed + f.payments.v[PaymentWindowAgg::kSucceeded]);
  });
}

std::string ContextOf(const LedgerTransactionFacts& f) {
  std::vector<std::string> accounts;
  for (const LedgerEntry& x : f.entries) {
    if (accounts.size() == kContextListLimit) break;
    accounts.push_back(Object([&](JsonWriter* w) {
      w->Field("account", x.e.account);
      w->Field("direction", x.e.direction);
      w->Field("amount", x.e.amount);
    }));
  }
  return Object([&](JsonWriter* w) { w->Key("accounts").Raw(Array(accounts)); });
}

}  // namespace walguard

#include "app/status_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/entity_kind.h"
#include "core/key_layout.h"
#include "processors/aggregates.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "processors/rule_registry.h"
#include "util/coding.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

constexpr char kPaidWithoutTickets[] = "paid_without_tickets";

int64_t IntOr0(const TableSpec& spec, const RowImage& image, int col) {
  int64_t v = 0;
  return CellInt(spec, image, col, &v).ok() ? v : 0;
}

// The event a tier or an order belongs to; "" when unknown.
std::string EventOf(KvTxn* kv, TableId table, int event_col, const std::string& id) {
  RowImage image;
  if (!LoadImage(kv, table, id, &image).ok()) return {};
  return std::string(CellText(image, event_col));
}

Status ReadTier(KvTxn* kv, std::string_view id, std::string_view encoded, TierStatus* t, std::string* event_id) {
  const TableSpec& spec = Spec(TableId::kTicketTiers);
  RowImage image;
  if (!DecodeImage(encoded, spec.columns.size(), &image)) {
    return Status::Corruption("the row image of tier " + std::string(id) + " is malformed");
  }
  *event_id = std::string(CellText(image, tier_col::kEventId));
  t->id = std::string(id);
  t->capacity = IntOr0(spec, image, tier_col::kQuantity);
  t->reserved = IntOr0(spec, image, tier_col::kReserved);
  t->issued = IntOr0(spec, image, tier_col::kIssued);
  t->available = t->capacity - t->reserved - t->issued;
  t->percent_sold =
      t->capacity == 0 ? 0 : std::round(static_cast<double>(t->issued) * 1000 / static_cast<double>(t->capacity)) / 10;
  t->status = TierHealthStatus(t->capacity, t->reserved, t->issued);
  TierAgg agg;
  WG_RETURN_IF_ERROR(Load(kv, EntityKind::kTier, id, &agg));
  t->active_hold_quantity = agg.v[TierAgg::kActiveQty];
  t->stuck_holds = agg.v[TierAgg::kStuckHolds];
  t->counting_tickets = agg.v[TierAgg::kTickets];
  return Status::OK();
}

void CountTier(const TierStatus& t, EventHealth* e) {
  e->suspicious_high_reserved_tiers += t.reserved * 10 > t.capacity * 3 ? 1 : 0;
  e->negative_available_tiers += t.available < 0 ? 1 : 0;
  e->drifted_tiers += t.reserved != t.active_hold_quantity || t.issued != t.counting_tickets ? 1 : 0;
}

// Events keyed by id, from the tier images (bounded).
Status ReadEvents(KvTxn* kv, std::map<std::string, EventHealth>* events, bool* truncated) {
  const std::string prefix = ImageKey(TableId::kTicketTiers, "");
  size_t seen = 0;
  Status inner;
  WG_RETURN_IF_ERROR(ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view value) {
    if (seen == kMaxTierScan) {
      *truncated = true;
      return false;
    }
    ++seen;
    TierStatus tier;
    std::string event_id;
    inner = ReadTier(kv, key.substr(prefix.size()), value, &tier, &event_id);
    if (!inner.ok()) return false;
    EventHealth& e = (*events)[event_id];
    e.event_id = event_id;
    CountTier(tier, &e);
    e.tiers.push_back(std::move(tier));
    return true;
  }));
  return inner;
}

// "<type>:<entity kind>:<entity id>"; the id may itself hold ':'.
FiringStatus ParseFiring(KvTxn* kv, std::string_view fingerprint, std::string_view alert_id) {
  FiringStatus f;
  f.fingerprint = std::string(fingerprint);
  f.alert_id = std::string(alert_id);
  const size_t first = fingerprint.find(':');
  const size_t second = first == std::string_view::npos ? first : fingerprint.find(':', first + 1);
  f.type = std::string(fingerprint.substr(0, first));
  if (second != std::string_view::npos) {
    f.entity_kind = std::string(fingerprint.substr(first + 1, second - first - 1));
    f.entity_id = std::string(fingerprint.substr(second + 1));
  }
  if (const Rule* rule = RuleOfType(f.type)) {
    f.severity = rule->alert.severity;
    f.runbook = rule->alert.runbook;
  }
  if (f.entity_kind == "event") f.event_id = f.entity_id;
  if (f.entity_kind == "tier") f.event_id = EventOf(kv, TableId::kTicketTiers, tier_col::kEventId, f.entity_id);
  if (f.entity_kind == "order") f.event_id = EventOf(kv, TableId::kOrders, order_col::kEventId, f.entity_id);
  return f;
}

// 'O' | unit '/' | 4 bytes of sign-flipped big-endian date (processors/occupancy.cc).
Status ReadOverbooked(KvTxn* kv, size_t unit_limit, StatusModel* out) {
  const std::string prefix(1, keys::kOverbooked);
  return ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view) {
    if (key.size() < prefix.size() + 5 || key[key.size() - 5] != '/') return true;  // not of this layout
    ++out->overbooked_nights_total;
    const std::string_view unit = key.substr(prefix.size(), key.size() - prefix.size() - 5);
    uint32_t flipped = 0;
    for (size_t i = key.size() - 4; i < key.size(); ++i) flipped = flipped << 8 | static_cast<uint8_t>(key[i]);
    const int32_t date = static_cast<int32_t>(flipped ^ 0x80000000u);
    if (out->units.empty() || out->units.back().unit_id != unit) {
      if (out->units.size() == unit_limit) return out->overbooked_nights_total < kMaxOverbookedScan;
      out->units.push_back(UnitOverbooked{std::string(unit), {}});
    }
    out->units.back().dates.push_back(FormatDate(date));
    return out->overbooked_nights_total < kMaxOverbookedScan;
  });
}

Status ReadClock(KvTxn* kv, Micros* clock) {
  std::string value;
  Status s = kv->Get(keys::kClockKey, &value);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  std::string_view in(value);
  if (!GetVarsint64(&in, clock)) return Status::Corruption("the state's WAL clock is malformed");
  return Status::OK();
}

template <typename T>
std::vector<T> Page(std::vector<T> all, size_t offset, size_t limit) {
  if (offset >= all.size()) return {};
  const size_t end = std::min(all.size(), offset + limit);
  return std::vector<T>(std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(offset)),
                        std::make_move_iterator(all.begin() + static_cast<ptrdiff_t>(end)));
}

}  // namespace

Status ReadFiringSet(KvTxn* kv, std::vector<FiringStatus>* firing) {
  const std::string prefix(1, keys::kFiring);
  return ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view value) {
    firing->push_back(ParseFiring(kv, key.substr(prefix.size()), value));
    return firing->size() < kMaxFiringScan;
  });
}

std::string TierHealthStatus(int64_t capacity, int64_t reserved, int64_t issued) {
  const int64_t available = capacity - reserved - issued;
  if (reserved * 10 > capacity * 3) return "HIGH_RESERVED";
  if (available < 0) return "NEGATIVE_AVAILABLE";
  if (available == 0) return "SOLD_OUT";
  return "OK";
}

Status BuildStatusModel(KvTxn* kv, const StatusQuery& query, StatusModel* out) {
  *out = StatusModel{};
  WG_RETURN_IF_ERROR(ReadClock(kv, &out->wal_clock));
  std::map<std::string, EventHealth> events;
  WG_RETURN_IF_ERROR(ReadEvents(kv, &events, &out->tiers_truncated));
  std::vector<FiringStatus> firing;
  WG_RETURN_IF_ERROR(ReadFiringSet(kv, &firing));
  for (const FiringStatus& f : firing) {
    if (f.type == kPaidWithoutTickets && !f.event_id.empty()) {
      EventHealth& e = events[f.event_id];
      e.event_id = f.event_id;
      ++e.paid_orders_missing_tickets;
    }
  }
  std::vector<EventHealth> ranked;
  ranked.reserve(events.size());
  for (auto& [id, e] : events) {
    EventAgg agg;
    if (!id.empty()) WG_RETURN_IF_ERROR(Load(kv, EntityKind::kEvent, id, &agg));
    e.stale_pending_orders = agg.v[EventAgg::kStalePending];
    e.health_score = e.suspicious_high_reserved_tiers + e.stale_pending_orders + e.paid_orders_missing_tickets +
                     e.drifted_tiers + e.negative_available_tiers;
    ranked.push_back(std::move(e));
  }
  // Worst first; ties in id order, so pages are stable.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const EventHealth& a, const EventHealth& b) { return a.health_score > b.health_score; });
  out->events_total = ranked.size();
  out->events = Page(std::move(ranked), query.event_offset, query.event_limit);
  out->firing_total = firing.size();
  out->firing = Page(std::move(firing), query.alert_offset, query.alert_limit);
  return ReadOverbooked(kv, query.unit_limit, out);
}

namespace {

// A JSON array of `items`, each as `render` writes it.
template <typename T, typename F>
std::string Array(const std::vector<T>& items, F render) {
  std::string out = "[";
  for (const T& item : items) {
    if (out.size() > 1) out.push_back(',');
    out.append(render(item));
  }
  out.push_back(']');
  return out;
}

std::string TierJson(const TierStatus& t) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("tier_id", t.id);
  w.Field("total_capacity", t.capacity);
  w.Field("reserved", t.reserved);
  w.Field("issued", t.issued);
  w.Field("available", t.available);
  char percent[32];
  std::snprintf(percent, sizeof(percent), "%.1f", t.percent_sold);
  w.Key("percent_sold").Raw(percent);
  w.Field("health_status", t.status);
  w.Field("active_hold_quantity", t.active_hold_quantity);
  w.Field("stuck_holds", t.stuck_holds);
  w.Field("counting_tickets", t.counting_tickets);
  w.EndObject();
  return out;
}

std::string EventJson(const EventHealth& e) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("event_id", e.event_id);
  w.Field("health_score", e.health_score);
  w.Field("suspicious_high_reserved_tiers", e.suspicious_high_reserved_tiers);
  w.Field("stale_pending_orders", e.stale_pending_orders);
  w.Field("paid_orders_missing_tickets", e.paid_orders_missing_tickets);
  w.Field("drifted_tiers", e.drifted_tiers);
  w.Field("negative_available_tiers", e.negative_available_tiers);
  w.Key("tiers").Raw(Array(e.tiers, TierJson));
  w.EndObject();
  return out;
}

std::string FiringJson(const FiringStatus& f) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("alert_id", f.alert_id);
  w.Field("fingerprint", f.fingerprint);
  w.Field("type", f.type);
  w.Field("severity", f.severity);
  w.Field("runbook", f.runbook);
  w.Field("entity_kind", f.entity_kind);
  w.Field("entity_id", f.entity_id);
  w.Field("event_id", f.event_id);
  w.EndObject();
  return out;
}

std::string UnitJson(const UnitOverbooked& u) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("unit_id", u.unit_id);
  w.Key("overbooked_dates").Raw(Array(u.dates, [](const std::string& d) {
    std::string quoted;
    AppendJsonString(&quoted, d);
    return quoted;
  }));
  w.EndObject();
  return out;
}

}  // namespace

std::string StatusModelJson(const StatusModel& m) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("wal_clock");
  if (m.wal_clock != 0) {
    w.String(FormatTimestamp(m.wal_clock));
  } else {
    w.Null();
  }
  w.Key("events").Raw(Array(m.events, EventJson));
  w.Field("events_total", static_cast<int64_t>(m.events_total));
  w.Field("tiers_truncated", m.tiers_truncated);
  w.Key("firing").Raw(Array(m.firing, FiringJson));
  w.Field("firing_total", static_cast<int64_t>(m.firing_total));
  w.Key("units").Raw(Array(m.units, UnitJson));
  w.Field("overbooked_nights_total", static_cast<int64_t>(m.overbooked_nights_total));
  w.EndObject();
  return out;
}

}  // namespace walguard

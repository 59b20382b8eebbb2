#include "tests/unit/processors/rule_test_util.h"

#include <cstdio>

namespace walguard::rule_test {

// ---------------------------------------------------------------------------
// Time and ids

std::string PgTimestamp(Micros t) {
  // FormatTimestamp gives "2026-11-21T16:33:53.001193Z"; wal2json writes
  // "2026-11-21 16:33:53.001193+00".
  std::string s = FormatTimestamp(t);
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  if (!s.empty() && s.back() == 'Z') {
    s.pop_back();
    s += "+00";
  }
  return s;
}

namespace {
std::string MakeId(const char* prefix, int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-0000-4000-8000-%012d", prefix, n);
  return buf;
}
}  // namespace

std::string EventId(int n) {
  return MakeId("e0e0e0e0", n);
}
std::string TierId(int n) {
  return MakeId("7a7a7a7a", n);
}
std::string HoldId(int n) {
  return MakeId("b0b0b0b0", n);
}
std::string OrderId(int n) {
  return MakeId("0d0d0d0d", n);
}
std::string ItemId(int n) {
  return MakeId("17171717", n);
}
std::string TicketId(int n) {
  return MakeId("7c7c7c7c", n);
}
std::string PaymentId(int n) {
  return MakeId("9a9a9a9a", n);
}
std::string IntentId(int n) {
  return MakeId("b1b1b1b1", n);
}
std::string ReservationId(int n) {
  return MakeId("5e5e0000", n);
}
std::string UnitId(int n) {
  return MakeId("0a0a0a0a", n);
}
std::string LedgerEntryId(int n) {
  return MakeId("1e1e1e1e", n);
}
std::string LedgerTxnId(int n) {
  return MakeId("7d7d7d7d", n);
}
std::string WebhookId(int n) {
  return MakeId("3b3b3b3b", n);
}

std::string Day(int n) {
  int32_t base = 0;
  ParseDate("2026-12-01", &base);
  return FormatDate(base + n);
}

// ---------------------------------------------------------------------------
// Changes

Datum Col(std::string name, std::string text) {
  Datum d;
  d.name = std::move(name);
  d.text = std::move(text);
  return d;
}

Datum Col(std::string name, int64_t value) {
  return Col(std::move(name), std::to_string(value));
}

Datum NullCol(std::string name) {
  Datum d;
  d.name = std::move(name);
  d.is_null = true;
  return d;
}

Cols Id(const std::string& id) {
  return {Col("id", id)};
}

Cols TierRow(const std::string& id, const std::string& event_id, int64_t quantity, int64_t reserved, int64_t issued,
             Micros updated_at) {
  // Not the DDL's column order, on purpose: order must not matter.
  return {Col("id", id),
          Col("event_id", event_id),
          Col("name", "General admission"),
          Col("price_cents", int64_t{5000}),
          Col("issued_quantity", issued),
          Col("quantity", quantity),
          Col("reserved_quantity", reserved),
          Col("status", "on_sale"),
          Col("updated_at", PgTimestamp(updated_at))};
}

Cols HoldRow(const std::string& id, const std::string& tier_id, int64_t quantity, std::string_view status,
             Micros expires_at) {
  return {Col("id", id),
          Col("tier_id", tier_id),
          Col("user_id", "5e5e5e5e-0000-4000-8000-000000000001"),
          Col("quantity", quantity),
          Col("status", std::string(status)),
          Col("created_at", PgTimestamp(expires_at - 15 * kMicrosPerMinute)),
          Col("expires_at", PgTimestamp(expires_at))};
}

Cols OrderRow(const std::string& id, const std::string& event_id, std::string_view status, int64_t total_cents,
              Micros created_at, std::optional<Micros> paid_at) {
  return {Col("id", id),
          Col("event_id", event_id),
          Col("user_id", "5e5e5e5e-0000-4000-8000-000000000001"),
          Col("status", std::string(status)),
          Col("total_cents", total_cents),
          Col("created_at", PgTimestamp(created_at)),
          paid_at ? Col("paid_at", PgTimestamp(*paid_at)) : NullCol("paid_at")};
}

Cols ItemRow(const std::string& id, const std::string& order_id, const std::string& tier_id, int64_t quantity,
             int64_t unit_price_cents) {
  return {Col("id", id), Col("order_id", order_id), Col("tier_id", tier_id), Col("quantity", quantity),
          Col("unit_price_cents", unit_price_cents)};
}

Cols TicketRow(const std::string& id, const std::string& order_id, const std::string& tier_id,
               std::string_view status) {
  return {Col("id", id), Col("order_id", order_id), Col("tier_id", tier_id), Col("status", std::string(status)),
          Col("created_at", PgTimestamp(kT0))};
}

Cols PaymentRow(const std::string& id, const std::string& intent_id, std::string_view provider, std::string_view method,
                std::string_view status, std::string amount, Micros created_at, std::optional<Micros> succeeded_at) {
  // Not the DDL's column order, and with columns walguard ignores.
  return {Col("id", id),
          Col("status", std::string(status)),
          Col("booking_intent_id", intent_id),
          Col("amount", std::move(amount)),
          Col("currency", "BRL"),
          Col("provider", std::string(provider)),
          Col("method", std::string(method)),
          Col("gateway_payment_id", "gw_" + id),
          NullCol("error_code"),
          Col("created_at", PgTimestamp(created_at)),
          succeeded_at ? Col("succeeded_at", PgTimestamp(*succeeded_at)) : NullCol("succeeded_at")};
}

Cols ReservationRow(const std::string& id, const std::string& intent_id, const std::string& unit_id,
                    std::string check_in, std::string check_out, std::string_view status) {
  return {Col("id", id),
          Col("confirmation_code", "RES-2026-" + id.substr(id.size() - 6)),
          Col("booking_intent_id", intent_id),
          Col("unit_id", unit_id),
          Col("check_in", std::move(check_in)),
          Col("check_out", std::move(check_out)),
          Col("status", std::string(status)),
          Col("payment_status", "paid")};
}

Cols LedgerRow(const std::string& id, const std::string& transaction_id, std::string_view account,
               std::string_view direction, std::string amount, Micros created_at) {
  return {Col("id", id),
          Col("transaction_id", transaction_id),
          Col("entry_type", "booking"),
          Col("account", std::string(account)),
          Col("direction", std::string(direction)),
          Col("amount", std::move(amount)),
          Col("description", "test entry"),
          Col("created_at", PgTimestamp(created_at))};
}

Cols CalendarRow(const std::string& unit_id, std::string date, int64_t allotment, int64_t bookings_count) {
  return {Col("unit_id", unit_id),       Col("date", std::move(date)),
          Col("allotment", allotment),   Col("bookings_count", bookings_count),
          Col("temp_holds", int64_t{0}), Col("is_available", bookings_count < allotment ? "true" : "false"),
          Col("is_blocked", "false")};
}

Cols EventRow(const std::string& id, std::string title) {
  return {Col("id", id), Col("title", std::move(title)),
          Col("starts_at", PgTimestamp(kT0 + 30LL * 24 * 60 * kMicrosPerMinute))};
}

Cols BookingIntentRow(const std::string& id, const std::string& unit_id, std::string check_in, std::string check_out,
                      std::string_view status) {
  return {Col("id", id),
          Col("unit_id", unit_id),
          Col("guest_email", "guest@example.com"),
          Col("check_in", std::move(check_in)),
          Col("check_out", std::move(check_out)),
          Col("status", std::string(status))};
}

Cols WebhookRow(const std::string& id, std::string_view provider, std::string_view status, Micros received_at) {
  return {Col("id", id),
          Col("provider", std::string(provider)),
          Col("event_id", "evt_" + id.substr(id.size() - 6)),
          Col("event_type", "payment_intent.succeeded"),
          Col("status", std::string(status)),
          Col("received_at", PgTimestamp(received_at))};
}

Change InsertIn(std::string schema, std::string table, Cols columns) {
  Change c;
  c.action = Action::kInsert;
  c.schema = std::move(schema);
  c.table = std::move(table);
  c.columns = std::move(columns);
  return c;
}

Change Insert(std::string table, Cols columns) {
  return InsertIn("ticketing", std::move(table), std::move(columns));
}

Change Update(std::string table, Cols columns, Cols identity) {
  return UpdateIn("ticketing", std::move(table), std::move(columns), std::move(identity));
}

Change UpdateIn(std::string schema, std::string table, Cols columns, Cols identity) {
  Change c;
  c.action = Action::kUpdate;
  c.schema = std::move(schema);
  c.table = std::move(table);
  if (identity.empty()) {
    for (const Datum& d : columns) {
      if (d.name == "id") identity.push_back(d);
    }
  }
  c.columns = std::move(columns);
  c.identity = std::move(identity);
  return c;
}

Change Delete(std::string table, Cols identity) {
  return DeleteIn("ticketing", std::move(table), std::move(identity));
}

Change DeleteIn(std::string schema, std::string table, Cols identity) {
  Change c;
  c.action = Action::kDelete;
  c.schema = std::move(schema);
  c.table = std::move(table);
  c.identity = std::move(identity);
  return c;
}

Change Truncate(std::string table) {
  return TruncateIn("ticketing", std::move(table));
}

Change TruncateIn(std::string schema, std::string table) {
  Change c;
  c.action = Action::kTruncate;
  c.schema = std::move(schema);
  c.table = std::move(table);
  return c;
}

Step Txn(Micros commit_time, std::vector<Change> changes) {
  Step s;
  s.kind = Step::Kind::kTxn;
  s.at = commit_time;
  s.changes = std::move(changes);
  return s;
}

Step Clock(Micros now) {
  Step s;
  s.kind = Step::Kind::kClock;
  s.at = now;
  return s;
}

// ---------------------------------------------------------------------------
// Rules (docs/reference.md section 3)

const std::vector<RuleInfo>& TicketingRules() {
  static const std::vector<RuleInfo> kRules = {
      {"stuck_holds", "tier", "P3", "cleanup_expired_ticket_holds"},
      {"tier_reserved_drift", "tier", "P2", "reconcile_event_tickets"},
      {"tier_issued_drift", "tier", "P2", "reconcile_issued_quantity"},
      {"high_reserved", "tier", "P3", ""},
      {"false_sold_out", "tier", "P2", "reconcile_event_tickets"},
      {"negative_available", "tier", "P1", "reconcile_event_tickets"},
      {"stale_pending_orders", "event", "P3", "expire_pending_orders"},
      {"paid_without_tickets", "order", "P1", "ensure_tickets"},
      {"order_overissued", "order", "P1", ""},
      {"revenue_mismatch", "order", "P3", ""},
  };
  return kRules;
}

const std::vector<RuleInfo>& ReserveRules() {
  static const std::vector<RuleInfo> kRules = {
      {"ledger_imbalance", "ledger_transaction", "P1", ""},
      {"overbooking", "unit", "P1", "block_unit_availability"},
      {"calendar_drift", "unit_date", "P2", "recalculate_availability"},
      {"payment_without_reservation", "payment", "P1", "finalize_reservation"},
      {"stuck_payment", "payment", "P2", "poll_payment_status"},
      {"pix_pending", "payment", "P2", "poll_payment_status"},
      {"double_charge", "booking_intent", "P2", "refund_duplicate_charge", true},
      {"failed_payment_rate", "provider", "P2", ""},
      {"webhook_failures", "provider", "P1", ""},
      {"webhook_silence", "provider", "P1", ""},
      {"calendar_overcommitted", "unit_date", "P2", "block_unit_availability"},
  };
  return kRules;
}

const std::vector<RuleInfo>& CronRules() {
  static const std::vector<RuleInfo> kRules = {
      {"cron_job_failed", "cron_job", "P2", ""},
      {"cron_job_slow", "cron_job", "P3", ""},
      {"cron_job_missed", "cron_job", "P2", ""},
  };
  return kRules;
}

const RuleInfo* FindRule(std::string_view type) {
  for (const auto* rules : {&TicketingRules(), &ReserveRules(), &CronRules()}) {
    for (const RuleInfo& r : *rules) {
      if (r.type == type) return &r;
    }
  }
  return nullptr;
}

std::string Fingerprint(std::string_view type, std::string_view entity_id) {
  const RuleInfo* rule = FindRule(type);
  std::string fp(type);
  fp += ':';
  fp += rule != nullptr ? rule->entity_kind : std::string_view("?");
  fp += ':';
  fp += entity_id;
  return fp;
}

}  // namespace walguard::rule_test

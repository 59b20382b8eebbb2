#include "tests/unit/processors/rule_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

namespace walguard::rule_test {

// ---------------------------------------------------------------------------
// JSON

namespace {

class JsonParser {
 public:
  explicit JsonParser(std::string_view in) : in_(in) {}

  bool ParseDocument(Json* out, std::string* error) {
    bool ok = ParseValue(out, 0);
    if (ok) {
      SkipSpace();
      if (pos_ != in_.size()) ok = Fail("trailing characters");
    }
    if (!ok) *error = error_ + " at offset " + std::to_string(pos_);
    return ok;
  }

 private:
  bool Fail(const std::string& what) {
    if (error_.empty()) error_ = what;
    return false;
  }

  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Fail("bad literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Json* out, int depth) {
    if (depth > 64) return Fail("nested too deep");
    SkipSpace();
    if (pos_ >= in_.size()) return Fail("unexpected end");
    char c = in_[pos_];
    if (c == '{') return ParseObject(out, depth);
    if (c == '[') return ParseArray(out, depth);
    if (c == '"') {
      out->kind = Json::Kind::kString;
      return ParseString(&out->text);
    }
    if (c == 't' || c == 'f') {
      out->kind = Json::Kind::kBool;
      out->text = c == 't' ? "true" : "false";
      return Literal(out->text);
    }
    if (c == 'n') {
      out->kind = Json::Kind::kNull;
      return Literal("null");
    }
    return ParseNumber(out);
  }

  bool ParseNumber(Json* out) {
    size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
    if (pos_ == digits) return Fail("bad number");
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      size_t frac = pos_;
      while (pos_ < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      if (pos_ == frac) return Fail("bad fraction");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      size_t exp = pos_;
      while (pos_ < in_.size() && std::isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      if (pos_ == exp) return Fail("bad exponent");
    }
    out->kind = Json::Kind::kNumber;
    out->text.assign(in_.substr(start, pos_ - start));
    return true;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > in_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Fail("bad \\u escape");
    }
    *out = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    out->clear();
    while (pos_ < in_.size()) {
      char c = in_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) break;
      char e = in_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (in_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate");
            pos_ += 2;
            if (!Hex4(&low) || low < 0xDC00 || low >= 0xE000) return Fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Fail("lone low surrogate");
          }
          AppendUtf8(out, cp);
          break;
        }
        default: return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }

  bool ParseObject(Json* out, int depth) {
    ++pos_;  // '{'
    out->kind = Json::Kind::kObject;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != '"') return Fail("expected a key");
      std::string key;
      if (!ParseString(&key)) return false;
      for (const std::string& k : out->keys) {
        if (k == key) return Fail("duplicate key " + key);
      }
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Json value;
      if (!ParseValue(&value, depth + 1)) return false;
      out->keys.push_back(std::move(key));
      out->values.push_back(std::move(value));
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(Json* out, int depth) {
    ++pos_;  // '['
    out->kind = Json::Kind::kArray;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      Json value;
      if (!ParseValue(&value, depth + 1)) return false;
      out->values.push_back(std::move(value));
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

const Json* Json::Find(std::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

std::string Json::Str(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr || v->kind == Kind::kObject || v->kind == Kind::kArray || v->kind == Kind::kNull) return "";
  return v->text;
}

bool ParseJson(std::string_view text, Json* out, std::string* error) {
  *out = Json();
  JsonParser parser(text);
  return parser.ParseDocument(out, error);
}

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

std::string EventId(int n) { return MakeId("e0e0e0e0", n); }
std::string TierId(int n) { return MakeId("7a7a7a7a", n); }
std::string HoldId(int n) { return MakeId("b0b0b0b0", n); }
std::string OrderId(int n) { return MakeId("0d0d0d0d", n); }
std::string ItemId(int n) { return MakeId("17171717", n); }
std::string TicketId(int n) { return MakeId("7c7c7c7c", n); }
std::string PaymentId(int n) { return MakeId("9a9a9a9a", n); }
std::string IntentId(int n) { return MakeId("b1b1b1b1", n); }
std::string ReservationId(int n) { return MakeId("5e5e0000", n); }
std::string UnitId(int n) { return MakeId("0a0a0a0a", n); }
std::string LedgerEntryId(int n) { return MakeId("1e1e1e1e", n); }
std::string LedgerTxnId(int n) { return MakeId("7d7d7d7d", n); }
std::string WebhookId(int n) { return MakeId("3b3b3b3b", n); }

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

Datum Col(std::string name, int64_t value) { return Col(std::move(name), std::to_string(value)); }

Datum NullCol(std::string name) {
  Datum d;
  d.name = std::move(name);
  d.is_null = true;
  return d;
}

Cols Id(const std::string& id) { return {Col("id", id)}; }

Cols TierRow(const std::string& id, const std::string& event_id, int64_t quantity, int64_t reserved,
             int64_t issued, Micros updated_at) {
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

Cols PaymentRow(const std::string& id, const std::string& intent_id, std::string_view provider,
                std::string_view method, std::string_view status, std::string amount, Micros created_at,
                std::optional<Micros> succeeded_at) {
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
  return {Col("unit_id", unit_id),
          Col("date", std::move(date)),
          Col("allotment", allotment),
          Col("bookings_count", bookings_count),
          Col("temp_holds", int64_t{0}),
          Col("is_available", bookings_count < allotment ? "true" : "false"),
          Col("is_blocked", "false")};
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

Change Insert(std::string table, Cols columns) { return InsertIn("ticketing", std::move(table), std::move(columns)); }

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

Change Truncate(std::string table) { return TruncateIn("ticketing", std::move(table)); }

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
// Rules (contract section 3)

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
  };
  return kRules;
}

const RuleInfo* FindRule(std::string_view type) {
  for (const auto* rules : {&TicketingRules(), &ReserveRules()}) {
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

// ---------------------------------------------------------------------------
// Messages

std::string TopicName(Topic topic) {
  switch (topic) {
    case Topic::kAlerts: return "alerts";
    case Topic::kCommands: return "commands";
    case Topic::kDeadLetter: return "deadletter";
  }
  return "topic#" + std::to_string(static_cast<int>(topic));
}

std::string Message::Summary() const {
  switch (topic) {
    case Topic::kAlerts:
      return json.Str("state") + " " + json.Str("fingerprint");
    case Topic::kCommands: {
      std::string s = "command " + json.Str("type") + " {";
      if (const Json* args = json.Find("args"); args != nullptr && args->is_object()) {
        std::map<std::string, std::string> sorted;
        for (size_t i = 0; i < args->keys.size(); ++i) sorted[args->keys[i]] = args->values[i].text;
        bool first = true;
        for (const auto& [k, v] : sorted) {
          if (!first) s += ",";
          first = false;
          s += k + "=" + v;
        }
      }
      return s + "} <- " + key;
    }
    case Topic::kDeadLetter:
      return "deadletter " + key;
  }
  return TopicName(topic) + " " + key;
}

// ---------------------------------------------------------------------------
// Harness

RuleHarness::RuleHarness(const Thresholds& thresholds) : thresholds_(thresholds) { Reload(); }

void RuleHarness::Reload() {
  engine_ = std::make_unique<Engine>(thresholds_);
  Status s = engine_->Load(&kv_);
  if (!s.ok()) Violation("Engine::Load failed: " + s.ToString());
}

void RuleHarness::Violation(const std::string& what) { violations_.push_back(what); }

std::vector<Message> RuleHarness::Run(const Step& step, std::optional<Lsn> lsn) {
  std::vector<OutMessage> out;
  Status s;
  if (step.kind == Step::Kind::kTxn) {
    Transaction txn;
    txn.xid = ++xid_;
    lsn_ = lsn ? *lsn : LsnOf(txns_++);
    txn.begin_lsn = lsn_ - 0x30;
    txn.end_lsn = lsn_;
    txn.commit_time = step.at;
    txn.changes = step.changes;
    Lsn change_lsn = lsn_ - 0xF0;
    for (Change& c : txn.changes) c.lsn = change_lsn++;
    s = engine_->ApplyTransaction(txn, &kv_, DetectedAt(step.at), &out);
  } else {
    if (lsn) lsn_ = *lsn;
    s = engine_->AdvanceClock(step.at, lsn_, &kv_, DetectedAt(step.at), &out);
  }
  if (!s.ok()) Violation("step at " + FormatTimestamp(step.at) + " failed: " + s.ToString());
  return Accept(std::move(out), step.at, lsn_);
}

std::vector<Message> RuleHarness::Accept(std::vector<OutMessage> out, Micros at, Lsn lsn) {
  std::vector<Message> messages;
  for (OutMessage& m : out) {
    Message msg;
    msg.topic = m.topic;
    msg.key = std::move(m.key);
    msg.payload = std::move(m.payload);
    std::string error;
    if (!ParseJson(msg.payload, &msg.json, &error)) {
      Violation("payload is not JSON (" + error + "): " + msg.payload);
    } else if (!msg.json.is_object()) {
      Violation("payload is not a JSON object: " + msg.payload);
    }
    messages.push_back(std::move(msg));
  }
  Check(at, lsn, messages);
  return messages;
}

void RuleHarness::Check(Micros at, Lsn lsn, const std::vector<Message>& messages) {
  // A clock tick reports the tick as its commit time.
  const std::string lsn_text = FormatLsn(lsn);
  const std::string commit_text = FormatTimestamp(at);
  const std::string detected_text = FormatTimestamp(DetectedAt(at));
  // Firings of this step that need a command, and the command they got.
  std::map<std::string, std::string> fired_now;        // fingerprint -> alert_id
  std::map<std::string, int> commands_for;             // fingerprint -> commands seen
  std::set<std::string> transitioned;                  // fingerprints with a message in this step

  for (const Message& m : messages) {
    const Json& j = m.json;
    const std::string where = " [" + m.payload + "]";
    switch (m.topic) {
      case Topic::kAlerts: {
        for (const char* field : {"alert_id", "fingerprint", "type", "severity", "state", "entity", "lsn",
                                  "commit_time", "detected_at", "details", "runbook"}) {
          if (!j.Has(field)) Violation(std::string("alert lacks ") + field + where);
        }
        const std::string type = j.Str("type");
        const std::string fp = j.Str("fingerprint");
        const std::string state = j.Str("state");
        const std::string alert_id = j.Str("alert_id");
        const Json* entity = j.Find("entity");
        const RuleInfo* rule = FindRule(type);
        if (rule == nullptr) {
          Violation("unknown alert type" + where);
          break;
        }
        if (entity == nullptr || !entity->is_object()) {
          Violation("alert entity is not an object" + where);
          break;
        }
        if (entity->Str("kind") != rule->entity_kind) Violation("wrong entity.kind" + where);
        if (fp != type + ":" + std::string(rule->entity_kind) + ":" + entity->Str("id")) {
          Violation("fingerprint is not <type>:<kind>:<id>" + where);
        }
        if (entity->Str("id").empty()) Violation("empty entity.id" + where);
        if (m.key != fp) Violation("message key is not the fingerprint" + where);
        if (j.Str("severity") != rule->severity) Violation("wrong severity" + where);
        if (j.Str("lsn") != lsn_text) Violation("alert lsn is not the step's (" + lsn_text + ")" + where);
        if (j.Str("commit_time") != commit_text) Violation("alert commit_time is not the step's" + where);
        if (j.Str("detected_at") != detected_text) Violation("alert detected_at is not the one given" + where);
        if (const Json* d = j.Find("details"); d == nullptr || !d->is_object()) {
          Violation("alert details is not an object" + where);
        }
        if (rule->entity_kind == "event" && j.Str("event_id") != entity->Str("id")) {
          Violation("event alert's event_id is not the event" + where);
        }
        if (alert_id.empty()) Violation("empty alert_id" + where);
        if (!transitioned.insert(fp).second) Violation("two transitions of one fingerprint in one step" + where);
        if (state == "firing") {
          if (firing_.count(fp) != 0) Violation("repeated firing while already firing" + where);
          auto [it, fresh] = used_alert_ids_.emplace(alert_id, fp);
          if (!fresh) Violation("alert_id reused by a new firing" + where);
          firing_[fp] = alert_id;
          if (!rule->command.empty()) fired_now[fp] = alert_id;
        } else if (state == "resolved") {
          auto it = firing_.find(fp);
          if (it == firing_.end()) {
            Violation("resolved without a firing" + where);
          } else {
            if (it->second != alert_id) Violation("resolved alert_id differs from the firing's " + it->second + where);
            firing_.erase(it);
          }
        } else {
          Violation("state is neither firing nor resolved" + where);
        }
        break;
      }
      case Topic::kCommands: {
        for (const char* field : {"command_id", "type", "args", "dry_run", "requires_approval", "caused_by", "lsn",
                                  "issued_at"}) {
          if (!j.Has(field)) Violation(std::string("command lacks ") + field + where);
        }
        auto it = fired_now.find(m.key);
        if (it == fired_now.end()) {
          Violation("command without a firing of its fingerprint in the same step" + where);
          break;
        }
        ++commands_for[m.key];
        const RuleInfo* rule = FindRule(m.key.substr(0, m.key.find(':')));
        if (rule == nullptr || j.Str("type") != rule->command) Violation("wrong command type" + where);
        if (j.Str("caused_by") != it->second) Violation("caused_by is not the alert_id " + it->second + where);
        const std::string command_id = j.Str("command_id");
        if (command_id.empty() || command_id == it->second) Violation("command_id empty or equal to alert_id" + where);
        if (j.Str("dry_run") != "false") Violation("dry_run is not false" + where);
        if (rule != nullptr && j.Str("requires_approval") != (rule->requires_approval ? "true" : "false")) {
          Violation(std::string("requires_approval is not ") + (rule->requires_approval ? "true" : "false") + where);
        }
        if (const Json* a = j.Find("args"); a == nullptr || !a->is_object()) Violation("args not an object" + where);
        if (j.Str("lsn") != lsn_text) Violation("command lsn is not the step's" + where);
        break;
      }
      case Topic::kDeadLetter:
        if (j.Str("reason").empty()) Violation("dead letter without a reason" + where);
        break;
      default:
        Violation("unknown topic" + where);
    }
  }
  for (const auto& [fp, alert_id] : fired_now) {
    if (commands_for[fp] != 1) {
      Violation(fp + " fired (" + alert_id + ") with " + std::to_string(commands_for[fp]) + " commands, not 1");
    }
  }
}

// ---------------------------------------------------------------------------
// Table-driven cases

namespace cases {

Expect Fires(const std::string& type, const std::string& entity_id, Figures details) {
  std::string fp = Fingerprint(type, entity_id);
  return {fp, "firing " + fp, std::move(details), ""};
}

Expect Resolves(const std::string& type, const std::string& entity_id) {
  std::string fp = Fingerprint(type, entity_id);
  return {fp, "resolved " + fp, {}, ""};
}

Expect Command(const std::string& command, const std::string& alert_type, const std::string& entity_id,
               Figures args) {
  std::string fp = Fingerprint(alert_type, entity_id);
  std::sort(args.begin(), args.end());
  std::string s = "command " + command + " {";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? "," : "") + args[i].first + "=" + args[i].second;
  return {fp, s + "} <- " + fp, {}, ""};
}

Expect DeadLetter(const std::string& qualified_table, std::string reason) {
  return {qualified_table, "deadletter " + qualified_table, {}, std::move(reason)};
}

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

std::string Describe(const Step& s) {
  if (s.kind == Step::Kind::kClock) return "clock tick to " + FormatTimestamp(s.at);
  std::string d = "transaction at " + FormatTimestamp(s.at) + ":";
  for (const Change& c : s.changes) {
    d += " ";
    d += static_cast<char>(c.action);
    d += " " + c.schema + "." + c.table;
  }
  return d;
}

namespace {

template <typename T, typename KeyOf, typename SummaryOf>
std::vector<std::string> PerKeyOrder(const std::vector<T>& items, KeyOf key_of, SummaryOf summary_of) {
  std::vector<const T*> sorted;
  for (const T& item : items) sorted.push_back(&item);
  std::stable_sort(sorted.begin(), sorted.end(), [&](const T* a, const T* b) { return key_of(*a) < key_of(*b); });
  std::vector<std::string> out;
  for (const T* item : sorted) out.push_back(summary_of(*item));
  return out;
}

}  // namespace

void ExpectMessages(const std::vector<Message>& got, const std::vector<Expect>& want) {
  std::vector<std::string> got_summaries =
      PerKeyOrder(got, [](const Message& m) { return m.key; }, [](const Message& m) { return m.Summary(); });
  std::vector<std::string> want_summaries =
      PerKeyOrder(want, [](const Expect& e) { return e.key; }, [](const Expect& e) { return e.summary; });
  EXPECT_THAT(got_summaries, ::testing::ElementsAreArray(want_summaries));

  for (const Expect& e : want) {
    const Message* match = nullptr;
    for (const Message& m : got) {
      if (m.Summary() == e.summary) match = &m;
    }
    if (match == nullptr) continue;  // already reported above
    if (!e.details.empty()) {
      const Json* details = match->json.Find("details");
      ASSERT_NE(details, nullptr) << match->payload;
      for (const auto& [name, value] : e.details) {
        EXPECT_EQ(details->Str(name), value) << "details." << name << " of " << match->payload;
      }
    }
    if (!e.reason.empty()) {
      EXPECT_NE(match->json.Str("reason").find(e.reason), std::string::npos)
          << "reason should mention '" << e.reason << "': " << match->payload;
    }
  }
}

void RunCase(const RuleCase& c, const std::function<void(const Message&)>& check) {
  RuleHarness harness(c.thresholds);
  std::vector<std::vector<std::string>> payloads;
  for (size_t i = 0; i < c.steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + Describe(c.steps[i].step));
    std::vector<Message> got = harness.Run(c.steps[i].step);
    ExpectMessages(got, c.steps[i].expect);
    if (check) {
      for (const Message& m : got) check(m);
    }
    payloads.emplace_back();
    for (const Message& m : got) payloads.back().push_back(m.payload);
  }
  EXPECT_THAT(harness.violations(), ::testing::IsEmpty());

  RuleHarness again(c.thresholds);
  for (size_t i = 0; i < c.steps.size(); ++i) {
    std::vector<std::string> second;
    for (const Message& m : again.Run(c.steps[i].step)) second.push_back(m.payload);
    EXPECT_EQ(second, payloads[i]) << "step " << i + 1 << " is not deterministic";
  }
}

void CoveredTypes(const std::vector<RuleCase>& all, std::set<std::string>* fired, std::set<std::string>* resolved) {
  for (const RuleCase& c : all) {
    for (const StepCase& s : c.steps) {
      for (const Expect& e : s.expect) {
        if (e.summary.starts_with("firing ")) fired->insert(e.key.substr(0, e.key.find(':')));
        if (e.summary.starts_with("resolved ")) resolved->insert(e.key.substr(0, e.key.find(':')));
      }
    }
  }
}

Thresholds With(void (*set)(Thresholds*)) {
  Thresholds t;
  set(&t);
  return t;
}

std::vector<Change> Cat(std::initializer_list<std::vector<Change>> parts) {
  std::vector<Change> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace cases

}  // namespace walguard::rule_test

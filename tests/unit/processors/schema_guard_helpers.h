// Helpers of the schema guard's tests (schema_guard_test.cc: missing
// columns and bad input; schema_guard_types_test.cc: retyped columns and the
// guard's maps): changes typed as the live stream types them, the ALTER
// TABLEs done to them, and what the engine emitted and stored.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "processors/schema_guard.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test::schema_guard {

inline const std::string E1 = EventId(1);
inline const std::string T1 = TierId(1);
inline const std::string O1 = OrderId(1);

// The type each column has in the contract's DDL (sql/*.sql), as the live
// stream reports it.
inline TypeFamily ContractType(std::string_view name) {
  static const std::map<std::string_view, TypeFamily> kTypes = {
      {"id", TypeFamily::kUuid},
      {"event_id", TypeFamily::kUuid},
      {"tier_id", TypeFamily::kUuid},
      {"order_id", TypeFamily::kUuid},
      {"user_id", TypeFamily::kUuid},
      {"booking_intent_id", TypeFamily::kUuid},
      {"unit_id", TypeFamily::kUuid},
      {"transaction_id", TypeFamily::kUuid},
      {"quantity", TypeFamily::kInteger},
      {"reserved_quantity", TypeFamily::kInteger},
      {"issued_quantity", TypeFamily::kInteger},
      {"price_cents", TypeFamily::kInteger},
      {"unit_price_cents", TypeFamily::kInteger},
      {"total_cents", TypeFamily::kInteger},
      {"allotment", TypeFamily::kInteger},
      {"bookings_count", TypeFamily::kInteger},
      {"amount", TypeFamily::kNumeric},
      {"check_in", TypeFamily::kDate},
      {"check_out", TypeFamily::kDate},
      {"date", TypeFamily::kDate},
  };
  if (auto it = kTypes.find(name); it != kTypes.end()) return it->second;
  return name.ends_with("_at") ? TypeFamily::kTimestampTz : TypeFamily::kText;
}

// The change as the live stream delivers it: every column typed.
inline Change Typed(Change c) {
  for (std::vector<Datum>* list : {&c.columns, &c.identity}) {
    for (Datum& d : *list) d.type = ContractType(d.name);
  }
  return c;
}

inline Change Without(Change c, std::string_view column) {
  std::erase_if(c.columns, [&](const Datum& d) { return d.name == column; });
  return c;
}

inline Change Renamed(Change c, std::string_view from, std::string to) {
  for (Datum& d : c.columns) {
    if (d.name == from) d.name = to;
  }
  return c;
}

inline Change Retyped(Change c, std::string_view column, TypeFamily type) {
  for (std::vector<Datum>* list : {&c.columns, &c.identity}) {
    for (Datum& d : *list) {
      if (d.name == column) d.type = type;
    }
  }
  return c;
}

inline Change Pay(int n, std::string_view method, std::string_view status, Micros created,
                  std::optional<Micros> succeeded = std::nullopt) {
  return Typed(InsertIn("reserve", "payments",
                        PaymentRow(PaymentId(n), IntentId(n), "stripe", method, status, "120.00", created, succeeded)));
}
// Reservation n of `intent`, on a unit of its own.
inline Change Res(int n, int intent) {
  return Typed(InsertIn("reserve", "reservations",
                        ReservationRow(ReservationId(n), IntentId(intent), UnitId(n), Day(0), Day(2), "confirmed")));
}
inline Change Tier(int64_t quantity, int64_t reserved, int64_t issued) {
  return Typed(Insert("ticket_tiers", TierRow(T1, E1, quantity, reserved, issued)));
}

inline std::vector<std::string> Summaries(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.Summary());
  return out;
}

inline const Message* Find(const std::vector<Message>& messages, std::string_view summary) {
  for (const Message& m : messages) {
    if (m.Summary() == summary) return &m;
  }
  return nullptr;
}

inline std::vector<std::string> DisabledAlerts(std::initializer_list<std::string_view> rules) {
  std::vector<std::string> out;
  for (std::string_view r : rules) out.push_back("firing rule_disabled:rule:" + std::string(r));
  return out;
}

// The harness checks alerts against the contract's rule table, which does not
// list rule_disabled (walguard's own alert); every other violation counts.
inline std::vector<std::string> OtherViolations(const RuleHarness& h) {
  std::vector<std::string> out;
  for (const std::string& v : h.violations()) {
    if (v.find("unknown alert type") == std::string::npos || v.find("\"rule_disabled\"") == std::string::npos) {
      out.push_back(v);
    }
  }
  return out;
}

inline std::set<std::string> StoredDisabled(RuleHarness& h) {
  std::set<std::string> out;
  for (const auto& [key, value] : h.kv().data()) {
    if (key.starts_with("D")) out.insert(key.substr(1));
  }
  return out;
}

}  // namespace walguard::rule_test::schema_guard

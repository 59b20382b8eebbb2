#include "processors/monitored_tables.h"

#include <cassert>

namespace walguard {

const std::vector<TableSpec>& MonitoredTables() {
  // Order matches TableId; column order matches the *_col enums.
  static const std::vector<TableSpec> kTables = {
      {"ticketing",
       "ticket_tiers",
       {"id"},
       {"id", "event_id", "quantity", "reserved_quantity", "issued_quantity", "name", "price_cents"},
       5},
      {"ticketing", "ticket_holds", {"id"}, {"id", "tier_id", "quantity", "status", "expires_at"}},
      {"ticketing",
       "orders",
       {"id"},
       {"id", "event_id", "status", "total_cents", "created_at", "paid_at", "user_id"},
       6},
      {"ticketing", "order_items", {"id"}, {"id", "order_id", "quantity", "unit_price_cents"}},
      {"ticketing", "tickets", {"id"}, {"id", "order_id", "tier_id", "status"}},
      {"reserve",
       "payments",
       {"id"},
       {"id", "booking_intent_id", "provider", "method", "status", "amount", "created_at", "succeeded_at",
        "gateway_payment_id", "error_code"},
       8},
      {"reserve", "reservations", {"id"}, {"id", "booking_intent_id", "unit_id", "check_in", "check_out", "status"}},
      {"reserve", "ledger_entries", {"id"}, {"id", "transaction_id", "account", "direction", "amount", "created_at"}},
      {"reserve",
       "availability_calendar",
       {"unit_id", "date"},
       {"unit_id", "date", "allotment", "bookings_count", "temp_holds"},
       4},
      {"reserve", "processed_webhooks", {"id"}, {"id", "provider", "status", "received_at"}},
      // Context only: optional tables, every column but the key optional too.
      {"ticketing", "events", {"id"}, {"id", "title"}, 1, true},
      {"reserve", "booking_intents", {"id"}, {"id", "unit_id", "check_in", "check_out", "status"}, 1, true},
      // pg_cron (optional: only where the extension is installed)
      {"cron", "job", {"jobid"}, {"jobid", "jobname", "schedule", "command", "active"}, 5, true},
      {"cron",
       "job_run_details",
       {"runid"},
       {"runid", "jobid", "status", "return_message", "start_time", "end_time"},
       6,
       true},
  };
  assert(kTables.size() == static_cast<size_t>(TableId::kCount));
  return kTables;
}

namespace {

constexpr TypeSet kKey = TypeBit(TypeFamily::kUuid) | TypeBit(TypeFamily::kText) | TypeBit(TypeFamily::kInteger);
constexpr TypeSet kCount = TypeBit(TypeFamily::kInteger) | TypeBit(TypeFamily::kNumeric);
constexpr TypeSet kMoney = TypeBit(TypeFamily::kNumeric) | TypeBit(TypeFamily::kInteger);
constexpr TypeSet kLabel = TypeBit(TypeFamily::kText);
constexpr TypeSet kTime = TypeBit(TypeFamily::kTimestampTz) | TypeBit(TypeFamily::kTimestamp);
constexpr TypeSet kDay = TypeBit(TypeFamily::kDate);
constexpr TypeSet kFlag = TypeBit(TypeFamily::kBoolean);
constexpr TypeSet kFixedLength = TypeBit(TypeFamily::kInteger) | TypeBit(TypeFamily::kUuid) |
                                 TypeBit(TypeFamily::kTimestampTz) | TypeBit(TypeFamily::kTimestamp) |
                                 TypeBit(TypeFamily::kDate) | TypeBit(TypeFamily::kBoolean) |
                                 TypeBit(TypeFamily::kFloat);

}  // namespace

const std::vector<TypeSet>& ExpectedTypes(TableId table) {
  // Order matches TableId and each table's columns above.
  static const std::vector<std::vector<TypeSet>> kTypes = {
      {kKey, kKey, kCount, kCount, kCount, kLabel, kCount},                      // ticket_tiers
      {kKey, kKey, kCount, kLabel, kTime},                                       // ticket_holds
      {kKey, kKey, kLabel, kMoney, kTime, kTime, kKey},                          // orders
      {kKey, kKey, kCount, kMoney},                                              // order_items
      {kKey, kKey, kKey, kLabel},                                                // tickets
      {kKey, kKey, kLabel, kLabel, kLabel, kMoney, kTime, kTime, kKey, kLabel},  // payments
      {kKey, kKey, kKey, kDay, kDay, kLabel},                                    // reservations
      {kKey, kKey, kLabel, kLabel, kMoney, kTime},                               // ledger_entries
      {kKey, kDay, kCount, kCount, kCount},                                      // availability_calendar
      {kKey, kLabel, kLabel, kTime},                                             // processed_webhooks
      {kKey, kLabel},                                                            // events
      {kKey, kKey, kDay, kDay, kLabel},                                          // booking_intents
      {kKey, kLabel, kLabel, kLabel, kFlag},                                     // cron.job
      {kKey, kKey, kLabel, kLabel, kTime, kTime},                                // cron.job_run_details
  };
  assert(kTypes.size() == static_cast<size_t>(TableId::kCount));
  const std::vector<TypeSet>& types = kTypes[static_cast<size_t>(table)];
  assert(types.size() == Spec(table).columns.size());
  return types;
}

bool TypeAccepted(TableId table, int col, TypeFamily family) {
  if (family == TypeFamily::kUnknown || family == TypeFamily::kUserDefined) return true;
  // A context column of another type is shown as its text (or null), never a reason to stop a rule.
  if (col >= 0 && !Spec(table).Required(static_cast<size_t>(col))) return true;
  const std::vector<TypeSet>& types = ExpectedTypes(table);
  return col < 0 || static_cast<size_t>(col) >= types.size() || (types[col] & TypeBit(family)) != 0;
}

std::string DescribeTypes(TypeSet set) {
  std::string out;
  int left = __builtin_popcount(set);
  for (unsigned f = 0; set >> f != 0; ++f) {
    if ((set & (1u << f)) == 0) continue;
    out += TypeFamilyName(static_cast<TypeFamily>(f));
    --left;
    if (left > 1) out += ", ";
    if (left == 1) out += " or ";
  }
  return out;
}

bool NeverToasted(TypeSet set) {
  return set != 0 && (set & ~kFixedLength) == 0;
}

const TableSpec& Spec(TableId id) {
  return MonitoredTables()[static_cast<size_t>(id)];
}

const TableSpec* FindMonitoredTable(std::string_view schema, std::string_view table, TableId* id) {
  const std::vector<TableSpec>& tables = MonitoredTables();
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].schema == schema && tables[i].table == table) {
      *id = static_cast<TableId>(i);
      return &tables[i];
    }
  }
  return nullptr;
}

}  // namespace walguard

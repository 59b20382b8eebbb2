#include "processors/monitored_tables.h"

#include <cassert>

namespace walguard {

const std::vector<TableSpec>& MonitoredTables() {
  // Order matches TableId; column order matches the *_col enums.
  static const std::vector<TableSpec> kTables = {
      {"ticketing", "ticket_tiers", {"id"}, {"id", "event_id", "quantity", "reserved_quantity", "issued_quantity"}},
      {"ticketing", "ticket_holds", {"id"}, {"id", "tier_id", "quantity", "status", "expires_at"}},
      {"ticketing", "orders", {"id"}, {"id", "event_id", "status", "total_cents", "created_at", "paid_at"}},
      {"ticketing", "order_items", {"id"}, {"id", "order_id", "quantity", "unit_price_cents"}},
      {"ticketing", "tickets", {"id"}, {"id", "order_id", "tier_id", "status"}},
      {"reserve", "payments", {"id"},
       {"id", "booking_intent_id", "provider", "method", "status", "amount", "created_at", "succeeded_at"}},
      {"reserve", "reservations", {"id"}, {"id", "booking_intent_id", "unit_id", "check_in", "check_out", "status"}},
      {"reserve", "ledger_entries", {"id"}, {"id", "transaction_id", "account", "direction", "amount", "created_at"}},
      {"reserve", "availability_calendar", {"unit_id", "date"}, {"unit_id", "date", "allotment", "bookings_count"}},
      {"reserve", "processed_webhooks", {"id"}, {"id", "provider", "status", "received_at"}},
  };
  assert(kTables.size() == static_cast<size_t>(TableId::kCount));
  return kTables;
}

const TableSpec& Spec(TableId id) { return MonitoredTables()[static_cast<size_t>(id)]; }

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

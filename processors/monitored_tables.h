// The tables walguard reads (contract section 1) and the columns it keeps of
// each. Other columns may exist and are ignored; only these are snapshotted
// and stored in row images.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ingest/change.h"

namespace walguard {

enum class TableId : uint8_t { kTicketTiers, kTicketHolds, kOrders, kOrderItems, kTickets, kCount };

// Indexed by TableId.
const std::vector<TableSpec>& MonitoredTables();
const TableSpec& Spec(TableId id);

// nullptr when schema.table is not monitored.
const TableSpec* FindMonitoredTable(std::string_view schema, std::string_view table, TableId* id);

// Column positions within each TableSpec::columns.
namespace tier_col { enum : int { kId, kEventId, kQuantity, kReserved, kIssued }; }
namespace hold_col { enum : int { kId, kTierId, kQuantity, kStatus, kExpiresAt }; }
namespace order_col { enum : int { kId, kEventId, kStatus, kTotalCents, kCreatedAt, kPaidAt }; }
namespace item_col { enum : int { kId, kOrderId, kQuantity, kUnitPriceCents }; }
namespace ticket_col { enum : int { kId, kOrderId, kTierId, kStatus }; }

}  // namespace walguard

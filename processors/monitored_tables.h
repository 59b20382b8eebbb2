// The tables walguard reads (docs/reference.md section 1) and the columns it keeps of
// each. Other columns may exist and are ignored; only these are snapshotted
// and stored in row images.
//
// Columns and tables read only for an alert's context (CONTRACT 3.1: event
// titles, tier names, user and gateway ids, booking intents) are optional
// (TableSpec::required_columns, TableSpec::optional): their absence at the
// snapshot or from a row gives null context values, never a dead letter, a
// disabled rule or an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/change.h"

namespace walguard {

enum class TableId : uint8_t {
  // ticketing (runbook 000)
  kTicketTiers,
  kTicketHolds,
  kOrders,
  kOrderItems,
  kTickets,
  // reserve (runbook 002)
  kPayments,
  kReservations,
  kLedgerEntries,
  kAvailabilityCalendar,
  kProcessedWebhooks,
  // read only for alert context (CONTRACT 3.1); optional, so appended
  kEvents,          // ticketing
  kBookingIntents,  // reserve
  // pg_cron (optional: only where the extension is installed)
  kCronJob,
  kCronJobRunDetails,
  kCount
};

inline bool IsTicketingTable(TableId id) {
  return id <= TableId::kTickets || id == TableId::kEvents;
}

inline bool IsCronTable(TableId id) {
  return id == TableId::kCronJob || id == TableId::kCronJobRunDetails;
}

// Indexed by TableId.
const std::vector<TableSpec>& MonitoredTables();
const TableSpec& Spec(TableId id);

// nullptr when schema.table is not monitored.
const TableSpec* FindMonitoredTable(std::string_view schema, std::string_view table, TableId* id);

// The type families a column may have for the rules to read it, as a bit set
// (bit i = TypeFamily i). Lenient where the rules' parsing does not care:
// ids are opaque keys, counts and cents may be any integer or an integral
// numeric (an int4 -> int8 widening changes nothing), money is any exact
// number (never floating point), a timestamp without time zone reads as UTC
// like everywhere else. kUnknown and kUserDefined are never judged.
using TypeSet = uint16_t;
constexpr TypeSet TypeBit(TypeFamily f) {
  return static_cast<TypeSet>(1u << static_cast<unsigned>(f));
}

// Parallel to Spec(table).columns.
const std::vector<TypeSet>& ExpectedTypes(TableId table);

// False only when the family is known and the rules cannot read it. A
// context column (not TableSpec::Required) accepts any family: context shows
// its text, or null, and never stops a rule.
bool TypeAccepted(TableId table, int col, TypeFamily family);

// "integer or numeric", "uuid, text or integer".
std::string DescribeTypes(TypeSet set);

// True when every accepted family has a fixed length: such a column is never
// TOASTed, so an UPDATE always carries it.
bool NeverToasted(TypeSet set);

// Column positions within each TableSpec::columns.
namespace tier_col {
enum : int { kId, kEventId, kQuantity, kReserved, kIssued, kName, kPriceCents };
}
namespace hold_col {
enum : int { kId, kTierId, kQuantity, kStatus, kExpiresAt };
}
namespace order_col {
enum : int { kId, kEventId, kStatus, kTotalCents, kCreatedAt, kPaidAt, kUserId };
}
namespace item_col {
enum : int { kId, kOrderId, kQuantity, kUnitPriceCents };
}
namespace ticket_col {
enum : int { kId, kOrderId, kTierId, kStatus };
}
namespace payment_col {
enum : int {
  kId,
  kIntentId,
  kProvider,
  kMethod,
  kStatus,
  kAmount,
  kCreatedAt,
  kSucceededAt,
  kGatewayPaymentId,
  kErrorCode
};
}
namespace reservation_col {
enum : int { kId, kIntentId, kUnitId, kCheckIn, kCheckOut, kStatus };
}
namespace ledger_col {
enum : int { kId, kTransactionId, kAccount, kDirection, kAmount, kCreatedAt };
}
namespace calendar_col {
enum : int { kUnitId, kDate, kAllotment, kBookingsCount, kTempHolds };
}
namespace webhook_col {
enum : int { kId, kProvider, kStatus, kReceivedAt };
}
namespace event_col {
enum : int { kId, kTitle };
}
namespace intent_col {
enum : int { kId, kUnitId, kCheckIn, kCheckOut, kStatus };
}
namespace cron_job_col {
enum : int { kJobId, kJobName, kSchedule, kCommand, kActive };
}
namespace cron_run_col {
enum : int { kRunId, kJobId, kStatus, kReturnMessage, kStartTime, kEndTime };
}

}  // namespace walguard

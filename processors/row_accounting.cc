#include "processors/row_accounting.h"

#include "processors/reserve_apply.h"
#include "processors/reserve_rules.h"
#include "processors/ticketing_apply.h"
#include "processors/ticketing_rules.h"

namespace walguard {

Status CheckRow(TableId table, const RowImage& image) {
  return IsTicketingTable(table) ? CheckTicketingRow(table, image) : CheckReserveRow(table, image);
}

Status AccountRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  return IsTicketingTable(table) ? AccountTicketingRow(ctx, table, key, image, sign)
                                 : AccountReserveRow(ctx, table, key, image, sign);
}

Status EvaluateTouched(ApplyContext* ctx) {
  for (const auto& [kind, id] : ctx->touched) {
    switch (kind) {
      case EntityKind::kTier: WG_RETURN_IF_ERROR(EvaluateTier(ctx, id)); break;
      case EntityKind::kOrder: WG_RETURN_IF_ERROR(EvaluateOrder(ctx, id)); break;
      case EntityKind::kEvent: WG_RETURN_IF_ERROR(EvaluateEvent(ctx, id)); break;
      case EntityKind::kPayment: WG_RETURN_IF_ERROR(EvaluatePayment(ctx, id)); break;
      case EntityKind::kBookingIntent: WG_RETURN_IF_ERROR(EvaluateBookingIntent(ctx, id)); break;
      case EntityKind::kUnit: WG_RETURN_IF_ERROR(EvaluateUnit(ctx, id)); break;
      case EntityKind::kUnitDate: WG_RETURN_IF_ERROR(EvaluateUnitDate(ctx, id)); break;
      case EntityKind::kProvider: WG_RETURN_IF_ERROR(EvaluateProvider(ctx, id)); break;
      case EntityKind::kLedgerTransaction: WG_RETURN_IF_ERROR(EvaluateLedgerTransaction(ctx, id)); break;
      case EntityKind::kProviderWebhooks: break;
    }
  }
  ctx->touched.clear();
  return Status::OK();
}

}  // namespace walguard

#include "processors/row_accounting.h"

#include "processors/cron_apply.h"
#include "processors/reserve_apply.h"
#include "processors/rule_registry.h"
#include "processors/ticketing_apply.h"

namespace walguard {

Status CheckRow(TableId table, const RowImage& image) {
  if (IsCronTable(table)) return CheckCronRow(table, image);
  return IsTicketingTable(table) ? CheckTicketingRow(table, image) : CheckReserveRow(table, image);
}

Status AccountRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  if (IsCronTable(table)) return AccountCronRow(ctx, table, key, image, sign);
  return IsTicketingTable(table) ? AccountTicketingRow(ctx, table, key, image, sign)
                                 : AccountReserveRow(ctx, table, key, image, sign);
}

Status EvaluateTouched(ApplyContext* ctx) {
  for (const auto& [kind, id] : ctx->touched) WG_RETURN_IF_ERROR(EvaluateEntity(ctx, kind, id));
  ctx->touched.clear();
  return Status::OK();
}

}  // namespace walguard

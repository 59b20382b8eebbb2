// How each ticketing row contributes to the aggregates (runbook 000).
//
// Every monitored row is accounted (sign +1) when it is stored and retracted
// (sign -1) before it changes or goes away, with exactly the contribution it
// was accounted with. Rows whose contribution depends on the WAL clock (a
// hold's expiry phase, an order's staleness) record the derived state in
// RowImage::accounted and set a timer for the next instant it changes; the
// timer simply retracts and re-accounts the row. Stuck holds are also
// indexed by tier for context (context_index.h); events rows are only stored,
// as the lookup of an event's title.
#pragma once

#include <string>

#include "processors/apply_context.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/status.h"

namespace walguard {

// InvalidArgument when a column the rules read has an unusable value (a
// quantity that is not an integer, a malformed timestamp). Such a row is
// dead-lettered, never accounted.
Status CheckTicketingRow(TableId table, const RowImage& image);

// sign +1: computes the derived state at ctx->now into image->accounted and
// image->timer, sets the timer and adds the contribution. sign -1: clears
// the timer and subtracts the contribution recorded in the image.
// Marks the entities whose rules must be evaluated.
Status AccountTicketingRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign);

}  // namespace walguard

// Dispatch of row accounting to the rule family that owns the table.
#pragma once

#include <string>

#include "processors/apply_context.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/status.h"

namespace walguard {

// InvalidArgument when a column the rules read has an unusable value.
Status CheckRow(TableId table, const RowImage& image);

// Adds (+1) or retracts (-1) the row's contribution; see ticketing_apply.h.
Status AccountRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign);

// Evaluates every rule of every entity the step touched, in a stable order.
Status EvaluateTouched(ApplyContext* ctx);

}  // namespace walguard

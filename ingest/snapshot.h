// Snapshot reading: the rows that existed before walguard's slot was created.
//
// Reads each table in `tables` on a normal connection inside
// REPEATABLE READ with SET TRANSACTION SNAPSHOT <exported name>, so what it
// sees is exactly what committed before the slot's consistent point: no gap,
// no overlap with the stream that follows.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/change.h"
#include "util/status.h"

namespace walguard {

// Calls `row_fn` once per row, as an INSERT Change carrying only the
// TableSpec's columns. A missing table or column is an InvalidArgument that
// names it, except a missing optional table (TableSpec::optional), which is
// skipped. Stops at the first error from row_fn.
Status ReadSnapshot(const std::string& conninfo, const std::string& snapshot_name, const std::vector<TableSpec>& tables,
                    const std::function<Status(Change&&)>& row_fn);

}  // namespace walguard

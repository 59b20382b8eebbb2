// PgSession: one libpq connection of a workload worker, with text
// parameters and text results: all the workload needs, and exact for
// numeric columns (money never passes through a double).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

struct pg_conn;

namespace walguard::workload {

// Rows of text cells; NULL reads as "".
struct Rows {
  std::vector<std::vector<std::string>> cells;
  int64_t affected = 0;  // rows inserted, updated, deleted or returned

  bool empty() const { return cells.empty(); }
  size_t size() const { return cells.size(); }
  const std::string& at(size_t row, size_t col) const { return cells[row][col]; }
};

class PgSession {
 public:
  PgSession() = default;
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  Status Connect(const std::string& conninfo);

  // Runs one statement with $1.. bound to `params`; its rows go to *rows.
  // Deadlocks and serialization failures come back as Unavailable (the
  // transaction must be retried from the start); other errors as IOError.
  Status Exec(std::string_view sql, const std::vector<std::string>& params = {}, Rows* rows = nullptr);

  // Runs several statements without parameters (schema scripts).
  Status ExecScript(const std::string& sql);

 private:
  pg_conn* conn_ = nullptr;
};

}  // namespace walguard::workload

// Database: the worker's one libpq connection, and the two things it does
// with it: a dry run, and an apply that commits the fix together with the
// record of its command_id (walguard_worker.applied), so a command's effect
// happens once whatever the redeliveries.
//
// Errors: Unavailable for what a retry may cure (the connection lost,
// serialization failure, deadlock, the server shutting down; the next call
// reconnects), InvalidArgument for the rest (a missing function, a bad
// argument, an exception the function raised).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/status.h"
#include "worker/messages.h"
#include "worker/sql_template.h"

namespace walguard {

struct ApplyResult {
  bool applied = false;  // false: another delivery applied it first
  std::string report_json;
};

class Database {
 public:
  Database();
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Connect(const std::string& conninfo);

  // Prepares `t` without running it: InvalidArgument with the server's
  // message when a function it calls does not exist (or the SQL is wrong).
  Status Check(const SqlTemplate& t);

  // Runs `t` with dry_run = true and returns the function's report.
  Status DryRun(const SqlTemplate& t, const Command& c, std::string* report_json);

  // In one transaction: skip when walguard_worker.applied has the command;
  // otherwise run `t` with dry_run = false, record the command with the
  // report (ON CONFLICT DO NOTHING: a concurrent delivery that committed
  // first wins and this one rolls back), write the audit row, commit.
  // `before_commit` runs just before COMMIT (a test's crash point).
  Status Apply(const SqlTemplate& t, const Command& c, const std::string& worker, void (*before_commit)(),
               ApplyResult* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace walguard

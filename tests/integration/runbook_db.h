// RunbookDb: a fresh database on the shared cluster with the contract schemas
// and sql/runbook/install.sql, for the runbook functions' tests. Two sessions:
// `admin` (the superuser: incidents, digests, checks) and `worker`, which runs
// as the walguard_worker role (SET ROLE), so every function call also proves
// the role's grants.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "util/status.h"
#include "workload/pg_session.h"

namespace walguard::testing {

// A function's jsonb report, key -> value as jsonb_each_text gives it:
// strings unquoted, numbers, arrays and objects as JSON text.
using Report = std::map<std::string, std::string>;

class RunbookDb {
 public:
  // Creates the database, loads sql/{ticketing,reserve}_schema.sql and runs
  // install.sql twice (it must be idempotent).
  Status SetUp();

  const std::string& name() const { return name_; }
  workload::PgSession& admin() { return admin_; }
  workload::PgSession& worker() { return worker_; }

  // Runs sql/runbook/install.sql again.
  Status Install();

  // SELECT `call` as walguard_worker; `call` names its parameters $1..
  // ("public.ensure_tickets($1::uuid, $2::boolean)").
  Status Call(const std::string& call, const std::vector<std::string>& params, Report* out);

  // The first column of the first row of `sql` run by the superuser ("" if none).
  Status Value(const std::string& sql, const std::vector<std::string>& params, std::string* out);

  // A digest of every row of the monitored tables and of
  // walguard_worker.provider_checks: equal digests, nothing changed.
  Status Digest(std::string* out);

  // Whether the SQL oracle (sql_oracle.h) says `fingerprint` fires now.
  Status Firing(const std::string& fingerprint, bool* firing);

 private:
  std::string name_;
  workload::PgSession admin_;
  workload::PgSession worker_;
};

}  // namespace walguard::testing

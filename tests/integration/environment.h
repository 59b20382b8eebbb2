// The integration tests' shared fixtures: one PostgreSQL cluster for the
// whole binary, started once by a gtest global Environment (see main.cc).
// Tests isolate themselves by database, not by cluster: each asks for a
// fresh uniquely named database.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/pg_cluster.h"

namespace walguard::testing {

class IntegrationEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
};

// The cluster started by IntegrationEnvironment. Only valid inside tests.
PgCluster& SharedCluster();

// Creates a new database on the shared cluster named after the running test
// (lower-case, unique within this process) and returns its name.
std::string CreateTestDatabase();

// pg_cron is preloaded on the shared cluster and keeps its tables in this
// database (cron.database_name), created at start; only the PgCron suite
// uses it (WalguardHarness::SetUpIn). Jobs run over libpq as the superuser
// who scheduled them (trusted on 127.0.0.1), not in background workers: see
// environment.cc. The launcher starts before this database exists, fails and
// is restarted a second later, by which time it does.
inline constexpr char kCronDatabase[] = "walguard_cron";

// The least-privilege role every test runs walguard as: created once from
// sql/walguard_role.sql with a random password (containing ':', which the
// passfile must escape), admitted by scram-sha-256 only. README "Least
// privilege and secrets" documents exactly this.
inline constexpr char kWalguardRole[] = "walguard";
const std::string& WalguardRolePassword();
// The pg_hba.conf line that admits it; any other way in is refused.
inline constexpr char kWalguardHba[] = "host all walguard 127.0.0.1/32 scram-sha-256";

// Runs sql/walguard_grants.sql in `dbname` (its schemas must exist).
Status GrantWalguardRole(const std::string& dbname);

// How `walguard run` reaches a database on the shared cluster as the role:
// the --pg conninfo (no password) and the child's environment, where
// PGPASSFILE names a 0600 passfile in `work_dir` and an inherited
// PGPASSWORD is removed. Grants the role on `dbname` first.
struct WalguardLogin {
  std::string conninfo;
  std::vector<std::string> env;
};
Status WalguardLoginFor(const std::string& dbname, const std::string& work_dir, WalguardLogin* out);

// The text of a file of the source tree ("sql/walguard_role.sql").
std::string ReadSourceFile(const std::string& relative_path);

}  // namespace walguard::testing

// The integration tests' shared fixtures: one PostgreSQL cluster for the
// whole binary, started once by a gtest global Environment (see main.cc).
// Tests isolate themselves by database, not by cluster: each asks for a
// fresh uniquely named database.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

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

}  // namespace walguard::testing

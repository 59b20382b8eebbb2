// The integration tests' main: registers the shared environment (one
// Postgres cluster for all tests) before running them.
#include <gtest/gtest.h>

#include "tests/integration/environment.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // gtest takes ownership of the environment.
  ::testing::AddGlobalTestEnvironment(new walguard::testing::IntegrationEnvironment);
  return RUN_ALL_TESTS();
}

#include "tests/integration/environment.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace walguard::testing {

namespace {

std::unique_ptr<PgCluster> g_cluster;
std::atomic<int> g_database_counter{0};

}  // namespace

void IntegrationEnvironment::SetUp() {
  g_cluster = std::make_unique<PgCluster>();
  Status s = g_cluster->Start();
  // A fatal failure here makes gtest skip every test, with this message.
  ASSERT_TRUE(s.ok()) << "starting the shared Postgres cluster: " << s.ToString();
}

void IntegrationEnvironment::TearDown() {
  g_cluster.reset();
}

PgCluster& SharedCluster() {
  if (g_cluster == nullptr) {
    // Linked without main.cc's environment: nothing sensible to return.
    std::fprintf(stderr, "SharedCluster() used before IntegrationEnvironment::SetUp\n");
    std::abort();
  }
  return *g_cluster;
}

std::string CreateTestDatabase() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base = info ? std::string(info->test_suite_name()) + "_" + info->name() : "db";
  std::string name;
  for (char c : base) {
    name.push_back(std::isalnum(static_cast<unsigned char>(c))
                       ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                       : '_');
  }
  // Names are capped at 63 bytes; keep room for the unique suffix.
  name = "t_" + name.substr(0, 48) + "_" + std::to_string(++g_database_counter);
  Status s = SharedCluster().CreateDatabase(name);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return name;
}

}  // namespace walguard::testing

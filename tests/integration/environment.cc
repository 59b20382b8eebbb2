#include "tests/integration/environment.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace walguard::testing {

namespace {

std::unique_ptr<PgCluster> g_cluster;
std::atomic<int> g_database_counter{0};
std::string g_walguard_password;

std::string RandomPassword() {
  std::random_device rd;
  std::string out = "wg:";
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 24; ++i) out.push_back(kHex[rd() % 16]);
  return out;
}

}  // namespace

void IntegrationEnvironment::SetUp() {
  g_cluster = std::make_unique<PgCluster>();
  PgClusterOptions options;
  options.hba = {kWalguardHba};
  // pg_cron runs its jobs through libpq, not in background workers: with
  // those, pg_cron 1.4.2 (Debian's) leaves a run that raised an error
  // 'running' for good and never starts that job again. Its connections go to
  // the address the cluster listens on (localhost may resolve to ::1 first).
  options.extra_conf = std::string("shared_preload_libraries = 'pg_cron'\ncron.database_name = '") + kCronDatabase +
                       "'\ncron.use_background_workers = off\ncron.host = '127.0.0.1'\n";
  Status s = g_cluster->Start(options);
  // A fatal failure here makes gtest skip every test, with this message.
  ASSERT_TRUE(s.ok()) << "starting the shared Postgres cluster: " << s.ToString();
  s = g_cluster->CreateDatabase(kCronDatabase);
  ASSERT_TRUE(s.ok()) << "creating pg_cron's database: " << s.ToString();
  g_walguard_password = RandomPassword();
  s = g_cluster->Exec("postgres", ReadSourceFile("sql/walguard_role.sql"));
  ASSERT_TRUE(s.ok()) << "creating the walguard role: " << s.ToString();
  s = g_cluster->Exec("postgres",
                      std::string("ALTER ROLE ") + kWalguardRole + " PASSWORD '" + g_walguard_password + "'");
  ASSERT_TRUE(s.ok()) << "setting the walguard role's password: " << s.ToString();
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

const std::string& WalguardRolePassword() {
  return g_walguard_password;
}

std::string ReadSourceFile(const std::string& relative_path) {
  std::ifstream in(std::string(WALGUARD_SOURCE_DIR) + "/" + relative_path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status GrantWalguardRole(const std::string& dbname) {
  std::string sql = ReadSourceFile("sql/walguard_grants.sql");
  if (sql.empty()) return Status::IOError("sql/walguard_grants.sql is missing or empty");
  // Tests may have given the database timeouts meant for walguard's sessions.
  sql = "SET statement_timeout = 0; SET lock_timeout = 0;\n" + sql;
  return SharedCluster().Exec(dbname, sql).WithContext("sql/walguard_grants.sql");
}

Status WalguardLoginFor(const std::string& dbname, const std::string& work_dir, WalguardLogin* out) {
  WG_RETURN_IF_ERROR(GrantWalguardRole(dbname));
  const std::string passfile = work_dir + "/pgpass";
  WG_RETURN_IF_ERROR(SharedCluster().WritePassfile(passfile, kWalguardRole, WalguardRolePassword()));
  out->conninfo = SharedCluster().ConnInfo(dbname, kWalguardRole);
  out->env = {"PGPASSFILE=" + passfile, "PGPASSWORD"};
  return Status::OK();
}

}  // namespace walguard::testing

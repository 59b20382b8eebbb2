// TLS to Postgres: walguard's sslmode/sslrootcert reach libpq on every
// connection it makes. A second, small cluster with ssl=on and a certificate
// made at test time (CN=localhost, signed by a throwaway CA) admits the
// walguard role over TLS only (hostssl), so every walguard connection that
// works is a TLS one.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/environment.h"
#include "tests/integration/security_support.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kDb[] = "tls";

class TlsTest : public ::testing::Test {
 protected:
  // One cluster for the suite: initdb costs a couple of seconds.
  static void SetUpTestSuite() {
    dir_ = new std::string("/tmp/walguard-tls-" + std::to_string(getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    cluster_ = new PgCluster;
    setup_ = new Status(SetUpCluster());
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete setup_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(setup_->ok()) << setup_->ToString(); }

  static Status SetUpCluster() {
    WG_RETURN_IF_ERROR(MakeTestCa(*dir_, "ca"));
    WG_RETURN_IF_ERROR(MakeTestCa(*dir_, "other-ca"));
    WG_RETURN_IF_ERROR(MakeServerCertificate(*dir_, "ca"));
    PgClusterOptions options;
    options.ssl_cert_file = *dir_ + "/server.crt";
    options.ssl_key_file = *dir_ + "/server.key";
    options.hba = {"hostssl all walguard 127.0.0.1/32 scram-sha-256"};
    WG_RETURN_IF_ERROR(cluster_->Start(options));
    WG_RETURN_IF_ERROR(cluster_->Exec("postgres", ReadSourceFile("sql/walguard_role.sql")));
    WG_RETURN_IF_ERROR(
        cluster_->Exec("postgres", std::string("ALTER ROLE walguard PASSWORD '") + WalguardRolePassword() + "'"));
    WG_RETURN_IF_ERROR(cluster_->CreateDatabase(kDb));
    for (const char* file : {"sql/ticketing_schema.sql", "sql/reserve_schema.sql", "sql/walguard_grants.sql"}) {
      WG_RETURN_IF_ERROR(cluster_->Exec(kDb, ReadSourceFile(file)).WithContext(file));
    }
    return cluster_->WritePassfile(*dir_ + "/pgpass", kWalguardRole, WalguardRolePassword());
  }

  // The role's conninfo by host name (verify-full checks it against the
  // certificate) with the given root certificate.
  static std::string VerifyFull(const std::string& root_cert) {
    return "host=localhost port=" + std::to_string(cluster_->port()) + " dbname=" + kDb +
           " user=walguard sslmode=verify-full sslrootcert=" + *dir_ + "/" + root_cert;
  }
  static std::vector<std::string> Env() { return {"PGPASSFILE=" + *dir_ + "/pgpass", "PGPASSWORD"}; }

  static std::string* dir_;
  static PgCluster* cluster_;
  static Status* setup_;
};

std::string* TlsTest::dir_ = nullptr;
PgCluster* TlsTest::cluster_ = nullptr;
Status* TlsTest::setup_ = nullptr;

TEST_F(TlsTest, VerifyFullStreamsOverTls) {
  // Written before walguard starts: the alert comes out of the snapshot,
  // read on the second (non-replication) connection.
  ASSERT_OK(cluster_->Exec(kDb, kAllRulesIncident));
  ChildProcess broker;
  std::string brokers;
  WalguardRun run("tls");
  ASSERT_OK(StartBroker(&broker, run.dir() + "/broker.log", &brokers));
  ASSERT_OK(run.Start("", {"--pg", VerifyFull("ca.crt"), "--brokers", brokers, "--slot", "wg_tls"}, Env()));
  ASSERT_OK(run.WaitLog("streaming from slot"));
  TopicReader reader;
  ASSERT_OK(reader.Open(brokers, {"walguard.alerts"}));
  EXPECT_TRUE(AlertFires(&reader, "stuck_holds")) << run.Log();

  std::string walsender_ssl, all_ssl;
  ASSERT_OK(cluster_->Exec(kDb,
                           "SELECT s.ssl::text || ' ' || s.version FROM pg_replication_slots r "
                           "JOIN pg_stat_ssl s ON s.pid = r.active_pid WHERE r.slot_name = 'wg_tls'",
                           &walsender_ssl));
  EXPECT_TRUE(walsender_ssl.starts_with("true TLSv1.")) << walsender_ssl;
  ASSERT_OK(cluster_->Exec(kDb,
                           "SELECT count(*) FILTER (WHERE NOT s.ssl) FROM pg_stat_activity a "
                           "JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'walguard'",
                           &all_ssl));
  EXPECT_EQ(all_ssl, "0") << "a walguard connection without TLS";

  // And the server really refuses the role without TLS.
  std::string value;
  Status plain = QueryAs("host=127.0.0.1 port=" + std::to_string(cluster_->port()) + " dbname=" + kDb +
                             " user=walguard sslmode=disable passfile=" + *dir_ + "/pgpass",
                         "SELECT 1", &value);
  EXPECT_TRUE(Contains(plain.message(), "no pg_hba.conf entry")) << plain.ToString();

  EXPECT_EQ(run.End(milliseconds(0)), 0) << run.Log();
  EXPECT_TRUE(Contains(run.Log(), "sslmode=verify-full")) << run.Log();
  EXPECT_FALSE(Contains(run.Log(), WalguardRolePassword())) << run.Log();
}

TEST_F(TlsTest, WrongRootCertificateFailsClearly) {
  WalguardRun run("tls-wrong-ca");
  ASSERT_OK(run.Start("[postgres]\nreconnect_max_backoff_ms = 500\n",
                      {"--pg", VerifyFull("other-ca.crt"), "--brokers", "127.0.0.1:1", "--slot", "wg_tls_wrong"},
                      Env()));
  ASSERT_OK(run.WaitLog("certificate verify failed", seconds(15)));
  // A certificate that fails verification fails again: walguard stops by
  // itself with the fatal exit code (2), not a crash, a hang or a retry loop.
  EXPECT_EQ(run.End(seconds(10)), 2) << run.Log();
  EXPECT_TRUE(Contains(run.Log(), "retrying cannot help")) << run.Log();
  EXPECT_FALSE(Contains(run.Log(), "streaming from slot")) << run.Log();
}

}  // namespace
}  // namespace walguard::testing

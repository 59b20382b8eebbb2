// Least privilege, secrets and TLS, end to end with the real binary: walguard
// runs as the role of sql/walguard_role.sql + sql/walguard_grants.sql and
// nothing more, takes its password from the environment, a passfile or the
// config file (never the command line) and never prints it, and verifies the
// server's certificate when told to.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/environment.h"
#include "tests/integration/security_support.h"
#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The walguard schemas' tables (the two demo schemas) on which `role` holds
// any privilege, as "schema.table:PRIVILEGE".
std::set<std::string> TablePrivileges(WalguardHarness* h, const std::string& role) {
  std::string list;
  Status s = h->Sql(
      "SELECT string_agg(t.schemaname || '.' || t.tablename || ':' || p.priv, ',' ORDER BY 1) "
      "FROM pg_tables t CROSS JOIN unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES',"
      "'TRIGGER']) AS p(priv) WHERE t.schemaname IN ('ticketing', 'reserve') AND has_table_privilege('" +
          role + "', format('%I.%I', t.schemaname, t.tablename), p.priv)",
      &list);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) out.insert(item);
  return out;
}

// README shows exactly the SQL the tests run: every statement line of the
// two files (comments aside) appears in it verbatim.
TEST(SecurityTest, ReadmeShowsTheRoleAndGrantsTheTestsUse) {
  const std::string readme = ReadSourceFile("README.md");
  for (const char* file : {"sql/walguard_role.sql", "sql/walguard_grants.sql"}) {
    std::stringstream sql(ReadSourceFile(file));
    int lines = 0;
    for (std::string line; std::getline(sql, line);) {
      if (line.empty() || line.starts_with("--") || line.starts_with("  --")) continue;
      ++lines;
      EXPECT_TRUE(Contains(readme, line)) << file << ": README.md lacks the line\n" << line;
    }
    EXPECT_GT(lines, 0) << file;
  }
}

TEST(SecurityTest, RunsAsTheLeastPrivilegedRoleAndNothingMore) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  // Only the grants file lets the role in now.
  ASSERT_OK(h.Sql("REVOKE CONNECT ON DATABASE \"" + h.db() + "\" FROM PUBLIC"));
  // The monitor connection and the heartbeat every second: their queries
  // run as the role too.
  ASSERT_OK(h.StartWalguard("[postgres]\nmonitor_interval_s = 1\nheartbeat_interval_s = 1\n"));
  ASSERT_OK(h.Sql(kAllRulesIncident));
  EXPECT_FALSE(h.WaitFor("stuck_holds", "firing", 1).empty()) << h.WalguardLog();

  std::string user;
  ASSERT_OK(
      h.Sql("SELECT a.usename FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid "
            "WHERE s.slot_name = 'wg_" +
                h.db() + "'",
            &user));
  EXPECT_EQ(user, kWalguardRole) << "the walsender streaming to walguard";
  std::string monitors;
  for (int i = 0; i < 100 && monitors != "1"; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(100));
    ASSERT_OK(
        h.Sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'walguard-monitor' "
              "AND usename = 'walguard' AND datname = current_database()",
              &monitors));
  }
  EXPECT_EQ(monitors, "1") << "walguard's monitor connection, as the role\n" << h.WalguardLog();
  std::this_thread::sleep_for(milliseconds(1500));  // a heartbeat and a slot check on it

  std::string attrs;
  ASSERT_OK(
      h.Sql("SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, "
            "rolcanlogin, (SELECT count(*) FROM pg_auth_members WHERE member = r.oid)) "
            "FROM pg_roles r WHERE rolname = 'walguard'",
            &attrs));
  EXPECT_EQ(attrs, "f,f,f,f,t,t,0") << "superuser,createrole,createdb,bypassrls,replication,login,memberships";

  // SELECT on the ten monitored tables and the two read for alert context
  // (events, booking_intents), and no write anywhere.
  const std::set<std::string> expected = {"reserve.availability_calendar:SELECT",
                                          "reserve.booking_intents:SELECT",
                                          "reserve.ledger_entries:SELECT",
                                          "reserve.payments:SELECT",
                                          "reserve.processed_webhooks:SELECT",
                                          "reserve.reservations:SELECT",
                                          "ticketing.events:SELECT",
                                          "ticketing.order_items:SELECT",
                                          "ticketing.orders:SELECT",
                                          "ticketing.ticket_holds:SELECT",
                                          "ticketing.ticket_tiers:SELECT",
                                          "ticketing.tickets:SELECT"};
  EXPECT_EQ(TablePrivileges(&h, kWalguardRole), expected);
  std::string creates;
  ASSERT_OK(
      h.Sql("SELECT concat_ws(',', has_schema_privilege('walguard', 'ticketing', 'CREATE'), "
            "has_schema_privilege('walguard', 'public', 'CREATE'), "
            "has_database_privilege('walguard', current_database(), 'CREATE'))",
            &creates));
  EXPECT_EQ(creates, "f,f,f");

  // Its own connection: what walguard's ordinary connections run works, a
  // write does not, and no password means no entry.
  const std::string as_role = SharedCluster().ConnInfo(h.db(), kWalguardRole) + " passfile=/nonexistent";
  const std::string with_password = as_role + " password='" + WalguardRolePassword() + "'";
  std::string value;
  ASSERT_OK(QueryAs(with_password, "SELECT pg_current_wal_lsn()::text", &value));
  ASSERT_OK(QueryAs(with_password, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'wg_" + h.db() + "'",
                    &value));
  EXPECT_EQ(value, "1");
  ASSERT_OK(
      QueryAs(with_password, "SELECT pg_logical_emit_message(true, 'walguard.heartbeat', now()::text)::text", &value));
  Status denied = QueryAs(with_password, "UPDATE ticketing.events SET title = title RETURNING 1", &value);
  EXPECT_TRUE(Contains(denied.message(), "permission denied for table events")) << denied.ToString();
  Status no_password = QueryAs(as_role, "SELECT 1", &value);
  EXPECT_TRUE(Contains(no_password.message(), "no password supplied")) << no_password.ToString();

  EXPECT_EQ(h.StopWalguard(), 0);
  EXPECT_TRUE(h.DropSlot().ok());
  const std::string log = h.WalguardLog();
  EXPECT_TRUE(Contains(log, "user=walguard")) << log;
  EXPECT_FALSE(Contains(log, WalguardRolePassword())) << log;
  EXPECT_FALSE(Contains(log, "permission denied")) << log;
  EXPECT_FALSE(Contains(log, "monitor:")) << "a failed slot check or heartbeat\n" << log;
}

TEST(SecurityTest, WrongCredentialsFailClearlyWithoutTheSecret) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(GrantWalguardRole(h.db()));
  const std::string wrong = "wrong-" + WalguardRolePassword().substr(3);
  WalguardRun run("wrongpw");
  ASSERT_OK(run.Start(
      "[postgres]\nreconnect_max_backoff_ms = 500\n",
      {"--pg", SharedCluster().ConnInfo(h.db(), kWalguardRole), "--brokers", h.brokers(), "--slot", "wg_" + h.db()},
      {"PGPASSWORD=" + wrong, "PGPASSFILE=/nonexistent"}));
  ASSERT_OK(run.WaitLog("password authentication failed for user \"walguard\"", seconds(15)));
  // Retrying cannot help: walguard stops by itself with the fatal exit code
  // (2) and says why, instead of retrying forever.
  EXPECT_EQ(run.End(seconds(10)), 2) << run.Log();
  EXPECT_TRUE(Contains(run.Log(), "retrying cannot help")) << run.Log();
  EXPECT_FALSE(Contains(run.Log(), wrong)) << run.Log();
  EXPECT_FALSE(Contains(run.Log(), "streaming from slot")) << run.Log();
}

TEST(SecurityTest, PasswordOnTheCommandLineIsRefused) {
  const std::string secret = "cli-" + WalguardRolePassword().substr(3);
  const std::vector<std::string> conninfos = {
      SharedCluster().ConnInfo("postgres", kWalguardRole) + " password=" + secret,
      "postgresql://walguard:" + secret + "@127.0.0.1:" + std::to_string(SharedCluster().port()) + "/postgres",
  };
  for (const std::string& conninfo : conninfos) {
    WalguardRun run("clipw");
    ASSERT_OK(run.Start("", {"--pg", conninfo, "--brokers", "127.0.0.1:1"}, {}));
    EXPECT_EQ(run.End(seconds(10)), 1) << run.Log();
    EXPECT_TRUE(Contains(run.Log(), "--pg must not carry a password")) << run.Log();
    EXPECT_FALSE(Contains(run.Log(), secret)) << run.Log();
    EXPECT_FALSE(std::filesystem::exists(run.dir() + "/state")) << "the state was opened before the refusal";
  }
}

TEST(SecurityTest, PasswordFromTheConfigFileWorksAndIsNotLogged) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(GrantWalguardRole(h.db()));
  // sslpassword (a client key's passphrase) is as secret: unused here, it
  // must still not be logged.
  const std::string key_passphrase = "keypass-" + WalguardRolePassword().substr(3);
  WalguardRun run("configpw");
  ASSERT_OK(run.Start("[postgres]\nconninfo = \"" + SharedCluster().ConnInfo(h.db(), kWalguardRole) + " password='" +
                          WalguardRolePassword() + "' sslpassword=" + key_passphrase + "\"\nslot = \"wg_" + h.db() +
                          "\"\n[kafka]\nbrokers = \"" + h.brokers() + "\"\n",
                      {}, {"PGPASSWORD", "PGPASSFILE=/nonexistent"}));
  ASSERT_OK(run.WaitLog("streaming from slot"));
  TopicReader reader;
  ASSERT_OK(reader.Open(h.brokers(), {"walguard.alerts"}));
  ASSERT_OK(h.Sql(kAllRulesIncident));
  EXPECT_TRUE(AlertFires(&reader, "stuck_holds")) << run.Log();
  EXPECT_EQ(run.End(milliseconds(0)), 0) << run.Log();
  EXPECT_TRUE(h.DropSlot().ok());
  const std::string log = run.Log();
  EXPECT_TRUE(Contains(log, "user=walguard")) << log;
  EXPECT_FALSE(Contains(log, WalguardRolePassword())) << log;
  EXPECT_FALSE(Contains(log, key_passphrase)) << log;
}

TEST(SecurityTest, KafkaSaslAndTlsSettingsReachLibrdkafkaWithoutThePassword) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  WalguardRun run("kafka");
  ASSERT_OK(MakeTestCa(run.dir(), "kafka-ca"));
  WalguardLogin login;
  ASSERT_OK(WalguardLoginFor(h.db(), run.dir(), &login));
  const std::string sasl_password = "sasl-" + WalguardRolePassword().substr(3);
  const std::string ca = run.dir() + "/kafka-ca.crt";
  // debug=conf makes librdkafka print the configuration it was given: the
  // settings show up as librdkafka understood them, the secrets redacted.
  ASSERT_OK(
      run.Start("[kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n"
                "\"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\"sasl.username\" = \"walguard-producer\"\n"
                "\"sasl.password\" = \"" +
                    sasl_password + "\"\n\"ssl.ca.location\" = \"" + ca + "\"\n\"debug\" = \"conf\"\n",
                {"--pg", login.conninfo, "--brokers", h.brokers(), "--slot", "wg_" + h.db()}, login.env));
  ASSERT_OK(run.WaitLog("streaming from slot"));
  EXPECT_EQ(run.End(milliseconds(0)), 0) << run.Log();
  EXPECT_TRUE(h.DropSlot().ok());
  const std::string log = run.Log();
  EXPECT_TRUE(Contains(log, "security.protocol = sasl_ssl")) << log;
  EXPECT_TRUE(Contains(log, "sasl.mechanisms = SCRAM-SHA-512")) << log;
  EXPECT_TRUE(Contains(log, "ssl.ca.location = " + ca)) << log;
  EXPECT_TRUE(Contains(log, "sasl.password = [redacted]")) << log;
  EXPECT_FALSE(Contains(log, sasl_password)) << log;
}

}  // namespace
}  // namespace walguard::testing

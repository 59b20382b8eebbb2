// CONTRACT.md section 8 on real parts: `walguard run --http` answers
// /healthz and /readyz through a snapshot and a Postgres outage, a real
// Prometheus (Debian `prometheus`) scrapes /metrics during an incident and
// answers for the lag and firing-alert series through its query API, and
// the status page follows an incident and its fix in headless Chromium.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>

#include "tests/integration/environment.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kEvent[] = "e9000000-0000-4000-8000-000000000001";
constexpr char kTier[] = "79000000-0000-4000-8000-000000000001";

const std::string kSetup = std::string("INSERT INTO ticketing.events (id, title) VALUES ('") + kEvent +
                           "', 'Ops Fest');\n"
                           "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity, "
                           "reserved_quantity, issued_quantity) VALUES ('" +
                           kTier + "', '" + kEvent + "', 'GA', 5000, 100, 0, 0);";
// reserved_quantity drifts from the holds (there are none): tier_reserved_drift.
const std::string kIncident =
    std::string("UPDATE ticketing.ticket_tiers SET reserved_quantity = 20 WHERE id = '") + kTier + "';";
const std::string kFix =
    std::string("UPDATE ticketing.ticket_tiers SET reserved_quantity = 0 WHERE id = '") + kTier + "';";

// Short reconnect backoff: the outage test waits for the stream to come back.
constexpr char kConfig[] = "[postgres]\nreconnect_max_backoff_ms = 1000\n";

int FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// GET http://127.0.0.1:port/path: the status code, or -1 when nothing answers.
int Get(int port, const std::string& path, std::string* body = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(5, 0);
  auto res = client.Get(path.c_str());
  if (!res) return -1;
  if (body != nullptr) *body = res->body;
  return res->status;
}

// Polls until GET path answers `status`; false after `timeout`.
bool WaitStatus(int port, const std::string& path, int status, milliseconds timeout, std::string* body = nullptr) {
  for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (Get(port, path, body) == status) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Where screenshots and logs worth keeping go: $WALGUARD_TEST_ARTIFACTS, else
// the build directory's Testing/artifacts.
std::string ArtifactsDir() {
  const char* env = std::getenv("WALGUARD_TEST_ARTIFACTS");
  std::string dir = env != nullptr && *env != '\0' ? env : std::string(WALGUARD_BINARY_DIR) + "/Testing/artifacts";
  std::filesystem::create_directories(dir);
  return dir;
}

class Operations : public ::testing::Test {
 protected:
  void StartWithHttp(WalguardHarness* h) {
    ASSERT_OK(h->SetUp());
    ASSERT_OK(h->Sql(kSetup));
    port_ = FreeTcpPort();
    ASSERT_GT(port_, 0);
    ASSERT_OK(h->LaunchWalguard({"--http", "127.0.0.1:" + std::to_string(port_)}, kConfig));
  }
  int port_ = 0;
};

TEST_F(Operations, ReadyAfterTheSnapshotAndHealthyWhilePostgresIsDown) {
  WalguardHarness h;
  StartWithHttp(&h);
  // The endpoint is up before the state is opened: the first answer comes
  // while the snapshot is not done.
  int first = -1;
  std::string reason;
  for (const auto deadline = Clock::now() + seconds(10); first == -1 && Clock::now() < deadline;) {
    first = Get(port_, "/readyz", &reason);
    if (first == -1) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(first, 503) << reason;
  EXPECT_TRUE(reason.find("snapshot") != std::string::npos) << reason;
  ASSERT_OK(h.WaitStreaming());
  EXPECT_TRUE(WaitStatus(port_, "/readyz", 200, seconds(30), &reason)) << reason << h.WalguardLogSinceStart();
  std::string metrics;
  ASSERT_EQ(Get(port_, "/metrics", &metrics), 200);
  EXPECT_NE(metrics.find("walguard_snapshot_in_progress 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("walguard_streaming 1\n"), std::string::npos) << metrics;

  // Postgres stops: the process still answers /healthz, and is not ready.
  ASSERT_OK(SharedCluster().Stop("fast"));
  struct RestartOnExit {  // the cluster is shared: it comes back whatever happens below
    bool done = false;
    ~RestartOnExit() {
      if (!done) {
        EXPECT_TRUE(SharedCluster().Restart("fast").ok());
      }
    }
  } restart;
  EXPECT_TRUE(WaitStatus(port_, "/readyz", 503, seconds(15), &reason)) << reason;
  EXPECT_TRUE(reason.find("not streaming") != std::string::npos) << reason;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Get(port_, "/healthz"), 200);
    std::this_thread::sleep_for(milliseconds(300));
  }
  restart.done = true;
  ASSERT_OK(SharedCluster().Restart("fast"));
  EXPECT_TRUE(WaitStatus(port_, "/readyz", 200, seconds(60), &reason)) << reason << h.WalguardLogSinceStart();
  EXPECT_EQ(h.StopWalguard(), 0) << h.WalguardLogSinceStart();
}

TEST_F(Operations, AnotherProcessOnThePortIsAnOperatorsError) {
  WalguardHarness h;
  StartWithHttp(&h);
  ASSERT_OK(h.WaitStreaming());
  std::string out, err;
  Status s = h.RunCommand(
      {"run", "--config", h.config_path(), "--pg", "host=127.0.0.1 port=1 dbname=x", "--brokers", h.brokers(),
       "--state-dir", h.work_dir() + "/other-state", "--http", "127.0.0.1:" + std::to_string(port_)},
      &out, &err);
  EXPECT_NE(s.message().find("exited 2"), std::string::npos) << s.ToString();
  EXPECT_NE(err.find("cannot serve HTTP on 127.0.0.1:" + std::to_string(port_)), std::string::npos) << err;
  EXPECT_EQ(h.StopWalguard(), 0);
}

// The value of a one-series instant query, or "" while Prometheus has none.
std::string QueryValue(int prometheus_port, const std::string& query) {
  httplib::Client client("127.0.0.1", prometheus_port);
  client.set_read_timeout(5, 0);
  auto res = client.Get("/api/v1/query", httplib::Params{{"query", query}}, httplib::Headers{});
  if (!res || res->status != 200) return "";
  // {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[1700000000.1,"1"]}]}}
  const std::string& body = res->body;
  const size_t value = body.find("\"value\":[");
  if (value == std::string::npos) return "";
  const size_t open = body.find(",\"", value);
  const size_t close = open == std::string::npos ? open : body.find('"', open + 2);
  return close == std::string::npos ? "" : body.substr(open + 2, close - open - 2);
}

std::string WaitQueryValue(int port, const std::string& query, const std::string& want, milliseconds timeout) {
  std::string last;
  for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    last = QueryValue(port, query);
    if (last == want || (want == "*" && !last.empty())) return last;
    std::this_thread::sleep_for(milliseconds(500));
  }
  return last;
}

TEST_F(Operations, PrometheusScrapesTheLagAndTheFiringAlerts) {
  WalguardHarness h;
  StartWithHttp(&h);
  ASSERT_OK(h.WaitStreaming());
  const int prometheus_port = FreeTcpPort();
  const std::string dir = h.work_dir() + "/prometheus";
  std::filesystem::create_directories(dir + "/data");
  // The worker beside it, every command a dry run (the default mode).
  ASSERT_OK(h.Sql(ReadSourceFile("sql/runbook/install.sql")));
  const int worker_port = FreeTcpPort();
  std::ofstream(h.work_dir() + "/worker.toml") << "[kafka.properties]\n\"session.timeout.ms\" = \"6000\"\n"
                                               << "\"heartbeat.interval.ms\" = \"300\"\n";
  ChildProcess worker;
  ASSERT_OK(worker.Start({WalguardBinary(), "worker", "--config", h.work_dir() + "/worker.toml", "--pg",
                          SharedCluster().ConnInfo(h.db()) + " options='-c role=walguard_worker'", "--brokers",
                          h.brokers(), "--http", "127.0.0.1:" + std::to_string(worker_port)},
                         h.work_dir() + "/worker.log"));
  std::string worker_ready;
  ASSERT_TRUE(WaitStatus(worker_port, "/readyz", 200, seconds(60), &worker_ready))
      << worker_ready << ReadLog(h.work_dir() + "/worker.log");
  ASSERT_EQ(Get(worker_port, "/healthz"), 200);
  std::ofstream(dir + "/prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                         << "scrape_configs:\n  - job_name: walguard\n    static_configs:\n"
                                         << "      - targets: ['127.0.0.1:" << port_ << "']\n"
                                         << "  - job_name: walguard-worker\n    static_configs:\n"
                                         << "      - targets: ['127.0.0.1:" << worker_port << "']\n";
  ChildProcess prometheus;
  ASSERT_OK(prometheus.Start(
      {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
      dir + "/prometheus.log"));
  ASSERT_TRUE(WaitStatus(prometheus_port, "/-/ready", 200, seconds(30)))
      << "Prometheus did not start; see " << dir << "/prometheus.log";

  ASSERT_OK(h.Sql(kIncident));
  ASSERT_EQ(h.WaitFor("tier_reserved_drift", "firing", 1).size(), 1u) << h.WalguardLog();
  EXPECT_EQ(WaitQueryValue(prometheus_port, "walguard_firing_alerts{type=\"tier_reserved_drift\",severity=\"P2\"}", "1",
                           seconds(30)),
            "1");
  EXPECT_EQ(WaitQueryValue(prometheus_port, "up{job=\"walguard\"}", "1", seconds(10)), "1");
  EXPECT_NE(WaitQueryValue(prometheus_port, "walguard_replication_lag_bytes", "*", seconds(10)), "");
  EXPECT_NE(WaitQueryValue(prometheus_port, "walguard_replication_lag_seconds", "*", seconds(10)), "");
  EXPECT_EQ(
      WaitQueryValue(prometheus_port, "walguard_alerts_fired_total{type=\"tier_reserved_drift\"}", "1", seconds(30)),
      "1");
  EXPECT_NE(WaitQueryValue(prometheus_port, "walguard_commit_to_publish_seconds_count", "*", seconds(10)), "");
  EXPECT_EQ(WaitQueryValue(prometheus_port, "up{job=\"walguard-worker\"}", "1", seconds(10)), "1");
  EXPECT_EQ(WaitQueryValue(prometheus_port,
                           "walguard_worker_outcomes_total{type=\"reconcile_event_tickets\",status=\"dry_run\"}", "1",
                           seconds(30)),
            "1")
      << ReadLog(h.work_dir() + "/worker.log");
  EXPECT_EQ(WaitQueryValue(prometheus_port, "walguard_worker_commands_consumed_total", "1", seconds(10)), "1");
  EXPECT_NE(WaitQueryValue(prometheus_port, "walguard_changes_applied_total{table=\"ticketing.ticket_tiers\"}", "*",
                           seconds(10)),
            "");

  ASSERT_OK(h.Sql(kFix));
  ASSERT_EQ(h.WaitFor("tier_reserved_drift", "resolved", 1).size(), 1u) << h.WalguardLog();
  // Resolved: the series is gone from the scrape, so the sum over it is empty.
  EXPECT_EQ(WaitQueryValue(prometheus_port, "sum(walguard_firing_alerts{type=\"tier_reserved_drift\"}) or vector(0)",
                           "0", seconds(30)),
            "0");
  EXPECT_EQ(
      WaitQueryValue(prometheus_port, "walguard_alerts_resolved_total{type=\"tier_reserved_drift\"}", "1", seconds(30)),
      "1");
  worker.Signal(SIGTERM);
  EXPECT_EQ(worker.Wait(seconds(20)), 0) << ReadLog(h.work_dir() + "/worker.log");
  prometheus.Signal(SIGTERM);
  EXPECT_GE(prometheus.Wait(seconds(20)), 0);
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST_F(Operations, StatusPageFollowsAnIncidentAndItsFix) {
  WalguardHarness h;
  StartWithHttp(&h);
  ASSERT_OK(h.WaitStreaming());
  ASSERT_OK(h.Sql(kIncident));
  ASSERT_EQ(h.WaitFor("tier_reserved_drift", "firing", 1).size(), 1u) << h.WalguardLog();
  const std::string shots = ArtifactsDir();
  const std::string marker = h.work_dir() + "/incident-seen";
  ChildProcess browser;
  ASSERT_OK(
      browser.Start({"/usr/bin/python3", std::string(WALGUARD_SOURCE_DIR) + "/tests/integration/status_page_check.py",
                     "http://127.0.0.1:" + std::to_string(port_) + "/", kEvent, "tier_reserved_drift", marker, shots},
                    h.work_dir() + "/browser.log"));
  // The page shows the incident; then the fix is committed while it watches.
  bool seen = false;
  for (const auto deadline = Clock::now() + seconds(90); !seen && browser.running() && Clock::now() < deadline;) {
    seen = std::filesystem::exists(marker);
    if (!seen) std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(seen) << "the page did not show the incident:\n" << ReadLog(h.work_dir() + "/browser.log");
  ASSERT_OK(h.Sql(kFix));
  const int code = browser.Wait(seconds(90));
  const std::string log = ReadLog(h.work_dir() + "/browser.log");
  std::string out;
  for (std::string line; browser.ReadLine(milliseconds(100), &line).ok();) out += line + "\n";
  EXPECT_EQ(code, 0) << out << log;
  std::cout << "status page screenshots in " << shots << " (status-incident.png, status-fixed.png)\n" << out;
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

// Alertmanager push against a real Alertmanager (Debian's
// prometheus-alertmanager, started here in a temp dir, clustering off): an
// incident in Postgres is active in Alertmanager's API with walguard's
// labels, the fix resolves it there, a restart re-sends what was firing, and
// with two Alertmanagers configured both receive it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "tests/integration/ticketing_scenarios.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/process.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"
#include "util/time.h"

namespace walguard::testing {
namespace {

constexpr char kBinary[] = "/usr/bin/prometheus-alertmanager";
constexpr char kFingerprint[] = "stuck_holds:tier:71000000-0000-4000-8000-000000000001";

// A port nothing listens on right now (the kernel's pick, released).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// One Alertmanager with a null receiver, in its own directory.
class Alertmanager {
 public:
  Status Start() {
    port_ = FreePort();
    const std::string config =
        dir_.Write("alertmanager.yml", "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n");
    WG_RETURN_IF_ERROR(
        process_.Start({kBinary, "--config.file=" + config, "--storage.path=" + dir_.path() + "/data",
                        "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
                       dir_.path() + "/alertmanager.log"));
    httplib::Client client("127.0.0.1", port_);
    for (int i = 0; i < 100; ++i) {
      httplib::Result res = client.Get("/-/ready");
      if (res && res->status == 200) return Status::OK();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return Status::IOError("alertmanager did not become ready on port " + std::to_string(port_));
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The active (not resolved) alerts of `fingerprint`, as JSON objects, from
  // GET /api/v2/alerts (which leaves out alerts whose endsAt has passed).
  // False when Alertmanager did not answer.
  bool Active(const std::string& fingerprint, std::vector<std::string>* out) {
    out->clear();
    httplib::Client client("127.0.0.1", port_);
    httplib::Result res = client.Get("/api/v2/alerts");
    if (!res || res->status != 200) return false;
    simdjson::dom::parser parser;
    simdjson::dom::array alerts;
    if (parser.parse(res->body).get_array().get(alerts) != simdjson::SUCCESS) return false;
    for (simdjson::dom::element a : alerts) {
      std::string_view fp;
      if (a["labels"]["fingerprint"].get_string().get(fp) == simdjson::SUCCESS && fp == fingerprint) {
        out->push_back(simdjson::minify(a));
      }
    }
    return true;
  }

  // Polls Active() until Alertmanager answers with `count` alerts (20 s at
  // most); *out gets the last answer.
  bool WaitActive(const std::string& fingerprint, size_t count, std::vector<std::string>* out) {
    for (int i = 0; i < 200; ++i) {
      if (Active(fingerprint, out) && out->size() == count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  TempDir dir_{"wg-alertmanager"};
  ChildProcess process_;
  int port_ = 0;
};

std::string Field(const std::string& json, const char* pointer) {
  simdjson::dom::parser parser;
  std::string_view s;
  if (parser.parse(json).at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

class AlertmanagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kBinary, X_OK) != 0) GTEST_SKIP() << kBinary << " is not installed (scripts/setup.sh installs it)";
  }
};

TEST_F(AlertmanagerTest, IncidentIsActiveThenResolved) {
  Alertmanager am;
  ASSERT_OK(am.Start());
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.StartWalguard("[alertmanager]\nurls = [\"" + am.url() + "\"]\nresend_interval_s = 2\n" +
                            "generator_url = \"http://walguard.test:9187/\"\n"));
  ASSERT_OK(h.Sql(kAllRulesIncident));
  const std::vector<Published> fired = h.WaitFor("stuck_holds", "firing", 1);
  ASSERT_EQ(fired.size(), 1u) << h.WalguardLog();

  std::vector<std::string> active;
  ASSERT_TRUE(am.WaitActive(kFingerprint, 1, &active)) << active.size() << " active\n" << h.WalguardLog();
  const std::string& a = active[0];
  EXPECT_EQ(Field(a, "/labels/alertname"), "stuck_holds") << a;
  EXPECT_EQ(Field(a, "/labels/severity"), "P3") << a;
  EXPECT_EQ(Field(a, "/labels/entity_kind"), "tier") << a;
  EXPECT_EQ(Field(a, "/labels/entity_id"), "71000000-0000-4000-8000-000000000001") << a;
  EXPECT_EQ(Field(a, "/labels/event_id"), "e1000000-0000-4000-8000-000000000001") << a;
  EXPECT_FALSE(Field(a, "/labels/runbook").empty()) << a;
  EXPECT_EQ(Field(a, "/annotations/alert_id"), fired[0].alert_id) << a;
  EXPECT_EQ(Field(a, "/generatorURL"), "http://walguard.test:9187/") << a;
  // Firing: endsAt lies ahead (4 resend intervals), so Alertmanager keeps it.
  Micros ends_at = 0;
  ASSERT_TRUE(ParseTimestamp(Field(a, "/endsAt"), &ends_at)) << a;
  EXPECT_GT(ends_at, WallClockNow());

  // Still active after several resend intervals: the resends keep it alive.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  ASSERT_TRUE(am.Active(kFingerprint, &active));
  ASSERT_EQ(active.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(Field(active[0], "/status/state"), "active") << active[0];

  for (const char* fix : kAllRulesFixes) ASSERT_OK(h.Sql(fix));
  ASSERT_EQ(h.WaitFor("stuck_holds", "resolved", 1).size(), 1u) << h.WalguardLog();
  // Resolved: endsAt is past, so Alertmanager (answering) lists it no more.
  EXPECT_TRUE(am.WaitActive(kFingerprint, 0, &active)) << "still active after the fix:\n" << h.WalguardLog();
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

// Alertmanager ends a firing alert nobody re-sends (endsAt: 4 resend
// intervals ahead); a restarted walguard re-sends the firing set it saved.
TEST_F(AlertmanagerTest, FiringSetIsSentAgainAfterARestart) {
  Alertmanager am;
  ASSERT_OK(am.Start());
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  const std::string config = "[alertmanager]\nurls = [\"" + am.url() + "\"]\nresend_interval_s = 1\n";
  ASSERT_OK(h.StartWalguard(config));
  ASSERT_OK(h.Sql(kAllRulesIncident));
  const std::vector<Published> fired = h.WaitFor("stuck_holds", "firing", 1);
  ASSERT_EQ(fired.size(), 1u) << h.WalguardLog();
  std::vector<std::string> active;
  ASSERT_TRUE(am.WaitActive(kFingerprint, 1, &active)) << h.WalguardLog();
  EXPECT_EQ(h.StopWalguard(), 0);

  ASSERT_TRUE(am.WaitActive(kFingerprint, 0, &active)) << "not ended by its endsAt (" << active.size() << " active)";
  ASSERT_OK(h.StartWalguard(config));
  ASSERT_TRUE(am.WaitActive(kFingerprint, 1, &active)) << h.WalguardLogSinceStart();
  EXPECT_EQ(Field(active[0], "/annotations/alert_id"), fired[0].alert_id);
  EXPECT_NE(h.WalguardLogSinceStart().find(" firing alert(s) restored"), std::string::npos)
      << h.WalguardLogSinceStart();
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

TEST_F(AlertmanagerTest, EveryConfiguredAlertmanagerReceives) {
  Alertmanager am1;
  Alertmanager am2;
  ASSERT_OK(am1.Start());
  ASSERT_OK(am2.Start());
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.LaunchWalguard({"--alertmanager", am1.url(), "--alertmanager", am2.url()}));
  ASSERT_OK(h.WaitStreaming());
  ASSERT_OK(h.Sql(kAllRulesIncident));
  const std::vector<Published> fired = h.WaitFor("stuck_holds", "firing", 1);
  ASSERT_EQ(fired.size(), 1u) << h.WalguardLog();
  for (Alertmanager* am : {&am1, &am2}) {
    std::vector<std::string> active;
    ASSERT_TRUE(am->WaitActive(kFingerprint, 1, &active)) << am->url() << "\n" << h.WalguardLog();
    EXPECT_EQ(Field(active[0], "/annotations/alert_id"), fired[0].alert_id);
  }
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

}  // namespace
}  // namespace walguard::testing

// AlertmanagerSender against fake Alertmanagers (cpp-httplib servers on
// loopback): every Alertmanager receives, firing alerts are re-sent, a
// resolve keeps the firing's labels, failures are retried, a full queue
// drops the oldest, and the firing set survives a restart.
#include "sinks/alertmanager.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

// An Alertmanager that records every alert POSTed to /api/v2/alerts, and
// answers 503 while `failing` > 0, then 400 while `refusing` > 0 (each
// counting down).
class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    server_.Post("/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      if (failing_ > 0) {
        --failing_;
        res.status = 503;
        return;
      }
      if (refusing_ > 0) {
        --refusing_;
        res.status = 400;
        return;
      }
      std::vector<AmAlert> alerts;
      if (!ParseAmAlerts(req.body, &alerts).ok()) {
        res.status = 400;
        return;
      }
      for (AmAlert& a : alerts) received_.push_back(std::move(a));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost (and the join would hang).
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeAlertmanager() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Fail(int requests) {
    std::lock_guard<std::mutex> lock(mu_);
    failing_ = requests;
  }
  void Refuse(int requests) {
    std::lock_guard<std::mutex> lock(mu_);
    refusing_ = requests;
  }
  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<AmAlert> Received(std::string_view fingerprint) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<AmAlert> out;
    for (const AmAlert& a : received_) {
      if (a.fingerprint() == fingerprint) out.push_back(a);
    }
    return out;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  int failing_ = 0;
  int refusing_ = 0;
  int requests_ = 0;
  std::vector<AmAlert> received_;
};

AmAlert Alert(const std::string& fingerprint, const std::string& alert_id, Micros starts_at, Micros ends_at = 0) {
  AmAlert a;
  a.labels = {{"alertname", "stuck_holds"}, {"fingerprint", fingerprint}, {"severity", "P3"}};
  a.annotations = {{"alert_id", alert_id}, {"details", "{}"}, {"summary", "s"}};
  a.starts_at = starts_at;
  a.ends_at = ends_at;
  return a;
}

// Waits up to 10 s for `done`.
bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

AlertmanagerOptions Options(std::vector<std::string> urls) {
  AlertmanagerOptions options;
  options.urls = std::move(urls);
  options.resend_interval_s = 1;
  options.timeout_ms = 1000;
  return options;
}

TEST(AlertmanagerSenderTest, EveryAlertmanagerReceivesTheAlert) {
  FakeAlertmanager am1;
  FakeAlertmanager am2;
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(Options({am1.url(), am2.url()}), {}));
  sender.Push(Alert("fp:1", "id-1", WallClockNow()));
  EXPECT_TRUE(WaitFor([&] { return !am1.Received("fp:1").empty() && !am2.Received("fp:1").empty(); }));
  EXPECT_EQ(sender.firing(), 1u);
}

TEST(AlertmanagerSenderTest, FiringIsResentWithEndsAtAhead) {
  FakeAlertmanager am;
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(Options({am.url()}), {}));
  const Micros start = WallClockNow();
  sender.Push(Alert("fp:1", "id-1", start));
  ASSERT_TRUE(WaitFor([&] { return am.Received("fp:1").size() >= 3; }));  // the push, then resends each second
  for (const AmAlert& a : am.Received("fp:1")) {
    EXPECT_EQ(a.starts_at, start);
    EXPECT_GE(a.ends_at, start + 3 * kMicrosPerSecond);  // 4 resend intervals after it was sent
  }
}

TEST(AlertmanagerSenderTest, ResolveTakesTheFiringsLabelsAndStart) {
  FakeAlertmanager am;
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(Options({am.url()}), {}));
  const Micros start = WallClockNow() - kMicrosPerMinute;
  sender.Push(Alert("fp:1", "id-1", start));
  AmAlert resolve = Alert("fp:1", "id-1", start + kMicrosPerSecond, start + kMicrosPerSecond);
  resolve.labels[2].second = "P1";  // were the resolve's labels to differ, Alertmanager would not match it
  sender.Push(resolve);
  ASSERT_TRUE(WaitFor([&] {
    for (const AmAlert& a : am.Received("fp:1")) {
      if (a.ends_at == start + kMicrosPerSecond) return true;
    }
    return false;
  }));
  const std::vector<AmAlert> got = am.Received("fp:1");
  EXPECT_EQ(got.back().Label("severity"), "P3");
  EXPECT_EQ(got.back().starts_at, start);
  EXPECT_EQ(sender.firing(), 0u);
}

TEST(AlertmanagerSenderTest, FailuresAreRetried) {
  FakeAlertmanager am;
  am.Fail(3);
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(Options({am.url()}), {}));
  sender.Push(Alert("fp:1", "id-1", WallClockNow()));
  EXPECT_TRUE(WaitFor([&] { return !am.Received("fp:1").empty(); }));
  EXPECT_GE(am.requests(), 4);
  EXPECT_GE(sender.counters().failed, 3u);
}

TEST(AlertmanagerSenderTest, ARefusedAlertDoesNotHoldUpTheNext) {
  FakeAlertmanager am;
  AlertmanagerOptions options = Options({am.url()});
  options.resend_interval_s = 3600;  // only the pushes themselves
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(options, {}));
  am.Refuse(1);  // an empty firing set is not sent: the first request is fp:bad's
  const Micros now = WallClockNow();
  sender.Push(Alert("fp:bad", "id-1", now, now));  // a resolve: not in the firing set, so never re-sent
  ASSERT_TRUE(WaitFor([&] { return sender.counters().refused == 1; }));
  sender.Push(Alert("fp:good", "id-2", WallClockNow()));
  EXPECT_TRUE(WaitFor([&] { return !am.Received("fp:good").empty(); }));
  EXPECT_TRUE(am.Received("fp:bad").empty());
  EXPECT_EQ(sender.counters().failed, 0u);
}

TEST(AlertmanagerSenderTest, FullQueueDropsTheOldest) {
  std::string unreachable;
  {
    FakeAlertmanager gone;  // a port nothing listens on any more
    unreachable = gone.url();
  }
  AlertmanagerOptions options = Options({unreachable});
  options.max_queued = 2;
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(options, {}));
  for (int i = 0; i < 5; ++i) sender.Push(Alert("fp:" + std::to_string(i), "id", WallClockNow()));
  EXPECT_EQ(sender.counters().dropped, 3u);
  EXPECT_EQ(sender.firing(), 5u);  // the firing set keeps them all: the resend heals the drops
}

TEST(AlertmanagerSenderTest, FiringSetSurvivesARestart) {
  TempDir dir("wg-am-sender");
  FakeAlertmanager am;
  AlertmanagerOptions options = Options({am.url()});
  options.save_path = dir.path() + "/alertmanager-firing.json";
  const Micros start = WallClockNow();
  {
    AlertmanagerSender sender;
    ASSERT_OK(sender.Start(options, {}));
    sender.Push(Alert("fp:kept", "id-1", start));
    sender.Push(Alert("fp:gone", "id-2", start));
    sender.Stop();
  }
  // While walguard was down, fp:gone resolved (the state no longer has it).
  AlertmanagerSender sender;
  ASSERT_OK(sender.Start(options, {{"fp:kept", "id-1"}}));
  EXPECT_EQ(sender.firing(), 1u);
  EXPECT_TRUE(WaitFor([&] {
    const std::vector<AmAlert> gone = am.Received("fp:gone");
    return !gone.empty() && gone.back().ends_at >= start && gone.back().ends_at <= WallClockNow();
  }));
  EXPECT_TRUE(WaitFor([&] {
    const std::vector<AmAlert> kept = am.Received("fp:kept");
    return !kept.empty() && kept.back().ends_at > WallClockNow() && kept.back().starts_at == start;
  }));
}

TEST(AlertmanagerSenderTest, RefusesABadUrl) {
  AlertmanagerSender sender;
  EXPECT_EQ(sender.Start(Options({"am1:9093"}), {}).code(), Status::Code::kInvalidArgument);
  std::string base;
  std::string prefix;
  ASSERT_OK(SplitAlertmanagerUrl("https://am.example.com/alertmanager/", &base, &prefix));
  EXPECT_EQ(base, "https://am.example.com");
  EXPECT_EQ(prefix, "/alertmanager");
  EXPECT_EQ(SplitAlertmanagerUrl("http:///x", &base, &prefix).code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace walguard

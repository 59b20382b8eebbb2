#include "tests/integration/worker_fixture.h"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/environment.h"
#include "tests/support/status_assert.h"
#include "util/time.h"

namespace walguard::testing {

namespace {

// Rebalances within seconds when a worker is killed, and fetches that do not idle.
constexpr char kQuickKafka[] = R"(
[kafka.properties]
"fetch.wait.max.ms" = "20"
"session.timeout.ms" = "6000"
"heartbeat.interval.ms" = "300"
)";

}  // namespace

bool Final(OutcomeStatus s) {
  return s == OutcomeStatus::kApplied || s == OutcomeStatus::kSkipped;
}

std::string Modes(const std::vector<std::string>& types, const char* mode) {
  std::string out = "[worker.modes]\n";
  for (const std::string& t : types) out += t + " = \"" + mode + "\"\n";
  return out;
}

void WorkerFixture::SetUp() {
  ASSERT_OK(h_.SetUp());
  ASSERT_OK(h_.Sql(ReadSourceFile("sql/runbook/install.sql")));
  // The role's own login is the operator's business (a password, a
  // certificate); the superuser assumes it at connection start, so every
  // statement the worker runs has exactly the role's grants.
  worker_conninfo_ = SharedCluster().ConnInfo(h_.db()) + " options='-c role=walguard_worker'";
  ASSERT_OK(producer_.Open({h_.brokers(), {}}));
  outcomes_ = std::make_unique<TopicReader>();
  ASSERT_OK(outcomes_->Open(h_.brokers(), {"walguard.outcomes"}));
}

void WorkerFixture::TearDown() {
  for (auto& [id, w] : workers_) {
    w->Signal(SIGTERM);
    w->Wait(std::chrono::seconds(15));
    if (HasFailure() || std::getenv("WALGUARD_TEST_WORKER_LOGS") != nullptr)
      std::cerr << "---- worker " << id << " ----\n" << WorkerLog(id);
  }
  workers_.clear();
}

ChildProcess* WorkerFixture::StartWorker(const std::string& id, const std::string& toml,
                                         const std::vector<std::string>& env, const std::string& group) {
  const std::string config = h_.work_dir() + "/worker-" + id + ".toml";
  std::ofstream(config) << "log_level = \"info\"\n" << toml << "\n" << kQuickKafka;
  auto w = std::make_unique<ChildProcess>();
  Status s = w->Start({WalguardBinary(), "worker", "--config", config, "--pg", worker_conninfo_, "--brokers",
                       h_.brokers(), "--id", id, "--group", group},
                      h_.work_dir() + "/worker-" + id + ".log", env);
  EXPECT_TRUE(s.ok()) << s.ToString();
  ChildProcess* raw = w.get();
  workers_[id] = std::move(w);
  return raw;
}

int WorkerFixture::StopWorker(const std::string& id) {
  auto it = workers_.find(id);
  if (it == workers_.end()) return -1;
  it->second->Signal(SIGTERM);
  return it->second->Wait(std::chrono::seconds(20));
}

std::string WorkerFixture::WorkerLog(const std::string& id) const {
  std::ifstream in(h_.work_dir() + "/worker-" + id + ".log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WorkerFixture::WaitAssigned(const std::string& id, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (WorkerLog(id).find("assigned") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string WorkerFixture::Payment(int i) {
  std::string n = std::to_string(i);
  return "9b000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
}

void WorkerFixture::InsertStuckPayments(int n) {
  ASSERT_OK(h_.Sql(
      "INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, created_at) "
      "SELECT ('9b000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, gen_random_uuid(), 'stripe', 'card', "
      "'processing', 10.00, now() - interval '2 hours' FROM generate_series(1, " +
      std::to_string(n) + ") g"));
}

void WorkerFixture::PublishAlert(const std::string& alert_id, int payment, bool firing, const std::string& details) {
  PublishAlert(alert_id, "stuck_payment", "payment", Payment(payment), firing, details);
}

void WorkerFixture::PublishAlert(const std::string& alert_id, const std::string& type, const std::string& kind,
                                 const std::string& id, bool firing, const std::string& details) {
  const std::string fp = type + ":" + kind + ":" + id;
  const std::string now = FormatTimestamp(WallClockNow());
  const std::string event = kind == "event" ? R"("event_id":")" + id + R"(",)" : "";
  const std::string json = R"({"alert_id":")" + alert_id + R"(","fingerprint":")" + fp + R"(","type":")" + type +
                           R"(","severity":"P2","state":")" + (firing ? "firing" : "resolved") +
                           R"(","entity":{"kind":")" + kind + R"(","id":")" + id + R"("},)" + event +
                           R"("lsn":"0/1","commit_time":")" + now + R"(","detected_at":")" + now + R"(","details":)" +
                           details + R"(,"runbook":"test"})";
  uint64_t seq = 0;
  ASSERT_OK(producer_.Send("walguard.alerts", fp, json, &seq));
  ASSERT_OK(producer_.WaitDelivered(seq, 10'000, nullptr));
}

void WorkerFixture::PublishCommand(const std::string& command_id, const std::string& type, const std::string& args_json,
                                   const std::string& alert_id, const std::string& key, bool requires_approval) {
  const std::string json = R"({"command_id":")" + command_id + R"(","type":")" + type + R"(","args":)" + args_json +
                           R"(,"dry_run":false,"requires_approval":)" + (requires_approval ? "true" : "false") +
                           R"(,"caused_by":")" + alert_id + R"(","lsn":"0/1","issued_at":")" +
                           FormatTimestamp(WallClockNow()) + R"("})";
  uint64_t seq = 0;
  ASSERT_OK(producer_.Send("walguard.commands", key, json, &seq));
  ASSERT_OK(producer_.WaitDelivered(seq, 10'000, nullptr));
}

void WorkerFixture::PollCommand(const std::string& command_id, int payment, bool requires_approval) {
  PublishCommand(command_id, "poll_payment_status", R"({"payment_id":")" + Payment(payment) + R"("})",
                 "alert-" + std::to_string(payment), "stuck_payment:payment:" + Payment(payment), requires_approval);
}

bool WorkerFixture::WaitOutcomes(const std::function<bool(const std::vector<Outcome>&)>& done,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto& msgs = outcomes_->messages();
    for (; seen_ < msgs.size(); ++seen_) {
      Outcome o;
      if (ParseOutcome(msgs[seen_].payload, &o).ok()) parsed_.push_back(o);
    }
    if (done(parsed_)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    outcomes_->PollFor(std::chrono::milliseconds(50));
  }
}

Outcome WorkerFixture::WaitOutcome(const std::string& command_id, std::vector<OutcomeStatus> statuses,
                                   std::chrono::milliseconds timeout) {
  Outcome found;
  bool ok = WaitOutcomes(
      [&](const std::vector<Outcome>& all) {
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          if (it->command_id != command_id) continue;
          for (OutcomeStatus s : statuses) {
            if (it->status == s) {
              found = *it;
              return true;
            }
          }
        }
        return false;
      },
      timeout);
  EXPECT_TRUE(ok) << "no outcome for " << command_id;
  return found;
}

std::vector<ConsumedMessage> WorkerFixture::Topic(const std::string& topic, std::chrono::milliseconds settle) {
  other_ = std::make_unique<TopicReader>();
  EXPECT_OK(other_->Open(h_.brokers(), {topic}));
  other_->PollFor(settle);
  return other_->messages();
}

int64_t WorkerFixture::Count(const std::string& sql) {
  std::string v;
  EXPECT_OK(h_.Sql(sql, &v));
  return v.empty() ? -1 : std::stoll(v);
}

}  // namespace walguard::testing

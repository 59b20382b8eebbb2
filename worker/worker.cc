// The Worker's start-up and its loop (worker/worker_internal.h): check the
// configuration and the database, read the side topics (alerts, outcomes,
// approvals) as they stand, then consume commands, each one's offset stored
// only after its outcome is acknowledged.
#include "worker/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "worker/command_types.h"
#include "worker/worker_internal.h"

namespace walguard {

namespace worker_internal {

namespace {

using Clock = std::chrono::steady_clock;

Mode ParseMode(const std::string& m) {
  if (m == "off") return Mode::kOff;
  if (m == "apply") return Mode::kApply;
  if (m == "approval") return Mode::kApproval;
  return Mode::kDryRun;
}

}  // namespace

Status Worker::Configure() {
  const WorkerConfig& w = config_.worker;
  for (const auto* table : {&w.modes, &w.functions}) {
    for (const auto& [type, value] : *table) {
      if (FindCommandType(type) == nullptr) {
        return Status::InvalidArgument("config: [worker] names unknown command type " + type);
      }
    }
  }
  for (const CommandTypeSpec& spec : CommandTypes()) {
    auto mode = w.modes.find(spec.type);
    modes_[spec.type] = mode == w.modes.end() ? Mode::kDryRun : ParseMode(mode->second);
    auto fn = w.functions.find(spec.type);
    Status s = ParseSqlTemplate(fn == w.functions.end() ? spec.default_sql : fn->second, &templates_[spec.type]);
    if (!s.ok()) return s.WithContext(std::string("config: worker.functions.") + spec.type);
  }
  return ParseQuietSchedule(w.quiet_windows, w.timezone, &quiet_);
}

Status Worker::Start() {
  id_ = options_.id;
  if (id_.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    id_ = std::string(host) + "-" + std::to_string(getpid());
  }
  WG_RETURN_IF_ERROR(Configure());
  if (config_.postgres.conninfo.empty()) return Status::InvalidArgument("no Postgres connection: pass --pg");
  if (config_.kafka.brokers.empty()) return Status::InvalidArgument("no Kafka brokers: pass --brokers");
  Status s = db_.Connect(config_.postgres.conninfo);
  if (!s.ok()) return Status::Fatal(s.message());
  std::string missing;
  for (const auto& [type, t] : templates_) {
    if (modes_[type] == Mode::kOff) continue;
    Status check = db_.Check(t);
    if (!check.ok()) missing += "\n  " + type + ": " + check.message();
  }
  if (!missing.empty()) {
    return Status::Fatal(
        "the database lacks what these command types run (install sql/runbook/install.sql, or set "
        "their mode to off):" +
        missing);
  }
  endpoint_ = {config_.kafka.brokers, config_.kafka.properties};
  WG_RETURN_IF_ERROR(publisher_.Open(endpoint_));
  const KafkaConfig& k = config_.kafka;
  WG_RETURN_IF_ERROR(follower_.Open(endpoint_, {k.alerts_topic, k.outcomes_topic, k.approvals_topic}));
  // Alerts, pending approvals and approvals as they stand, before the first command.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!follower_.CaughtUp() && Clock::now() < deadline && !stop_->load()) Follow(200);
  spdlog::info("worker {}: {} alerts, {} commands awaiting approval; joining group {}", id_, book_.size(),
               pending_.size(), options_.group);
  return consumer_.Open(endpoint_, options_.group, k.commands_topic);
}

void Worker::Follow(int timeout_ms) {
  std::vector<KafkaRecord> records;
  follower_.Poll(timeout_ms, 1000, &records);
  for (const KafkaRecord& r : records) {
    if (r.topic == config_.kafka.alerts_topic) {
      AlertMessage a;
      if (ParseAlert(r.payload, &a).ok()) book_.Apply(a);
    } else if (r.topic == config_.kafka.approvals_topic) {
      Approval a;
      if (ParseApproval(r.payload, &a).ok()) approvals_.emplace(a.command_id, a);
    } else {
      Outcome o;
      if (!ParseOutcome(r.payload, &o).ok()) continue;
      if (o.status != OutcomeStatus::kAwaitingApproval) {
        pending_.erase(o.command_id);
        continue;
      }
      Pending p;
      if (ParseCommand(o.command_json, &p.command).ok()) {
        p.key = r.key;
        p.report_json = o.report_json;
        p.since = o.at;
        pending_.emplace(o.command_id, std::move(p));
      }
    }
  }
}

// Level-based: the alerts as they stand now, not as they stood when the
// command was issued. Reads to the topics' current end (bounded by
// alert_wait_ms), so the causing alert and its neighbours are up to date.
// The watermarks the last fetches carried are enough when the alert is
// known (its state is then at most one fetch cycle old); an alert not seen
// yet waits for the brokers' own.
const AlertMessage* Worker::AwaitAlert(const std::string& alert_id) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(config_.worker.alert_wait_ms);
  const std::string& alerts = config_.kafka.alerts_topic;
  while (!follower_.CaughtUp(alerts, /*fresh=*/false) && Clock::now() < deadline && !stop_->load()) Follow(10);
  if (book_.Find(alert_id) != nullptr) return book_.Find(alert_id);
  while (!follower_.CaughtUp(alerts, /*fresh=*/true) && Clock::now() < deadline && !stop_->load()) Follow(10);
  return book_.Find(alert_id);
}

void Worker::HandleCommand(const KafkaRecord& rec) {
  Command c;
  Status parsed = ParseCommand(rec.payload, &c);
  if (!parsed.ok()) {
    c.raw = rec.payload;
    if (Publish(config_.kafka.deadletter_topic, rec.key,
                CommandDeadLetterJson(c, parsed.message(), 0, id_, WallClockNow()))) {
      (void)consumer_.Store(rec);
    }
    return;
  }
  auto mode = modes_.find(c.type);
  Outcome o;
  if (mode == modes_.end()) {
    o = NewOutcome(c, OutcomeStatus::kFailed);
    o.reason = "unknown command type " + c.type;
    o.at = WallClockNow();
  } else if (mode->second == Mode::kOff) {
    (void)consumer_.Store(rec);
    return;
  } else {
    o = Process(c, mode->second);
  }
  if (stop_->load() && o.status == OutcomeStatus::kFailed) return;  // redelivered after the restart
  if (o.status == OutcomeStatus::kFailed &&
      !Publish(config_.kafka.deadletter_topic, rec.key,
               CommandDeadLetterJson(c, o.reason, o.attempts, id_, WallClockNow()))) {
    return;
  }
  if (!PublishOutcome(rec.key, o)) return;
  spdlog::info("worker {}: {} {} -> {}{}{}", id_, c.type, c.command_id, OutcomeStatusName(o.status),
               o.reason.empty() ? "" : ": ", o.reason);
  Status stored = consumer_.Store(rec);
  if (!stored.ok()) spdlog::warn("worker {}: {}", id_, stored.message());
}

Status Worker::Loop() {
  auto last_check = Clock::now();
  while (!stop_->load() && fatal_.ok()) {
    Follow(0);
    if (Clock::now() - last_check > std::chrono::milliseconds(200)) {
      ProcessApprovals();
      CheckEscalations();
      PublishFigures();
      last_check = Clock::now();
    }
    KafkaRecord rec;
    if (consumer_.Poll(100, &rec)) {
      ++figures_.commands_consumed;
      HandleCommand(rec);
    }
  }
  consumer_.Close();
  return fatal_;
}

}  // namespace worker_internal

Status RunWorker(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop) {
  worker_internal::Worker worker(config, options, stop);
  WG_RETURN_IF_ERROR(worker.Start());
  return worker.Loop();
}

}  // namespace walguard

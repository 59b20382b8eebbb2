#include "worker/worker.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "worker/alert_book.h"
#include "worker/command_types.h"
#include "worker/database.h"
#include "worker/dry_run_check.h"
#include "worker/kafka_io.h"
#include "worker/messages.h"
#include "worker/quiet_windows.h"
#include "worker/sql_template.h"

namespace walguard {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxBackoffMs = 10'000;
constexpr int kDeliveryTimeoutMs = 60'000;

enum class Mode { kOff, kDryRun, kApply, kApproval };

Mode ParseMode(const std::string& m) {
  if (m == "off") return Mode::kOff;
  if (m == "apply") return Mode::kApply;
  if (m == "approval") return Mode::kApproval;
  return Mode::kDryRun;
}

// A command waiting for `walguard approve`.
struct Pending {
  Command command;
  std::string key;
  std::string report_json;
  Micros since = 0;
};

// An applied or refused command whose alert is watched for escalation.
struct Watched {
  Command command;
  AlertMessage original;
  Micros since = 0;
  bool refused = false;
  bool published = false;
};

class Worker {
 public:
  Worker(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop)
      : config_(config), options_(options), stop_(stop) {}

  Status Start();
  Status Loop();

 private:
  Status Configure();
  void Follow(int timeout_ms);
  const AlertMessage* AwaitAlert(const std::string& alert_id);
  Outcome Process(const Command& c, Mode mode);
  Outcome Retrying(const Command& c, const std::function<Status(Outcome*)>& attempt);
  Status Attempt(const Command& c, Mode mode, Outcome* o);
  Status ApplyNow(const Command& c, const AlertMessage& cause, Outcome* o);
  void HandleCommand(const KafkaRecord& rec);
  bool Publish(const std::string& topic, const std::string& key, const std::string& payload);
  // Publish on the outcomes topic, counted for WorkerOptions::board.
  bool PublishOutcome(const std::string& key, const Outcome& o);
  void PublishFigures();
  void ProcessApprovals();
  void CheckEscalations();
  void CrashPoint(const char* name);
  Outcome NewOutcome(const Command& c, OutcomeStatus status) const {
    Outcome o;
    o.command_id = c.command_id;
    o.type = c.type;
    o.status = status;
    o.worker = id_;
    return o;
  }

  const Config& config_;
  WorkerOptions options_;
  const std::atomic<bool>* stop_;
  std::string id_;
  KafkaEndpoint endpoint_;
  std::map<std::string, SqlTemplate> templates_;
  std::map<std::string, Mode> modes_;
  QuietSchedule quiet_;
  Database db_;
  Publisher publisher_;
  TopicFollower follower_;
  CommandConsumer consumer_;
  AlertBook book_;
  std::map<std::string, Pending> pending_;
  std::map<std::string, Approval> approvals_;
  std::map<std::string, Watched> watched_;
  int applies_ = 0;
  WorkerFigures figures_;  // what PublishFigures hands to options_.board
  Status fatal_;           // set when the worker must stop: Loop returns it
};

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

void Worker::CrashPoint(const char* name) {
  const std::string& at = options_.crash_at;
  if (at.rfind(name, 0) != 0) return;
  int n = 1;
  if (size_t colon = at.find(':'); colon != std::string::npos) n = std::atoi(at.c_str() + colon + 1);
  if (applies_ == n) {
    spdlog::warn("worker {}: crash point {} reached, SIGKILL", id_, at);
    raise(SIGKILL);
  }
}

Status Worker::ApplyNow(const Command& c, const AlertMessage& cause, Outcome* o) {
  ++applies_;
  CrashPoint("before_fix");
  ApplyResult r;
  WG_RETURN_IF_ERROR(db_.Apply(templates_[c.type], c, id_, nullptr, &r));
  CrashPoint("after_fix");
  *o = NewOutcome(c, r.applied ? OutcomeStatus::kApplied : OutcomeStatus::kSkipped);
  o->report_json = r.report_json;
  if (!r.applied) o->reason = "already applied";
  if (r.applied) watched_[c.command_id] = {c, cause, WallClockNow(), false, false};
  return Status::OK();
}

Status Worker::Attempt(const Command& c, Mode mode, Outcome* o) {
  std::string report;
  if (mode == Mode::kDryRun) {
    WG_RETURN_IF_ERROR(db_.DryRun(templates_[c.type], c, &report));
    *o = NewOutcome(c, OutcomeStatus::kDryRun);
    o->report_json = report;
    return Status::OK();
  }
  std::string why_approval;
  if (c.requires_approval) why_approval = "the command requires approval";
  if (mode == Mode::kApply && why_approval.empty() && InQuietWindow(quiet_, WallClockNow())) {
    why_approval = "quiet window";
  }
  if (mode == Mode::kApproval && why_approval.empty()) why_approval = "mode approval";
  const AlertMessage* cause = AwaitAlert(c.caused_by);
  if (cause == nullptr || !cause->firing()) {
    *o = NewOutcome(c, OutcomeStatus::kSkipped);
    o->reason = cause == nullptr ? "the causing alert " + c.caused_by + " is not on the alerts topic"
                                 : "the causing alert resolved";
    return Status::OK();
  }
  WG_RETURN_IF_ERROR(db_.DryRun(templates_[c.type], c, &report));
  const DryRunVerdict verdict = CheckDryRun(c.type, report, *cause, book_.Firing());
  if (!verdict.ok) {
    *o = NewOutcome(c, OutcomeStatus::kRefused);
    o->report_json = report;
    o->reason = "the dry run exceeds the alert: " + verdict.reason;
    watched_[c.command_id] = {c, *cause, WallClockNow(), true, false};
    return Status::OK();
  }
  if (!why_approval.empty()) {
    *o = NewOutcome(c, OutcomeStatus::kAwaitingApproval);
    o->report_json = report;
    o->reason = why_approval;
    o->command_json = c.raw;
    return Status::OK();
  }
  return ApplyNow(c, *cause, o);
}

Outcome Worker::Retrying(const Command& c, const std::function<Status(Outcome*)>& attempt) {
  const int max = config_.worker.max_attempts;
  int backoff = config_.worker.retry_backoff_ms;
  for (int n = 1;; ++n) {
    Outcome o;
    Status s = attempt(&o);
    if (s.ok()) {
      o.attempts = n;
      o.at = WallClockNow();
      return o;
    }
    if (!s.IsUnavailable() || n >= max || stop_->load()) {
      o = NewOutcome(c, OutcomeStatus::kFailed);
      o.attempts = n;
      o.reason = s.message();
      o.at = WallClockNow();
      return o;
    }
    spdlog::warn("worker {}: {} {} attempt {} of {}: {}; retrying in {} ms", id_, c.type, c.command_id, n, max,
                 s.message(), backoff);
    const auto until = Clock::now() + std::chrono::milliseconds(backoff);
    while (Clock::now() < until && !stop_->load()) Follow(50);
    backoff = std::min(backoff * 2, kMaxBackoffMs);
  }
}

Outcome Worker::Process(const Command& c, Mode mode) {
  return Retrying(c, [&](Outcome* o) { return Attempt(c, mode, o); });
}

bool Worker::Publish(const std::string& topic, const std::string& key, const std::string& payload) {
  uint64_t seq = 0;
  Status s = publisher_.Send(topic, key, payload, &seq);
  while (s.ok() || s.IsUnavailable()) {
    if (s.ok()) s = publisher_.WaitDelivered(seq, kDeliveryTimeoutMs, stop_);
    if (s.ok()) return true;
    if (stop_->load()) return false;
    spdlog::warn("worker {}: {} not delivered yet: {}", id_, topic, s.message());
    s = Status::OK();
  }
  // The producer cannot go on (a fatal error): stop before a later
  // command's offset covers this one's.
  fatal_ = Status::Fatal("publishing to " + topic + ": " + s.message());
  return false;
}

bool Worker::PublishOutcome(const std::string& key, const Outcome& o) {
  if (!Publish(config_.kafka.outcomes_topic, key, OutcomeJson(o))) return false;
  ++figures_.outcomes[{o.type, OutcomeStatusName(o.status)}];
  return true;
}

void Worker::PublishFigures() {
  if (options_.board == nullptr) return;
  figures_.started = true;
  figures_.assigned_partitions = consumer_.AssignedPartitions();
  figures_.approvals.clear();
  for (const auto& [id, p] : pending_) {
    figures_.approvals.push_back(WaitingApproval{id, p.command.type, p.report_json, p.since});
  }
  options_.board->Publish(figures_);
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

void Worker::ProcessApprovals() {
  // By id, not by iterator: applying follows the topics, which edits pending_.
  // A command nobody approves expires too: an approval is a person's
  // judgement of the dry run they read, which goes stale with the data.
  const Micros ttl = config_.worker.approval_ttl_s * kMicrosPerSecond;
  const Micros now = WallClockNow();
  std::vector<std::string> ready;
  for (const auto& [id, p] : pending_) {
    if (approvals_.count(id) != 0 || now - p.since > ttl) ready.push_back(id);
  }
  for (const std::string& id : ready) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    const Pending p = it->second;
    const Command& c = p.command;
    Outcome o;
    auto approved = approvals_.find(id);
    if (approved == approvals_.end()) {
      o = NewOutcome(c, OutcomeStatus::kExpired);
      o.report_json = p.report_json;
      o.reason = "no approval within approval_ttl_s " + std::to_string(config_.worker.approval_ttl_s) +
                 " s of awaiting_approval (" + FormatTimestamp(p.since) + ")";
      o.at = now;
      if (!PublishOutcome(p.key, o)) return;
      spdlog::info("worker {}: {} {} -> expired ({})", id_, c.type, c.command_id, o.reason);
      pending_.erase(id);
      continue;
    }
    const Approval approval = approved->second;
    if (approval.at - p.since > ttl) {
      o = NewOutcome(c, OutcomeStatus::kExpired);
      o.report_json = p.report_json;
      o.reason = "approved by " + approval.by + " " + std::to_string((approval.at - p.since) / kMicrosPerSecond) +
                 " s after awaiting_approval (" + FormatTimestamp(p.since) + "), past approval_ttl_s " +
                 std::to_string(config_.worker.approval_ttl_s);
      o.at = WallClockNow();
    } else {
      o = Retrying(c, [&](Outcome* out) {
        const AlertMessage* cause = AwaitAlert(c.caused_by);
        if (cause == nullptr || !cause->firing()) {
          *out = NewOutcome(c, OutcomeStatus::kSkipped);
          out->reason = "the causing alert resolved before the approval";
          return Status::OK();
        }
        return ApplyNow(c, *cause, out);
      });
      if (o.status == OutcomeStatus::kApplied) o.reason = "approved by " + approval.by;
    }
    if (!PublishOutcome(p.key, o)) return;
    spdlog::info("worker {}: {} {} -> {} ({})", id_, c.type, c.command_id, OutcomeStatusName(o.status), o.reason);
    pending_.erase(id);
  }
}

void Worker::CheckEscalations() {
  const Micros now = WallClockNow();
  for (auto it = watched_.begin(); it != watched_.end();) {
    Watched& w = it->second;
    const AlertMessage* a = book_.Find(w.original.alert_id);
    const bool firing = a != nullptr && a->firing();
    if (!firing) {
      if (w.published) {
        const std::string msg = EscalationAlertJson(w.command, w.original, false, "the original alert resolved", now);
        uint64_t seq = 0;
        if (!publisher_.Send(config_.kafka.alerts_topic, EscalationIds(w.command, w.original).fingerprint, msg, &seq)
                 .ok()) {
          ++it;
          continue;
        }
      }
      it = watched_.erase(it);
      continue;
    }
    if (!w.published && (w.refused || now - w.since >= config_.worker.escalate_after_s * kMicrosPerSecond)) {
      const char* why = w.refused ? "the dry run exceeded the alert's figures; the fix was refused"
                                  : "the alert still fires after the fix was applied";
      uint64_t seq = 0;
      w.published = publisher_
                        .Send(config_.kafka.alerts_topic, EscalationIds(w.command, w.original).fingerprint,
                              EscalationAlertJson(w.command, w.original, true, why, now), &seq)
                        .ok();
    }
    ++it;
  }
  publisher_.Serve();
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

}  // namespace

Status RunWorker(const Config& config, const WorkerOptions& options, const std::atomic<bool>* stop) {
  Worker worker(config, options, stop);
  WG_RETURN_IF_ERROR(worker.Start());
  return worker.Loop();
}

}  // namespace walguard

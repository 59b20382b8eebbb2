// One command's way through the Worker (worker/worker_internal.h): its mode,
// the precondition (the causing alert still fires), the dry run and its
// check against the alert, then awaiting approval or the apply; transient
// failures retried in place. Approved commands take the same apply.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "worker/dry_run_check.h"
#include "worker/worker_internal.h"

namespace walguard::worker_internal {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxBackoffMs = 10'000;

}  // namespace

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

}  // namespace walguard::worker_internal

#include "processors/command_repeats.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "core/firing_alert.h"
#include "processors/rule_registry.h"
#include "processors/timers.h"

namespace walguard {

namespace {

// The rule of "<type>:<kind>:<id>".
const Rule* RuleOfFingerprint(std::string_view fingerprint) {
  return RuleOfType(fingerprint.substr(0, fingerprint.find(':')));
}

}  // namespace

void ScheduleRepeat(ApplyContext* ctx, const AlertType& type, std::string_view fingerprint, std::string_view alert_id,
                    std::string_view command_args) {
  const Micros interval = ctx->thresholds != nullptr ? ctx->thresholds->repeat_interval : 0;
  if (!type.repeats || type.command == nullptr || interval <= 0) return;
  const RepeatTimerValue r{ctx->now, alert_id, command_args};
  SetRepeatTimer(ctx->kv, r.base + interval, fingerprint, EncodeRepeatTimerValue(r));
}

Status FireDueRepeats(ApplyContext* ctx, Micros after) {
  const Micros interval = ctx->thresholds != nullptr ? ctx->thresholds->repeat_interval : 0;
  return FireDueRepeatTimers(ctx->kv, after, ctx->now, [&](const std::string& fingerprint, const std::string& payload) {
    RepeatTimerValue r;
    if (!DecodeRepeatTimerValue(payload, &r)) return Status::Corruption("repeat timer of " + fingerprint);
    const Rule* rule = RuleOfFingerprint(fingerprint);
    std::string firing_id;
    Status s = FiringId(ctx->kv, fingerprint, &firing_id);
    if (!s.ok() && !s.IsNotFound()) return s;
    // Resolved (and maybe fired again, with a repeat of its own), a rule
    // that no longer repeats, or repeats turned off: the chain ends here.
    // A rule the schema guard disabled leaves its alerts as they are: no repeats either.
    if (s.IsNotFound() || firing_id != r.alert_id || rule == nullptr || !rule->alert.repeats || interval <= 0 ||
        ctx->RuleDisabled(rule->alert.type)) {
      return Status::OK();
    }
    const int64_t n = (ctx->now - r.base) / interval;
    assert(n >= 1);  // due: base + n * interval <= now for the scheduled n >= 1
    ctx->out->push_back(
        {Topic::kCommands, fingerprint, CommandMessage(*ctx, rule->alert, r.command_args, r.alert_id, n)});
    SetRepeatTimer(ctx->kv, r.base + (n + 1) * interval, fingerprint, payload);
    return Status::OK();
  });
}

void RestoreRepeat(KvTxn* kv, Micros clock, const FiringAlert& alert) {
  if (!alert.repeat) return;
  // Due timers are looked for after the clock only (timers.h): one whose
  // deadline passed while the old state was away is due at the next tick,
  // which numbers it by the intervals elapsed since base, as a gap would.
  const Micros deadline = std::max(alert.repeat->deadline, clock + 1);
  SetRepeatTimer(kv, deadline, alert.fingerprint,
                 EncodeRepeatTimerValue({alert.repeat->base, alert.alert_id, alert.repeat->command_args}));
}

}  // namespace walguard

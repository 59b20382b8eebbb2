#include "processors/command_repeats.h"

#include <cassert>
#include <string>

#include "processors/rule_registry.h"
#include "processors/timers.h"
#include "util/coding.h"

namespace walguard {

namespace {

// The timer's payload: what the repeat needs without the alert's facts.
struct Repeat {
  Micros base = 0;  // the WAL clock when the alert fired
  std::string_view alert_id;
  std::string_view command_args;
};

std::string Encode(const Repeat& r) {
  std::string out;
  PutVarsint64(&out, r.base);
  PutLengthPrefixed(&out, r.alert_id);
  PutLengthPrefixed(&out, r.command_args);
  return out;
}

bool Decode(std::string_view in, Repeat* r) {
  return GetVarsint64(&in, &r->base) && GetLengthPrefixed(&in, &r->alert_id) &&
         GetLengthPrefixed(&in, &r->command_args);
}

// The rule of "<type>:<kind>:<id>".
const Rule* RuleOfFingerprint(std::string_view fingerprint) {
  return RuleOfType(fingerprint.substr(0, fingerprint.find(':')));
}

}  // namespace

void ScheduleRepeat(ApplyContext* ctx, const AlertType& type, std::string_view fingerprint, std::string_view alert_id,
                    std::string_view command_args) {
  const Micros interval = ctx->thresholds != nullptr ? ctx->thresholds->repeat_interval : 0;
  if (!type.repeats || type.command == nullptr || interval <= 0) return;
  const Repeat r{ctx->now, alert_id, command_args};
  SetRepeatTimer(ctx->kv, r.base + interval, fingerprint, Encode(r));
}

Status FireDueRepeats(ApplyContext* ctx, Micros after) {
  const Micros interval = ctx->thresholds != nullptr ? ctx->thresholds->repeat_interval : 0;
  return FireDueRepeatTimers(ctx->kv, after, ctx->now, [&](const std::string& fingerprint, const std::string& payload) {
    Repeat r;
    if (!Decode(payload, &r)) return Status::Corruption("repeat timer of " + fingerprint);
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

}  // namespace walguard

// Repeating commands (CONTRACT 3.1, "Commands that repeat"): a firing alert
// whose rule `repeats` (AlertType::repeats) re-issues its command every
// `repeat_seconds` on the WAL clock until it resolves, as the runbook polls
// a pending PIX payment every 5 minutes.
//
// The n-th repeat (n >= 1) is due at base + n * repeat_seconds, where base is
// the WAL clock when the alert fired, and carries
//   command_id = StableUuid(alert_id + "/" + command + "/" + n)
// (the first command, n = 0, keeps the id it always had). Its timer is
// stored in state (timers.h), so a crash or a replay of the same steps issues
// the same repeats with the same ids. A repeat is dropped when its alert no
// longer fires with the alert_id it was scheduled for (resolving needs no
// clean-up), and when the schema guard disabled its rule. After a gap (walguard down, or no keepalives), one step
// issues one repeat per alert, numbered by the intervals elapsed, not one per missed interval: a poll is worth
// repeating, not replaying.
#pragma once

#include <string_view>

#include "core/firing_alert.h"
#include "processors/alerts.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

// Schedules the first repeat of an alert that just fired with its command.
// Nothing when the rule does not repeat or repeat_seconds is 0.
void ScheduleRepeat(ApplyContext* ctx, const AlertType& type, std::string_view fingerprint, std::string_view alert_id,
                    std::string_view command_args);

// Issues the repeats due in (after, ctx->now] of alerts still firing, and
// schedules their next ones.
Status FireDueRepeats(ApplyContext* ctx, Micros after);

// Sets the repeat timer a state rebuilt by --resnapshot takes over with
// `alert` (core/firing_alert.h), if it had one: the same base, so the same
// numbering and command ids; due no earlier than just after `clock`.
void RestoreRepeat(KvTxn* kv, Micros clock, const FiringAlert& alert);

}  // namespace walguard

// The pg_cron rules of CONTRACT 3.1 (runbook 000 section 5): one predicate per
// rule over the facts of its job (cron_facts.h). Their rows - type, severity,
// tables read, thresholds - are in rule_registry.cc. An inactive job, or one
// unscheduled (its cron.job row deleted), is not watched: none fires for it.
#pragma once

#include "config/thresholds.h"
#include "processors/alerts.h"
#include "processors/cron_facts.h"
#include "processors/rule_util.h"

namespace walguard {

extern const AlertType& kCronJobFailed;
extern const AlertType& kCronJobSlow;
extern const AlertType& kCronJobMissed;

// The newest finished run ended 'failed'.
Verdict CronJobFailed(const CronJobFacts& f, const Thresholds& t);
// The newest finished run took more than cron_slow_after (end_time - start_time).
Verdict CronJobSlow(const CronJobFacts& f, const Thresholds& t);
// No start for more than twice the schedule's interval since the last start
// (or since first seen).
Verdict CronJobMissed(const CronJobFacts& f, const Thresholds& t);

}  // namespace walguard

// What the pg_cron rules know of one job (CONTRACT 3.1): its cron.job row,
// its newest run that started and its newest finished run, read once per
// evaluation and handed to every rule of the cron_job entity
// (rule_registry.h). Runs are ordered by runid, pg_cron's sequence: the order
// they were started in.
#pragma once

#include <string>

#include "core/entity_kind.h"
#include "processors/apply_context.h"
#include "processors/cron_apply.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct CronJobFacts {
  static constexpr EntityKind kKind = EntityKind::kCronJob;
  std::string id;  // the jobname, or the jobid as text
  std::string event_id;
  bool exists = false;  // the cron.job row is stored (a job unscheduled is not)
  bool active = false;
  std::string jobid, schedule, command;
  Micros now = 0;         // the WAL clock
  Micros first_seen = 0;  // the WAL clock when walguard first saw the job
  bool has_last_start = false;
  Micros last_start = 0;  // of the newest run that has a start_time
  bool has_finished = false;
  IndexedCronRun finished;     // the newest run ended 'succeeded' or 'failed'
  std::string return_message;  // the finished run's
  // cron_job_missed: the schedule's interval and the deadline after the last
  // start (or first_seen); false when the schedule has none.
  bool has_deadline = false;
  Micros interval = 0, deadline = 0;
};

Status LoadFacts(ApplyContext* ctx, const std::string& id, CronJobFacts* out);

// The alert's `context`: schedule, command, last_start (null when unknown).
std::string ContextOf(const CronJobFacts& f);

// Everything the context needs is in the facts already.
inline Status LoadContext(ApplyContext*, CronJobFacts*) {
  return Status::OK();
}

}  // namespace walguard

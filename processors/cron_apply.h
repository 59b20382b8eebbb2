// How pg_cron's rows contribute to walguard's state (CONTRACT 3.1, runbook 000
// section 5). Same protocol as ticketing_apply.h: a row is accounted (+1) when
// stored and retracted (-1), with exactly the same contribution, before it
// changes.
//  - cron.job: the name index (entity id -> jobid) and a timer at the moment
//    the job counts as missed (CronMissedDeadline). The row image's
//    `accounted` holds when walguard first saw the job (the WAL clock then):
//    a job that never ran is missed counting from there.
//  - cron.job_run_details: the job's run index, newest runid first, and a
//    fresh account of its job, whose last start (and so timer) may move.
//
// State under keys::kCronIndex:
//   'C' 'n' | job entity id | \0 | jobid            -> ""
//   'C' 'r' | jobid | \0 | be64(~runid)             -> status, start, end
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "processors/apply_context.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

Status CheckCronRow(TableId table, const RowImage& image);

Status AccountCronRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign);

// The cron_job entity id of a cron.job row: its jobname, else its jobid.
std::string CronJobEntityId(const RowImage& job);

// The prefixes of one entity's jobs in the name index and of one job's runs.
std::string CronJobNamePrefix(std::string_view entity_id);
std::string CronRunPrefix(std::string_view jobid);

struct IndexedCronRun {
  int64_t runid = 0;
  std::string status;
  bool has_start = false, has_end = false;
  Micros start = 0, end = 0;
};
// The run index entry at `key` (whose prefix is CronRunPrefix) with `value`.
bool DecodeIndexedCronRun(std::string_view key, std::string_view value, IndexedCronRun* out);

// When an active job with this schedule counts as missed: `since` (its last
// start, or when first seen) + 2 × CronInterval (util/cron_schedule.h), in
// UTC as pg_cron evaluates by default. False for a schedule without one.
bool CronMissedDeadline(std::string_view schedule, Micros since, Micros* interval, Micros* deadline);

}  // namespace walguard

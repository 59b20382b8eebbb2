// Cron operations (CONTRACT 3.1, runbook 000 section 5) on pg_cron's tables,
// where the database has them (the extension's, or plain ones of their shape:
// cron_tables.h). Jobs are scheduled, run, paused and unscheduled the way
// pg_cron writes its rows: a job row, then one run row per start, 'running'
// until it ends 'succeeded' or 'failed'. Faults are the three ways a job goes
// wrong: a failed run, a slow run, runs that stopped.
//
// Timing, as everywhere in the workload, stays far from every deadline:
// healthy jobs run hourly or less often, so they are not missed within a run
// (2 × their interval), and their runs take under 2 s (cron_slow_after_seconds
// is 5); a slow run takes 10 to 60 s; a job whose runs stopped runs every
// minute or five and last started 20 to 60 minutes ago, so it is missed on the
// WAL clock from its first commit on.
//
// Every choice is drawn from cron_rng_, never from rng_, so the other tables'
// operations do not depend on whether the database has the cron schema.
#include <algorithm>
#include <iterator>

#include "workload/worker.h"

namespace walguard::workload {

namespace {

constexpr size_t kMaxCronJobs = 8;  // healthy jobs per worker
constexpr size_t kMaxCronDamages = 32;
constexpr const char* kHealthySchedules[] = {"@hourly", "@daily", "*/30 * * * *", "0 3 * * *", "15 * * * 1-5"};
constexpr const char* kMissedSchedules[] = {"* * * * *", "*/5 * * * *"};
constexpr char kCommand[] = "SELECT public.cleanup_expired_holds()";

std::string Millis(int64_t ms) {
  return std::to_string(ms) + " milliseconds";
}

}  // namespace

Status Worker::SeedCron() {
  Rows rows;
  WG_RETURN_IF_ERROR(Sql("SELECT to_regclass('cron.job_run_details') IS NOT NULL", {}, &rows));
  if (rows.size() != 1 || rows.at(0, 0) != "t") return Status::OK();
  catalog_->EnableCron();
  // Jobs for the first start's snapshot: healthy ones and, with faults, one
  // whose runs stopped long ago (never repaired: it stays missed).
  for (int i = 0; i < 3; ++i) WG_RETURN_IF_ERROR(ScheduleHealthyCronJob());
  return options_.fault_rate > 0 ? FaultCronMissed() : Status::OK();
}

Status Worker::StepCron() {
  // Cron operations are few: their faults are proportionally more frequent.
  const double fault_rate = std::min(0.5, 4 * options_.fault_rate);
  Status s;
  if (fault_rate > 0 && cron_rng_.Chance(fault_rate)) {
    int total = 0;
    for (int k = 0; k < kFaultKindCount; ++k) {
      if (SchemaOf(static_cast<FaultKind>(k)) == FaultSchema::kCron) total += FaultWeight(static_cast<FaultKind>(k));
    }
    int64_t r = static_cast<int64_t>(cron_rng_.Uniform(total));
    for (int k = 0; k < kFaultKindCount && r >= 0; ++k) {
      const FaultKind kind = static_cast<FaultKind>(k);
      if (SchemaOf(kind) != FaultSchema::kCron) continue;
      r -= FaultWeight(kind);
      if (r < 0) {
        s = InjectCronFault(kind);
        if (s.ok()) CountFault(kind);
      }
    }
  } else {
    const uint64_t r = cron_rng_.Uniform(20);
    if (r < 3) {
      s = ScheduleHealthyCronJob();
    } else if (r < 14) {
      s = RunCronJob();
    } else if (r < 15) {
      s = PauseCronJob();
    } else if (r < 16) {
      s = UnscheduleCronJob();
    } else {
      s = RepairCron();
    }
  }
  // NotFound: nothing to act on; not an error.
  return s.IsNotFound() ? Status::OK() : s;
}

Status Worker::InjectCronFault(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCronFailed:
    case FaultKind::kCronSlow:
      return FaultCronRun(kind);
    case FaultKind::kCronMissed:
      return FaultCronMissed();
    default:
      return Status::InvalidArgument(std::string("not a cron fault: ") + FaultName(kind));
  }
}

std::string Worker::CronJobName() {
  // One job in ten is unnamed, as cron.schedule(schedule, command) leaves it.
  if (cron_rng_.Chance(0.1)) return "";
  return "wl-" + cron_rng_.Uuid().substr(0, 13);
}

std::vector<size_t> Worker::IdleCronJobs() const {
  std::vector<size_t> idle;
  for (size_t i = 0; i < cron_jobs_.size(); ++i) {
    if (cron_jobs_[i].running_runid.empty()) idle.push_back(i);
  }
  return idle;
}

// cron.schedule's row and a first run that succeeded, started
// `last_start_ago_s` seconds ago: a job is never without a start, which
// walguard would count from when it first saw the job and SQL cannot.
Status Worker::ScheduleCronJob(const std::string& schedule, const std::string& name, int64_t last_start_ago_s,
                               CronJob* out) {
  const std::string took = Millis(cron_rng_.Range(1, 2000));
  std::string jobid;
  Status s = Txn([&]() -> Status {
    Rows job;
    WG_RETURN_IF_ERROR(
        SqlRow("INSERT INTO cron.job (schedule, command, jobname) VALUES ($1, $2, NULLIF($3, '')) RETURNING jobid",
               {schedule, kCommand, name}, &job));
    jobid = job.at(0, 0);
    return Sql(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, "
        "start_time, end_time) VALUES ($1, pg_backend_pid(), current_database(), current_user, $2, 'succeeded', "
        "'1 row', now() - $3::interval, now() - $3::interval + $4::interval)",
        {jobid, kCommand, std::to_string(last_start_ago_s) + " seconds", took});
  });
  if (!s.ok()) return s;
  *out = CronJob{jobid, name.empty() ? jobid : name, schedule, true, ""};
  return Status::OK();
}

Status Worker::ScheduleHealthyCronJob() {
  if (cron_jobs_.size() >= kMaxCronJobs) return Status::NotFound("enough jobs");
  const std::string schedule = kHealthySchedules[cron_rng_.Uniform(std::size(kHealthySchedules))];
  const std::string name = CronJobName();
  CronJob job;
  WG_RETURN_IF_ERROR(ScheduleCronJob(schedule, name, 0, &job));
  cron_jobs_.push_back(std::move(job));
  return Status::OK();
}

// A healthy run of one of this worker's undamaged jobs (a failed or slow run
// stays the latest until RepairCron): started and finished at once, started
// now and finished by a later operation, or the finish of one started
// earlier. It takes what it says, whenever the finish commits.
Status Worker::RunCronJob() {
  std::vector<size_t> undamaged;
  for (size_t i = 0; i < cron_jobs_.size(); ++i) {
    auto same_job = [&](const CronDamage& d) { return d.job.jobid == cron_jobs_[i].jobid; };
    if (std::none_of(cron_damages_.begin(), cron_damages_.end(), same_job)) undamaged.push_back(i);
  }
  if (undamaged.empty()) return Status::NotFound("no undamaged job");
  CronJob& job = cron_jobs_[undamaged[cron_rng_.Uniform(undamaged.size())]];
  const std::string took = Millis(cron_rng_.Range(1, 2000));
  if (!job.running_runid.empty()) {
    Status s = Txn([&]() -> Status {
      return SqlRow(
          "UPDATE cron.job_run_details SET status = 'succeeded', return_message = '1 row', "
          "end_time = start_time + $2::interval WHERE runid = $1",
          {job.running_runid, took});
    });
    if (s.ok()) job.running_runid.clear();
    return s;
  }
  const bool finish_later = cron_rng_.Chance(0.5);
  std::string runid;
  Status s = Txn([&]() -> Status {
    Rows run;
    WG_RETURN_IF_ERROR(
        SqlRow("INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, "
               "return_message, start_time, end_time) VALUES ($1, pg_backend_pid(), current_database(), current_user, "
               "$2, CASE WHEN $3 THEN 'running' ELSE 'succeeded' END, CASE WHEN $3 THEN NULL ELSE '1 row' END, now(), "
               "CASE WHEN $3 THEN NULL ELSE now() + $4::interval END) RETURNING runid",
               {job.jobid, kCommand, finish_later ? "true" : "false", took}, &run));
    runid = run.at(0, 0);
    return Status::OK();
  });
  if (s.ok() && finish_later) job.running_runid = runid;
  return s;
}

// cron.alter_job(job_id, active := ...): paused jobs are not watched.
Status Worker::PauseCronJob() {
  if (cron_jobs_.empty()) return Status::NotFound("no job");
  CronJob& job = cron_jobs_[cron_rng_.Uniform(cron_jobs_.size())];
  Status s = Txn([&]() -> Status {
    return SqlRow("UPDATE cron.job SET active = $2 WHERE jobid = $1", {job.jobid, job.active ? "false" : "true"});
  });
  if (s.ok()) job.active = !job.active;
  return s;
}

// cron.unschedule: the job row goes, its runs stay.
Status Worker::UnscheduleCronJob() {
  if (cron_jobs_.size() < 3) return Status::NotFound("too few jobs");
  const size_t index = cron_rng_.Uniform(cron_jobs_.size());
  const std::string jobid = cron_jobs_[index].jobid;
  Status s = Txn([&]() -> Status { return SqlRow("DELETE FROM cron.job WHERE jobid = $1", {jobid}); });
  if (s.ok()) cron_jobs_.erase(cron_jobs_.begin() + static_cast<std::ptrdiff_t>(index));
  return s;
}

// The newest run of an idle job failed (an error, as pg_cron records it), or
// succeeded after 10 to 60 s.
Status Worker::FaultCronRun(FaultKind kind) {
  const std::vector<size_t> idle = IdleCronJobs();
  if (idle.empty()) return Status::NotFound("no idle job");
  const CronJob job = cron_jobs_[idle[cron_rng_.Uniform(idle.size())]];
  const bool failed = kind == FaultKind::kCronFailed;
  const std::string took = failed ? Millis(cron_rng_.Range(1, 2000)) : std::to_string(cron_rng_.Range(10, 60)) + " s";
  Status s = Txn([&]() -> Status {
    return Sql(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, "
        "start_time, end_time) VALUES ($1, pg_backend_pid(), current_database(), current_user, $2, $3::text, "
        "CASE WHEN $3::text = 'failed' THEN 'ERROR:  canceling statement due to lock timeout' ELSE '1 row' END, "
        "now() - $4::interval, now())",
        {job.jobid, kCommand, failed ? "failed" : "succeeded", took});
  });
  if (!s.ok()) return s;
  if (cron_damages_.size() >= kMaxCronDamages) cron_damages_.erase(cron_damages_.begin());
  cron_damages_.push_back({kind, job});
  return Status::OK();
}

// A new job every minute or five whose last run started 20 to 60 minutes ago.
Status Worker::FaultCronMissed() {
  const std::string schedule = kMissedSchedules[cron_rng_.Uniform(std::size(kMissedSchedules))];
  const std::string name = CronJobName();
  const int64_t ago = cron_rng_.Range(int64_t{20} * 60, int64_t{60} * 60);
  CronJob job;
  WG_RETURN_IF_ERROR(ScheduleCronJob(schedule, name, ago, &job));
  if (cron_damages_.size() >= kMaxCronDamages) cron_damages_.erase(cron_damages_.begin());
  cron_damages_.push_back({FaultKind::kCronMissed, std::move(job)});
  return Status::OK();
}

// The runbook's fixes: a run that succeeds quickly after a failed or slow
// one; a stopped job unscheduled, or rescheduled hourly with a run started
// now (it becomes one of the healthy jobs).
Status Worker::RepairCron() {
  if (cron_damages_.empty()) return Status::NotFound("nothing to repair");
  const size_t index = cron_rng_.Uniform(cron_damages_.size());
  const CronDamage d = cron_damages_[index];
  cron_damages_.erase(cron_damages_.begin() + static_cast<std::ptrdiff_t>(index));
  // A stopped job that keeps its every-minute schedule would be missed again
  // two minutes after the new start: near a deadline. Rescheduled or gone.
  const bool missed = d.kind == FaultKind::kCronMissed;
  const bool reschedule = missed && cron_jobs_.size() < kMaxCronJobs && cron_rng_.Chance(0.5);
  const bool unschedule = missed && !reschedule;
  const std::string took = Millis(cron_rng_.Range(1, 2000));
  Status s = Txn([&]() -> Status {
    if (unschedule) return SqlRow("DELETE FROM cron.job WHERE jobid = $1", {d.job.jobid});
    if (reschedule)
      WG_RETURN_IF_ERROR(SqlRow("UPDATE cron.job SET schedule = '@hourly' WHERE jobid = $1", {d.job.jobid}));
    // Only while the job is still scheduled (a healthy operation may have unscheduled it).
    return SqlRow(
        "INSERT INTO cron.job_run_details (jobid, job_pid, database, username, command, status, return_message, "
        "start_time, end_time) SELECT jobid, pg_backend_pid(), current_database(), current_user, command, "
        "'succeeded', '1 row', now(), now() + $2::interval FROM cron.job WHERE jobid = $1",
        {d.job.jobid, took});
  });
  if (!s.ok()) return s;
  if (reschedule) cron_jobs_.push_back(CronJob{d.job.jobid, d.job.entity, "@hourly", true, ""});
  CountRepair();
  return Status::OK();
}

}  // namespace walguard::workload

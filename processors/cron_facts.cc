#include "processors/cron_facts.h"

#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/json_writer.h"

namespace walguard {

namespace {

// The first job filed under the entity id (pg_cron's jobnames are unique per
// user; two users' jobs of one name share the entity, the lowest jobid wins).
Status FindJob(KvTxn* kv, const std::string& id, std::string* jobid) {
  const std::string prefix = CronJobNamePrefix(id);
  return ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view) {
    jobid->assign(key.substr(prefix.size()));
    return false;
  });
}

// Newest first, until both the last start and the last finished run are known.
Status LoadRuns(KvTxn* kv, CronJobFacts* f) {
  const std::string prefix = CronRunPrefix(f->jobid);
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view value) {
    IndexedCronRun run;
    if (!DecodeIndexedCronRun(key.substr(prefix.size()), value, &run)) {
      parse = Status::Corruption("cron run index entry");
      return false;
    }
    if (!f->has_last_start && run.has_start) {
      f->has_last_start = true;
      f->last_start = run.start;
    }
    if (!f->has_finished && (run.status == "succeeded" || run.status == "failed")) {
      f->has_finished = true;
      f->finished = run;
    }
    return !(f->has_last_start && f->has_finished);
  }));
  return parse;
}

}  // namespace

Status LoadFacts(ApplyContext* ctx, const std::string& id, CronJobFacts* f) {
  f->id = id;
  f->now = ctx->now;
  WG_RETURN_IF_ERROR(FindJob(ctx->kv, id, &f->jobid));
  if (f->jobid.empty()) return Status::OK();
  RowImage job;
  Status s = LoadImage(ctx->kv, TableId::kCronJob, f->jobid, &job);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  f->exists = true;
  f->active = CellText(job, cron_job_col::kActive) == "true";
  f->schedule = CellText(job, cron_job_col::kSchedule);
  f->command = CellText(job, cron_job_col::kCommand);
  f->first_seen = job.accounted;
  WG_RETURN_IF_ERROR(LoadRuns(ctx->kv, f));
  if (f->has_finished) {
    RowImage run;
    s = LoadImage(ctx->kv, TableId::kCronJobRunDetails, std::to_string(f->finished.runid), &run);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.ok()) f->return_message = CellText(run, cron_run_col::kReturnMessage);
  }
  f->has_deadline =
      CronMissedDeadline(f->schedule, f->has_last_start ? f->last_start : f->first_seen, &f->interval, &f->deadline);
  return Status::OK();
}

std::string ContextOf(const CronJobFacts& f) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  auto text_or_null = [&](const char* key, bool known, std::string_view text) {
    w.Key(key);
    if (known) {
      w.String(text);
    } else {
      w.Null();
    }
  };
  text_or_null("schedule", f.exists, f.schedule);
  text_or_null("command", f.exists, f.command);
  text_or_null("last_start", f.has_last_start, f.has_last_start ? FormatTimestamp(f.last_start) : "");
  w.EndObject();
  return out;
}

}  // namespace walguard

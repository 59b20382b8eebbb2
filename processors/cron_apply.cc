#include "processors/cron_apply.h"

#include <charconv>

#include "core/key_layout.h"
#include "processors/timers.h"
#include "util/coding.h"
#include "util/cron_schedule.h"
#include "util/time_zone.h"

namespace walguard {

namespace {

constexpr char kNameIndex = 'n';
constexpr char kRunIndex = 'r';

bool ParseRunId(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

Status TimeOf(TableId table, const RowImage& img, int col, Micros* t, bool* known) {
  bool is_null = true;
  WG_RETURN_IF_ERROR(CellTime(Spec(table), img, col, t, &is_null));
  *known = !is_null;
  return Status::OK();
}

// The start of the job's newest run that has one, scanning newest first;
// false when no run has started.
Status LastStart(KvTxn* kv, std::string_view jobid, bool* has, Micros* start) {
  *has = false;
  const std::string prefix = CronRunPrefix(jobid);
  Status parse;
  WG_RETURN_IF_ERROR(ScanPrefix(kv, prefix, [&](std::string_view key, std::string_view value) {
    IndexedCronRun run;
    if (!DecodeIndexedCronRun(key.substr(prefix.size()), value, &run)) parse = Status::Corruption("cron run index");
    if (parse.ok() && run.has_start) {
      *has = true;
      *start = run.start;
    }
    return parse.ok() && !*has;
  }));
  return parse;
}

Status AccountJob(ApplyContext* ctx, const std::string& jobid, RowImage* img, int sign) {
  const std::string entity = CronJobEntityId(*img);
  const std::string name_key = CronJobNamePrefix(entity) + jobid;
  bool has_deadline = false;
  Micros deadline = 0;
  if (sign > 0) {
    ctx->kv->Put(name_key, "");
    if (img->accounted == 0) img->accounted = std::max<Micros>(ctx->now, 1);  // first seen
    bool started = false;
    Micros since = img->accounted;
    WG_RETURN_IF_ERROR(LastStart(ctx->kv, jobid, &started, &since));
    Micros interval = 0, missed_at = 0;
    if (CellText(*img, cron_job_col::kActive) == "true" &&
        CronMissedDeadline(CellText(*img, cron_job_col::kSchedule), since, &interval, &missed_at)) {
      // The rule holds once the clock is past the deadline.
      has_deadline = missed_at + 1 > ctx->now;
      deadline = missed_at + 1;
    }
  } else {
    ctx->kv->Delete(name_key);
  }
  UpdateRowTimer(ctx->kv, TableId::kCronJob, jobid, img, sign, has_deadline, deadline);
  ctx->Touch(EntityKind::kCronJob, entity);
  return Status::OK();
}

Status AccountRun(ApplyContext* ctx, RowImage* img, int sign) {
  const std::string_view jobid = CellText(*img, cron_run_col::kJobId);
  int64_t runid = 0;
  if (!ParseRunId(CellText(*img, cron_run_col::kRunId), &runid)) return Status::InvalidArgument("runid");
  std::string key = CronRunPrefix(jobid);
  PutFixed64BE(&key, ~static_cast<uint64_t>(runid));
  if (sign > 0) {
    IndexedCronRun run;
    WG_RETURN_IF_ERROR(TimeOf(TableId::kCronJobRunDetails, *img, cron_run_col::kStartTime, &run.start, &run.has_start));
    WG_RETURN_IF_ERROR(TimeOf(TableId::kCronJobRunDetails, *img, cron_run_col::kEndTime, &run.end, &run.has_end));
    std::string v;
    PutLengthPrefixed(&v, CellText(*img, cron_run_col::kStatus));
    PutVarint64(&v, (run.has_start ? 1 : 0) | (run.has_end ? 2 : 0));
    PutVarsint64(&v, run.start);
    PutVarsint64(&v, run.end);
    ctx->kv->Put(key, v);
  } else {
    ctx->kv->Delete(key);
  }
  // The job's last start, and so its missed timer, may have moved.
  RowImage job;
  Status s = LoadImage(ctx->kv, TableId::kCronJob, jobid, &job);
  if (s.IsNotFound()) return Status::OK();  // a run of a job unscheduled (or not seen yet)
  WG_RETURN_IF_ERROR(s);
  const std::string job_key(jobid);
  WG_RETURN_IF_ERROR(AccountJob(ctx, job_key, &job, -1));
  WG_RETURN_IF_ERROR(AccountJob(ctx, job_key, &job, +1));
  ctx->kv->Put(ImageKey(TableId::kCronJob, job_key), EncodeImage(job));
  return Status::OK();
}

}  // namespace

std::string CronJobEntityId(const RowImage& job) {
  const std::string_view name = CellText(job, cron_job_col::kJobName);
  return std::string(name.empty() ? CellText(job, cron_job_col::kJobId) : name);
}

std::string CronJobNamePrefix(std::string_view entity_id) {
  std::string key{keys::kCronIndex, kNameIndex};
  key.append(entity_id);
  key.push_back('\0');
  return key;
}

std::string CronRunPrefix(std::string_view jobid) {
  std::string key{keys::kCronIndex, kRunIndex};
  key.append(jobid);
  key.push_back('\0');
  return key;
}

bool DecodeIndexedCronRun(std::string_view key, std::string_view in, IndexedCronRun* out) {
  uint64_t inverted = 0, flags = 0;
  std::string_view status;
  if (!GetFixed64BE(&key, &inverted) || !GetLengthPrefixed(&in, &status) || !GetVarint64(&in, &flags) ||
      !GetVarsint64(&in, &out->start) || !GetVarsint64(&in, &out->end)) {
    return false;
  }
  out->runid = static_cast<int64_t>(~inverted);
  out->status.assign(status);
  out->has_start = (flags & 1) != 0;
  out->has_end = (flags & 2) != 0;
  return true;
}

bool CronMissedDeadline(std::string_view schedule, Micros since, Micros* interval, Micros* deadline) {
  static const TimeZone kUtc;
  CronSchedule parsed;
  if (!ParseCronSchedule(schedule, &parsed).ok() || !CronInterval(parsed, kUtc, since, interval)) return false;
  *deadline = since + 2 * *interval;
  return true;
}

Status CheckCronRow(TableId table, const RowImage& img) {
  Micros t = 0;
  bool known = false;
  int64_t runid = 0;
  switch (table) {
    case TableId::kCronJob:
      return Status::OK();
    case TableId::kCronJobRunDetails:
      if (!ParseRunId(CellText(img, cron_run_col::kRunId), &runid)) {
        return Status::InvalidArgument("column runid is not a non-negative integer: " +
                                       std::string(CellText(img, cron_run_col::kRunId)));
      }
      WG_RETURN_IF_ERROR(TimeOf(table, img, cron_run_col::kStartTime, &t, &known));
      return TimeOf(table, img, cron_run_col::kEndTime, &t, &known);
    default:
      return Status::InvalidArgument("not a pg_cron table");
  }
}

Status AccountCronRow(ApplyContext* ctx, TableId table, const std::string& key, RowImage* image, int sign) {
  switch (table) {
    case TableId::kCronJob:
      return AccountJob(ctx, key, image, sign);
    case TableId::kCronJobRunDetails:
      return AccountRun(ctx, image, sign);
    default:
      return Status::InvalidArgument("not a pg_cron table");
  }
}

}  // namespace walguard

#include "processors/cron_rules.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "util/json_writer.h"
#include "util/time.h"

namespace walguard {

namespace {

bool Watched(const CronJobFacts& f) {
  return f.exists && f.active;
}

void TimeOrNull(JsonWriter* w, const char* key, bool known, Micros t) {
  w->Key(key);
  if (known) {
    w->String(FormatTimestamp(t));
  } else {
    w->Null();
  }
}

// Exact seconds with six decimals, as a JSON number: 6.250000.
std::string Seconds(Micros d) {
  const char* sign = d < 0 ? "-" : "";
  const Micros a = d < 0 ? -d : d;
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s%" PRId64 ".%06" PRId64, sign, a / kMicrosPerSecond, a % kMicrosPerSecond);
  return buf;
}

// The run the failed and slow rules judge: runid, status and times.
void WriteRun(JsonWriter* w, const CronJobFacts& f) {
  w->Field("jobid", f.jobid);
  w->Key("runid");
  if (f.has_finished) {
    w->Int(f.finished.runid);
  } else {
    w->Null();
  }
  w->Key("status");
  if (f.has_finished) {
    w->String(f.finished.status);
  } else {
    w->Null();
  }
  TimeOrNull(w, "start_time", f.has_finished && f.finished.has_start, f.finished.start);
  TimeOrNull(w, "end_time", f.has_finished && f.finished.has_end, f.finished.end);
}

}  // namespace

Verdict CronJobFailed(const CronJobFacts& f, const Thresholds&) {
  Verdict v{Watched(f) && f.has_finished && f.finished.status == "failed", "", ""};
  JsonWriter w(&v.details);
  w.BeginObject();
  WriteRun(&w, f);
  w.Field("return_message", f.return_message);
  w.EndObject();
  return v;
}

Verdict CronJobSlow(const CronJobFacts& f, const Thresholds& t) {
  const bool timed = f.has_finished && f.finished.has_start && f.finished.has_end;
  const Micros duration = timed ? f.finished.end - f.finished.start : 0;
  Verdict v{Watched(f) && timed && duration > t.cron_slow_after, "", ""};
  JsonWriter w(&v.details);
  w.BeginObject();
  WriteRun(&w, f);
  w.Key("duration_seconds");
  if (timed) {
    w.Raw(Seconds(duration));
  } else {
    w.Null();
  }
  w.Field("slow_after_seconds", t.cron_slow_after / kMicrosPerSecond);
  w.EndObject();
  return v;
}

Verdict CronJobMissed(const CronJobFacts& f, const Thresholds&) {
  Verdict v{Watched(f) && f.has_deadline && f.now > f.deadline, "", ""};
  JsonWriter w(&v.details);
  w.BeginObject();
  w.Field("jobid", f.jobid);
  w.Field("schedule", f.schedule);
  TimeOrNull(&w, "last_start", f.has_last_start, f.last_start);
  TimeOrNull(&w, "first_seen", f.exists, f.first_seen);
  w.Key("interval_seconds");
  if (f.has_deadline) {
    w.Raw(Seconds(f.interval));
  } else {
    w.Null();
  }
  TimeOrNull(&w, "expected_start_by", f.has_deadline, f.deadline);
  w.EndObject();
  return v;
}

}  // namespace walguard

#include "app/worker_http.h"

#include "app/status_page.h"
#include "ops/exposition.h"
#include "util/json_writer.h"

namespace walguard {

void BuildWorkerMetrics(const WorkerFigures& f, bool postgres_up, MetricRegistry* r) {
  r->Counter("walguard_worker_commands_consumed_total", "Command records read from the commands topic.")
      .Set(static_cast<double>(f.commands_consumed));
  MetricFamily& outcomes =
      r->Counter("walguard_worker_outcomes_total", "Outcomes published, by command type and status.");
  for (const auto& [key, n] : f.outcomes) {
    outcomes.Set({{"type", key.first}, {"status", key.second}}, static_cast<double>(n));
  }
  r->Gauge("walguard_worker_approvals_waiting", "Commands awaiting `walguard approve`.")
      .Set(static_cast<double>(f.approvals.size()));
  r->Gauge("walguard_worker_assigned_partitions", "Partitions of the commands topic this worker holds.")
      .Set(f.assigned_partitions);
  r->Gauge("walguard_worker_postgres_up", "1 when Postgres accepts connections (PQping).").Set(postgres_up ? 1 : 0);
}

Readiness WorkerReadiness(const WorkerFigures& f, bool postgres_up) {
  if (!f.started) return {false, "starting"};
  if (!postgres_up) return {false, "Postgres does not accept connections"};
  if (f.assigned_partitions == 0) return {false, "no partition of the commands topic assigned"};
  return {true, "ready"};
}

std::string WorkerStatusJson(const WorkerFigures& f, const Readiness& ready, Micros now) {
  std::string approvals = "[";
  for (const WaitingApproval& a : f.approvals) {
    if (approvals.size() > 1) approvals.push_back(',');
    JsonWriter w(&approvals);
    w.BeginObject();
    w.Field("command_id", a.command_id);
    w.Field("type", a.type);
    w.Field("since", FormatTimestamp(a.since));
    w.Key("report").Raw(a.report_json);
    w.EndObject();
  }
  approvals += "]";
  std::string outcomes = "[";
  for (const auto& [key, n] : f.outcomes) {
    if (outcomes.size() > 1) outcomes.push_back(',');
    JsonWriter w(&outcomes);
    w.BeginObject();
    w.Field("type", key.first);
    w.Field("status", key.second);
    w.Field("count", static_cast<int64_t>(n));
    w.EndObject();
  }
  outcomes += "]";
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("now", FormatTimestamp(now));
  w.Field("ready", ready.ready);
  w.Field("reason", ready.reason);
  w.Field("commands_consumed", static_cast<int64_t>(f.commands_consumed));
  w.Key("approvals").Raw(approvals);
  w.Key("outcomes").Raw(outcomes);
  w.EndObject();
  return out;
}

Status WorkerHttp::Start() {
  server_.Handle("/healthz", [](const HttpParams&) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"}; });
  server_.Handle("/readyz", [this](const HttpParams&) {
    const Readiness r = WorkerReadiness(board_->Read(), PostgresAccepting(config_.postgres.conninfo));
    return HttpResponse{r.ready ? 200 : 503, "text/plain; charset=utf-8", r.reason + "\n"};
  });
  server_.Handle("/metrics", [this](const HttpParams&) {
    MetricRegistry registry;
    BuildWorkerMetrics(board_->Read(), PostgresAccepting(config_.postgres.conninfo), &registry);
    return HttpResponse{200, kPrometheusContentType, RenderPrometheusText(registry)};
  });
  server_.Handle("/api/worker", [this](const HttpParams&) {
    const WorkerFigures f = board_->Read();
    const Readiness r = WorkerReadiness(f, PostgresAccepting(config_.postgres.conninfo));
    return HttpResponse{200, "application/json", WorkerStatusJson(f, r, WallClockNow())};
  });
  server_.Handle("/", [](const HttpParams&) {
    return HttpResponse{200, "text/html; charset=utf-8", std::string(WorkerStatusPageHtml())};
  });
  return server_.Start(config_.http_address);
}

}  // namespace walguard

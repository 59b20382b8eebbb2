#include "app/run_http.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "app/archiver.h"
#include "app/status_model.h"
#include "app/status_page.h"
#include "ops/exposition.h"
#include "state/state_dir.h"
#include "util/json_writer.h"
#include "util/lsn.h"

namespace walguard {

namespace {

// Directory sizes are walked at most this often.
constexpr Micros kSizesIntervalMicros = 10 * kMicrosPerSecond;

uint64_t DirectoryBytes(const std::filesystem::path& dir, bool database_files_only) {
  std::error_code ec;
  uint64_t total = 0;
  if (database_files_only) {
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec) && IsDatabaseFileName(entry.path().filename().string())) {
        total += entry.file_size(ec);
      }
    }
    return total;
  }
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

HttpResponse Json(std::string body) {
  return {200, "application/json", std::move(body)};
}

std::string FiringSinceJson(const RunFigures& f) {
  std::string out = "{";
  for (const auto& [fingerprint, since] : f.delivery.firing_since) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(&out, fingerprint);
    out.push_back(':');
    AppendJsonString(&out, FormatTimestamp(since));
  }
  return out + "}";
}

std::string ProcessJson(const RunFigures& f, const Readiness& ready, Micros now) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("phase", RunPhaseName(f.phase));
  w.Field("ready", ready.ready);
  w.Field("reason", ready.reason);
  w.Field("snapshot_done", f.snapshot_done);
  w.Field("applied_lsn", FormatLsn(f.applied));
  w.Field("server_lsn", FormatLsn(f.server));
  w.Field("lag_bytes", static_cast<int64_t>(LagBytes(f)));
  char lag[32];
  std::snprintf(lag, sizeof(lag), "%.1f", LagSeconds(f, now));
  w.Key("lag_seconds").Raw(lag);
  w.Field("outbox", static_cast<int64_t>(f.outbox));
  w.Field("outbox_bound", f.outbox_bound);
  w.Field("outbox_full", f.paused);
  w.Field("transactions", static_cast<int64_t>(f.transactions));
  w.Field("dead_letters", static_cast<int64_t>(f.dead_letters));
  w.EndObject();
  return out;
}

}  // namespace

RunHttp::RunHttp(const Config& config, const RunBoard* board) : config_(config), board_(board) {}

RunHttp::~RunHttp() {
  server_.Stop();  // no handler runs past here
  std::lock_guard lock(state_mu_);
  reader_.reset();
  std::error_code ignored;
  if (!scratch_dir_.empty()) std::filesystem::remove_all(scratch_dir_, ignored);
}

Status RunHttp::Start() {
  server_.Handle("/healthz", [](const HttpParams&) { return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"}; });
  server_.Handle("/readyz", [this](const HttpParams&) { return Ready(); });
  server_.Handle("/metrics", [this](const HttpParams&) { return Metrics(); });
  server_.Handle("/api/status", [this](const HttpParams& params) { return ApiStatus(params); });
  server_.Handle("/", [](const HttpParams&) {
    return HttpResponse{200, "text/html; charset=utf-8", std::string(RunStatusPageHtml())};
  });
  return server_.Start(config_.http_address);
}

HttpResponse RunHttp::Ready() {
  const Readiness r = RunReadiness(board_->Read(), WallClockNow(), config_.http_ready_max_lag_s);
  return {r.ready ? 200 : 503, "text/plain; charset=utf-8", r.reason + "\n"};
}

HttpResponse RunHttp::Metrics() {
  const RunFigures figures = board_->Read();
  std::vector<FiringStatus> firing;
  Status s = ReadState([&](KvTxn* kv) { return ReadFiringSet(kv, &firing); });
  MetricRegistry registry;
  BuildRunMetrics(figures, firing, Sizes(), WallClockNow(), &registry);
  registry.Gauge("walguard_state_readable", "1 when the HTTP endpoint could read the state for this scrape.")
      .Set(s.ok() ? 1 : 0);
  return {200, kPrometheusContentType, RenderPrometheusText(registry)};
}

HttpResponse RunHttp::ApiStatus(const HttpParams& params) {
  StatusQuery query;
  query.event_offset = ParamSize(params, "event_offset", 0, kMaxTierScan);
  query.event_limit = ParamSize(params, "event_limit", query.event_limit, 200);
  query.alert_offset = ParamSize(params, "alert_offset", 0, kMaxFiringScan);
  query.alert_limit = ParamSize(params, "alert_limit", query.alert_limit, 500);
  const RunFigures figures = board_->Read();
  const Micros now = WallClockNow();
  StatusModel model;
  Status s = ReadState([&](KvTxn* kv) { return BuildStatusModel(kv, query, &model); });
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("now", FormatTimestamp(now));
  w.Key("process").Raw(ProcessJson(figures, RunReadiness(figures, now, config_.http_ready_max_lag_s), now));
  w.Field("archive_dir", ArchiverOptionsFromConfig(config_).dir);
  w.Key("firing_since").Raw(FiringSinceJson(figures));
  w.Key("state");
  if (s.ok()) {
    w.Raw(StatusModelJson(model));
  } else {
    w.Null();
  }
  w.Field("state_error", s.ok() ? std::string() : s.ToString());
  w.EndObject();
  return Json(std::move(out));
}

Status RunHttp::ReadState(const std::function<Status(KvTxn*)>& read) {
  std::lock_guard lock(state_mu_);
  if (reader_ == nullptr) {
    if (scratch_dir_.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walguard-http-XXXXXX";
      if (::mkdtemp(pattern.data()) == nullptr) return Status::IOError("cannot create a scratch directory " + pattern);
      scratch_dir_ = pattern;
    }
    WG_RETURN_IF_ERROR(StateStore::OpenReadOnly(config_.state_dir, scratch_dir_, &reader_));
  }
  Status s = reader_->CatchUp();
  if (!s.ok()) {
    reader_.reset();  // reopened by the next request
    return s;
  }
  std::unique_ptr<StateBatch> view = reader_->NewBatch();  // read, never committed
  return read(view.get());
}

DiskSizes RunHttp::Sizes() {
  std::lock_guard lock(sizes_mu_);
  const Micros now = WallClockNow();
  if (sizes_at_ != 0 && now - sizes_at_ < kSizesIntervalMicros) return sizes_;
  sizes_.state_bytes = DirectoryBytes(config_.state_dir, /*database_files_only=*/true);
  sizes_.archive_bytes = DirectoryBytes(ArchiverOptionsFromConfig(config_).dir, /*database_files_only=*/false);
  sizes_at_ = now;
  return sizes_;
}

}  // namespace walguard

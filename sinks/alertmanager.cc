#include "sinks/alertmanager.h"

#include <fmt/ranges.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>

namespace walguard {

namespace {

// Alerts per POST: Alertmanager takes any number, but a bounded body keeps
// one request's time and memory bounded on a large firing set.
constexpr size_t kChunk = 500;
// A firing alert's endsAt is this many resend intervals ahead (Prometheus uses 4).
constexpr int kEndsAfterIntervals = 4;
constexpr Micros kSaveEveryMicros = kMicrosPerSecond;
constexpr Micros kFailureLogEveryMicros = kMicrosPerMinute;
constexpr int64_t kFirstBackoffMs = 500;
// The longest a sender thread sleeps before looking at its clocks again.
constexpr auto kIdleWait = std::chrono::milliseconds(500);

// A client error that sending again will not cure (a malformed alert): the
// batch is dropped rather than blocking every update behind it.
bool IsRefusal(int status) {
  return status >= 400 && status <= 499 && status != 408 && status != 429;
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path);
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return Status::OK();
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return Status::IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError("cannot rename " + tmp + " to " + path);
  return Status::OK();
}

}  // namespace

Status SplitAlertmanagerUrl(const std::string& url, std::string* scheme_host_port, std::string* path_prefix) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("alertmanager url must start with http:// or https://, not \"" + url + "\"");
  }
  const size_t host_begin = scheme_end + 3;
  const size_t path_begin = std::min(url.find('/', host_begin), url.size());
  if (path_begin == host_begin) return Status::InvalidArgument("alertmanager url names no host: \"" + url + "\"");
  *scheme_host_port = url.substr(0, path_begin);
  *path_prefix = url.substr(path_begin);
  while (!path_prefix->empty() && path_prefix->back() == '/') path_prefix->pop_back();
  return Status::OK();
}

struct AlertmanagerSender::Target {
  struct Update {
    uint64_t seq = 0;
    AmAlert alert;
  };
  std::string url;   // as configured, for the log
  std::string path;  // <prefix>/api/v2/alerts
  std::unique_ptr<httplib::Client> client;
  std::deque<Update> pending;  // bounded by options_.max_queued
  uint64_t next_seq = 1;
  Micros resend_due = 0;  // when the whole firing set is next sent; 0: at once
  Micros retry_at = 0;    // backing off until then
  int64_t backoff_ms = 0;
  bool failing = false;
  Micros last_failure_log = 0;
};

AlertmanagerSender::AlertmanagerSender() = default;

AlertmanagerSender::~AlertmanagerSender() {
  Stop();
}

Status AlertmanagerSender::Start(const AlertmanagerOptions& options,
                                 const std::map<std::string, std::string>& firing_now) {
  assert(threads_.empty());
  if (options.urls.empty()) return Status::InvalidArgument("alertmanager: no url");
  if (options.resend_interval_s < 1 || options.timeout_ms < 1 || options.max_queued < 1) {
    return Status::InvalidArgument("alertmanager: resend_interval_s, timeout_ms and max_queued must be >= 1");
  }
  options_ = options;
  for (const std::string& url : options.urls) {
    auto target = std::make_unique<Target>();
    std::string base;
    std::string prefix;
    WG_RETURN_IF_ERROR(SplitAlertmanagerUrl(url, &base, &prefix));
    target->url = url;
    target->path = prefix + "/api/v2/alerts";
    target->client = std::make_unique<httplib::Client>(base);
    const auto timeout = std::chrono::milliseconds(options.timeout_ms);
    target->client->set_connection_timeout(timeout);
    target->client->set_read_timeout(timeout);
    target->client->set_write_timeout(timeout);
    targets_.push_back(std::move(target));
  }
  std::vector<AmAlert> saved;
  std::string text;
  if (!options.save_path.empty() && ReadFile(options.save_path, &text).ok()) {
    Status s = ParseAmAlerts(text, &saved);
    if (!s.ok()) spdlog::warn("alertmanager: ignoring {}: {}", options.save_path, s.ToString());
  }
  size_t restored = 0;
  for (AmAlert& a : saved) {
    auto it = firing_now.find(std::string(a.fingerprint()));
    if (!a.resolved() && it != firing_now.end() && it->second == a.alert_id()) {
      firing_.emplace(std::string(a.fingerprint()), std::move(a));
      ++restored;
      continue;
    }
    // Resolved while the sender did not hear of it: end it now.
    if (!a.resolved()) a.ends_at = std::max(WallClockNow(), a.starts_at);
    for (auto& t : targets_) t->pending.push_back({t->next_seq++, a});
    dirty_ = true;
  }
  spdlog::info("alertmanager: sending alerts to {} Alertmanager(s) ({}), firing ones re-sent every {} s{}",
               targets_.size(), fmt::join(options.urls, ", "), options.resend_interval_s,
               restored > 0 ? fmt::format("; {} firing alert(s) restored", restored) : "");
  for (size_t i = 0; i < targets_.size(); ++i) {
    threads_.emplace_back([this, i] { TargetLoop(targets_[i].get(), /*saves=*/i == 0); });
  }
  return Status::OK();
}

void AlertmanagerSender::Push(AmAlert alert) {
  std::lock_guard<std::mutex> lock(mu_);
  if (targets_.empty()) return;
  const std::string fingerprint(alert.fingerprint());
  auto it = firing_.find(fingerprint);
  if (alert.resolved()) {
    if (it != firing_.end()) {
      // The same label set as the firing, so Alertmanager ends that alert.
      alert.labels = it->second.labels;
      alert.starts_at = it->second.starts_at;
      alert.ends_at = std::max(alert.ends_at, alert.starts_at);
      firing_.erase(it);
      dirty_ = true;
    }
  } else {
    if (it != firing_.end() && it->second.alert_id() == alert.alert_id()) {
      alert.starts_at = std::min(alert.starts_at, it->second.starts_at);  // a redelivery
    }
    firing_.insert_or_assign(fingerprint, alert);
    dirty_ = true;
  }
  for (auto& t : targets_) {
    t->pending.push_back({t->next_seq++, alert});
    if (t->pending.size() > options_.max_queued) {
      t->pending.pop_front();
      ++counters_.dropped;
    }
  }
  cv_.notify_all();
}

void AlertmanagerSender::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (threads_.empty()) return;
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::unique_lock<std::mutex> lock(mu_);
  SaveIfDirty(&lock, /*force=*/true);
}

AlertmanagerCounters AlertmanagerSender::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

size_t AlertmanagerSender::firing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return firing_.size();
}

std::vector<const AmAlert*> AlertmanagerSender::FiringLocked() const {
  std::vector<const AmAlert*> out;
  out.reserve(firing_.size());
  for (const auto& [fingerprint, alert] : firing_) out.push_back(&alert);
  return out;
}

void AlertmanagerSender::TargetLoop(Target* target, bool saves) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (saves) SaveIfDirty(&lock, /*force=*/false);
    const Micros now = WallClockNow();
    const bool due = !target->pending.empty() || now >= target->resend_due;
    if (due && now >= target->retry_at) {
      if (SendDue(target, &lock)) continue;
    }
    cv_.wait_for(lock, kIdleWait);
  }
}

// Sends the oldest queued updates, else (when due) the whole firing set.
// Called and returns with the lock held; the POSTs run without it.
bool AlertmanagerSender::SendDue(Target* target, std::unique_lock<std::mutex>* lock) {
  std::vector<AmAlert> batch;
  uint64_t last_seq = 0;
  const bool resend = target->pending.empty();
  if (resend) {
    for (const auto& [fingerprint, alert] : firing_) batch.push_back(alert);
  } else {
    for (size_t i = 0; i < target->pending.size() && i < kChunk; ++i) batch.push_back(target->pending[i].alert);
    last_seq = target->pending[batch.size() - 1].seq;
  }
  const Micros interval = Micros{options_.resend_interval_s} * kMicrosPerSecond;
  const Micros now = WallClockNow();
  lock->unlock();
  std::string error;
  std::string refusal;
  uint64_t posted = 0;
  uint64_t refused = 0;
  for (size_t begin = 0; begin < batch.size() && error.empty(); begin += kChunk) {
    std::vector<const AmAlert*> chunk;
    for (size_t i = begin; i < batch.size() && i < begin + kChunk; ++i) chunk.push_back(&batch[i]);
    const std::string body = AmAlertsJson(chunk, now + kEndsAfterIntervals * interval);
    httplib::Result res = target->client->Post(target->path.c_str(), body, "application/json");
    if (!res) {
      error = httplib::to_string(res.error());
    } else if (IsRefusal(res->status)) {
      refused += chunk.size();
      refusal = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
    } else if (res->status < 200 || res->status > 299) {
      error = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
    } else {
      posted += chunk.size();
    }
  }
  lock->lock();
  counters_.posted += posted;
  counters_.refused += refused;
  if (refused > 0)
    spdlog::warn("alertmanager {}: refused {} alert(s), not sent again: {}", target->url, refused, refusal);
  if (error.empty()) {
    while (!target->pending.empty() && target->pending.front().seq <= last_seq) target->pending.pop_front();
    if (resend) target->resend_due = now + interval;
    if (target->failing) spdlog::info("alertmanager {}: reachable again", target->url);
    target->failing = false;
    target->backoff_ms = 0;
    target->retry_at = 0;
    return true;
  }
  ++counters_.failed;
  const int64_t cap_ms = int64_t{options_.resend_interval_s} * 1000;
  target->backoff_ms = target->backoff_ms == 0 ? kFirstBackoffMs : std::min(target->backoff_ms * 2, cap_ms);
  target->retry_at = now + target->backoff_ms * 1000;
  if (!target->failing || now - target->last_failure_log >= kFailureLogEveryMicros) {
    spdlog::warn("alertmanager {}: {} ({} update(s) queued, {} dropped so far); retrying in {} ms", target->url, error,
                 target->pending.size(), counters_.dropped, target->backoff_ms);
    target->last_failure_log = now;
  }
  target->failing = true;
  return false;
}

// Writes the firing set to save_path when it changed (at most once per
// kSaveEveryMicros unless forced). The file is written without the lock.
void AlertmanagerSender::SaveIfDirty(std::unique_lock<std::mutex>* lock, bool force) {
  const Micros now = WallClockNow();
  if (options_.save_path.empty() || !dirty_ || (!force && now - last_save_ < kSaveEveryMicros)) return;
  const std::string text = AmAlertsJson(FiringLocked(), 0);
  dirty_ = false;
  last_save_ = now;
  lock->unlock();
  Status s = WriteFileAtomically(options_.save_path, text);
  lock->lock();
  if (!s.ok()) {
    spdlog::warn("alertmanager: cannot save the firing set: {}", s.ToString());
    dirty_ = true;
  }
}

}  // namespace walguard

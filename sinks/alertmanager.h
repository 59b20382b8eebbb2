// AlertmanagerSender: pushes walguard's alerts to every configured
// Alertmanager (v2 API, POST <url>/api/v2/alerts), each on its own thread,
// so a slow or dead Alertmanager never holds up the pipeline nor the others.
//
// Kafka stays the source of truth; this is a best-effort copy that heals:
//  - Push() only queues (a mutex, no I/O). Each Alertmanager has a bounded
//    queue; past `max_queued` the oldest update is dropped and counted.
//  - The sender keeps the firing set (fingerprint -> alert) and re-sends it
//    to every Alertmanager each resend_interval_s, with endsAt = now + 4
//    intervals, as Alertmanager's API expects of a client. So a dropped
//    firing comes back at the next resend, and a dropped resolve ends by
//    itself when its last endsAt passes.
//  - A failed POST is logged (once, then once a minute while it keeps
//    failing) and retried with a doubling backoff, capped at the interval.
//    A 4xx answer (but 408, 429) is a refusal of those alerts: logged and
//    dropped, so one malformed alert cannot hold up the others.
//  - The firing set is saved to `save_path` (rewritten when it changed,
//    at most once a second, and at Stop) and loaded by Start, so a restart
//    goes on re-sending the alerts that were firing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sinks/alertmanager_alert.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct AlertmanagerOptions {
  // Base URLs, e.g. "http://am1:9093" or "https://am.example.com/alertmanager".
  std::vector<std::string> urls;
  int resend_interval_s = 60;
  int timeout_ms = 5000;      // connect, read and write, per request
  size_t max_queued = 10000;  // updates waiting per Alertmanager
  std::string save_path;      // the saved firing set; empty: not kept across restarts
};

struct AlertmanagerCounters {
  uint64_t posted = 0;   // alerts accepted by an Alertmanager (each one counts once per Alertmanager)
  uint64_t failed = 0;   // POSTs that failed (connection, timeout, non-2xx)
  uint64_t dropped = 0;  // updates dropped from a full queue
  uint64_t refused = 0;  // alerts an Alertmanager refused with a 4xx (not sent again)
};

// "http://host:port/prefix" -> {"http://host:port", "/prefix"}; InvalidArgument
// unless the scheme is http or https and a host is named.
Status SplitAlertmanagerUrl(const std::string& url, std::string* scheme_host_port, std::string* path_prefix);

class AlertmanagerSender {
 public:
  AlertmanagerSender();
  ~AlertmanagerSender();  // Stop()
  AlertmanagerSender(const AlertmanagerSender&) = delete;
  AlertmanagerSender& operator=(const AlertmanagerSender&) = delete;

  // Loads the saved firing set, keeps the alerts that `firing_now`
  // (fingerprint -> alert_id, the state's firing set) still has, queues a
  // resolve for the others (their resolve was lost, e.g. in a crash), and
  // starts one thread per URL. InvalidArgument for a bad URL or option.
  Status Start(const AlertmanagerOptions& options, const std::map<std::string, std::string>& firing_now);
  // Queues a firing or resolved alert for every Alertmanager. A resolve
  // takes the labels and startsAt of the firing it ends, when known.
  void Push(AmAlert alert);
  // Stops the threads (an in-flight POST ends within timeout_ms) and saves
  // the firing set. What is still queued is not sent: the firing set is
  // re-sent after the next start.
  void Stop();

  AlertmanagerCounters counters() const;
  size_t firing() const;

 private:
  struct Target;
  void TargetLoop(Target* target, bool saves);
  bool SendDue(Target* target, std::unique_lock<std::mutex>* lock);
  void SaveIfDirty(std::unique_lock<std::mutex>* lock, bool force);
  std::vector<const AmAlert*> FiringLocked() const;

  AlertmanagerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::map<std::string, AmAlert, std::less<>> firing_;  // by fingerprint
  bool dirty_ = false;                                  // firing_ changed since the last save
  Micros last_save_ = 0;
  AlertmanagerCounters counters_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::vector<std::thread> threads_;
};

}  // namespace walguard

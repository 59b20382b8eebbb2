#include "app/alert_push.h"

#include <spdlog/spdlog.h>

#include <map>
#include <vector>

#include "core/key_layout.h"

namespace walguard {

namespace {

// fingerprint -> alert_id of every alert the state holds as firing: the
// firing set, and the handover a --resnapshot continues.
Status ReadFiringNow(StateStore* store, std::map<std::string, std::string>* out) {
  std::unique_ptr<StateBatch> batch = store->NewBatch();
  const std::string prefix(1, keys::kFiring);
  WG_RETURN_IF_ERROR(ScanPrefix(batch.get(), prefix, [out](std::string_view key, std::string_view value) {
    (*out)[std::string(key.substr(1))] = std::string(value);
    return true;
  }));
  std::vector<FiringAlert> handover;
  WG_RETURN_IF_ERROR(store->ReadHandover(&handover));
  for (const FiringAlert& f : handover) out->emplace(f.fingerprint, f.alert_id);
  return Status::OK();
}

}  // namespace

std::string AlertmanagerSavePath(const Config& config) {
  return config.state_dir + "/alertmanager-firing.json";
}

Status AlertPush::Open(const Config& config, StateStore* store) {
  const AlertmanagerConfig& am = config.alertmanager;
  if (am.urls.empty()) return Status::OK();
  std::map<std::string, std::string> firing_now;
  WG_RETURN_IF_ERROR(ReadFiringNow(store, &firing_now));
  AlertmanagerOptions options;
  options.urls = am.urls;
  options.resend_interval_s = am.resend_interval_s;
  options.timeout_ms = am.timeout_ms;
  options.max_queued = static_cast<size_t>(am.max_queued);
  options.save_path = AlertmanagerSavePath(config);
  generator_url_ = am.generator_url;
  sender_ = std::make_unique<AlertmanagerSender>();
  return sender_->Start(options, firing_now);
}

void AlertPush::Observe(const OutboxEntry& entry) {
  if (sender_ == nullptr || entry.topic != Topic::kAlerts) return;
  AmAlert alert;
  Status s = AmAlertFromMessage(entry.payload, generator_url_, &alert);
  if (!s.ok()) {
    if (unreadable_++ == 0) spdlog::warn("alertmanager: not sent (logged once): {}", s.ToString());
    return;
  }
  sender_->Push(std::move(alert));
}

}  // namespace walguard

// AlertPush: the outlet's alert messages, copied to Alertmanager when
// `[alertmanager] urls` (or `run --alertmanager`) names any
// (sinks/alertmanager.h does the sending, on its own threads).
//
// An alert is copied when it is committed to the outbox, the moment it is
// certain to reach Kafka too; the outbox's re-sends on start are copied
// again (harmless: the same alert, the same labels). On open, the sender's
// saved firing set is checked against the state's firing set (and the
// handover of a --resnapshot), so an alert resolved while nobody was
// listening is resolved in Alertmanager too.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "sinks/alertmanager.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

// Where the sender keeps its firing set: <state_dir>/alertmanager-firing.json.
std::string AlertmanagerSavePath(const Config& config);

class AlertPush {
 public:
  // Does nothing when no Alertmanager is configured.
  Status Open(const Config& config, StateStore* store);
  // Alert entries go to Alertmanager; others are ignored.
  void Observe(const OutboxEntry& entry);
  bool enabled() const { return sender_ != nullptr; }

 private:
  std::unique_ptr<AlertmanagerSender> sender_;
  std::string generator_url_;
  uint64_t unreadable_ = 0;  // alert payloads that are not alert messages (logged once)
};

}  // namespace walguard

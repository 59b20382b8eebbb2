// replication_lag: walguard's own health as an alert.
//
// Not a contract rule over the monitored rows but an operational one, the
// kind Alertmanager users expect from any consumer: the source server keeps
// WAL for the slot while walguard is behind (disk fills, and with
// max_slot_wal_keep_size the slot is eventually invalidated), and every
// deadline rule is late by the same amount. Fires while either bound of
// Thresholds is exceeded, resolves when both are met again; it goes through
// the same firing set and outbox as every other alert.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/kv.h"
#include "core/output.h"
#include "processors/alerts.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

extern const AlertType& kReplicationLag;  // its row: rule_registry.cc

// One observation of the slot from the server's side.
struct LagSample {
  std::string slot;
  uint64_t lag_bytes = 0;  // server WAL position - slot's confirmed_flush_lsn
  Micros server_now = 0;   // the server's clock when measured
  Micros wal_clock = 0;    // walguard's WAL clock at the same moment
  Lsn current_wal_lsn = 0;
  Lsn confirmed_flush = 0;
  std::string wal_status;

  Micros LagTime() const { return server_now > wal_clock ? server_now - wal_clock : 0; }
};

// True when `sample` exceeds a bound of `t` (a bound of 0 is off).
bool LagExceeded(const LagSample& sample, const Thresholds& t);

// Stages a firing or resolved replication_lag message when the state changes.
// `lsn` is walguard's durable position, which with the WAL clock makes the id.
Status ReconcileReplicationLag(const LagSample& sample, const Thresholds& t, Lsn lsn, KvTxn* kv, Micros detected_at,
                               std::vector<OutMessage>* out);

}  // namespace walguard

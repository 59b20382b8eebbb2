// state_disk_low: walguard's own disk as an alert, before it is full.
//
// Like replication_lag, an operational rule rather than a contract rule: a
// full disk under the state directory stops walguard (it waits for space,
// app/disk_wait.h), so the alert fires while there is still room, when the
// filesystem's free bytes drop below the threshold, and resolves only once
// they are back above it by a margin (hysteresis: a disk hovering at the
// threshold does not flap). The entity id is the state directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/kv.h"
#include "core/output.h"
#include "processors/alerts.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

extern const AlertType& kStateDiskLow;  // its row: rule_registry.cc

// One look at the state directory's filesystem.
struct DiskSample {
  std::string state_dir;
  std::string mount_point;
  uint64_t free_bytes = 0;
  uint64_t total_bytes = 0;
  uint64_t threshold_bytes = 0;  // fires below this
  Micros local_now = 0;          // when measured (local clock)
  Micros wal_clock = 0;          // walguard's WAL clock at the same moment
};

// The free bytes above which a firing state_disk_low resolves: the threshold
// plus a quarter.
uint64_t DiskLowResolveBytes(uint64_t threshold_bytes);

// Stages a firing or resolved state_disk_low message when the state changes.
// `lsn` is walguard's applied position, which with the local time makes the id.
Status ReconcileStateDiskLow(const DiskSample& sample, Lsn lsn, KvTxn* kv, Micros detected_at,
                             std::vector<OutMessage>* out);

}  // namespace walguard

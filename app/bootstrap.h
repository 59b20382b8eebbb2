// Bootstrap: the start of a state from scratch (first run, or --resnapshot).
// Wipes the local state (keeping the alerts it had firing as a handover),
// (re)creates the slot, applies a consistent snapshot of the monitored tables
// and commits it with the checkpoint at the slot's consistent point.
#pragma once

#include <functional>

#include "app/archiver.h"
#include "app/backoff.h"
#include "app/outlet.h"
#include "config/config.h"
#include "ingest/replication_client.h"
#include "processors/engine.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

struct BootstrapParts {
  const Config& config;
  ReplicationClient* repl;
  StateStore* store;
  Engine* engine;
  Archiver* archiver;  // records the snapshot (begin, rows, end) in the batches that apply it
  Outlet* outlet;
  Checkpoint* checkpoint;  // its identity is kept; lsn, slot and snapshot_done are set
};

// One attempt. Entries committed to the outbox (also by snapshot chunks
// before a failure) are appended to *appended; published on success.
Status Bootstrap(const BootstrapParts& parts, std::vector<OutboxEntry>* appended);

// A bootstrap cut short by a lost connection starts over from scratch (a new
// slot and snapshot) after `reconnect` succeeds: nothing of a partial one is
// kept but the handover.
Status BootstrapWithRetry(const BootstrapParts& parts, Backoff* backoff, const std::function<Status()>& reconnect);

}  // namespace walguard

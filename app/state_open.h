// OpenRunState: how `walguard run` opens its state.
//
//   - A start on a full disk waits (logging how much room is needed and
//     where) instead of opening: RocksDB writes at open (the recovered log
//     becomes a table file, a new MANIFEST and log are started).
//   - A damaged state is refused with Fatal (exit 2), naming the damage and
//     `walguard run --resnapshot`; another walguard's is IOError (exit 1).
//   - With --resnapshot the state is first looked at read-only: a damaged
//     database is moved aside into <state-dir>/damaged-<UTC time>/ (nothing
//     deleted) and a fresh one created, which takes over the firing set from
//     the handover file (state/handover_file.h), or from the moved database
//     read-only when the file is gone, so the bootstrap continues or
//     resolves those alerts under their ids. A whole state is rebuilt in
//     place, as before, keeping its outbox.
#pragma once

#include <atomic>
#include <memory>

#include "config/config.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

struct RunStateOptions {
  bool resnapshot = false;
  bool verify = false;  // `walguard run --verify`: the checksums are read whatever verify_on_open says
};

Status OpenRunState(const Config& config, const RunStateOptions& options, const std::atomic<bool>* stop,
                    std::unique_ptr<StateStore>* out);

}  // namespace walguard

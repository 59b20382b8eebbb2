// RunHttp: `walguard run --http ADDR:PORT` (config http_address).
//
//   /metrics      Prometheus text format (app/run_metrics.h)
//   /healthz      200 "ok" while the process runs, also while Postgres is down
//   /readyz       200 when the snapshot is done, the stream is up and the lag is
//                 under http_ready_max_lag_s; else 503 with the reason
//   /             the status page (app/status_page.h), which polls
//   /api/status   the page's data: the loop's figures, the status model
//                 (app/status_model.h) and the firing alerts' ages
//                 (query: event_offset, event_limit, alert_offset, alert_limit)
//
// The state is read through a RocksDB secondary instance of the state
// directory (StateStore::OpenReadOnly, as `walguard state` does), caught up
// per request: the HTTP threads share nothing with the pipeline's store, and
// a disk-full reopen of the primary cannot pull a view out from under them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "app/http_server.h"
#include "app/run_board.h"
#include "app/run_metrics.h"
#include "config/config.h"
#include "core/kv.h"
#include "state/state_store.h"
#include "util/status.h"

namespace walguard {

class RunHttp {
 public:
  RunHttp(const Config& config, const RunBoard* board);
  ~RunHttp();

  // Binds config.http_address and serves; IOError when it cannot bind.
  Status Start();

 private:
  HttpResponse Metrics();
  HttpResponse Ready();
  HttpResponse ApiStatus(const HttpParams& params);
  // Runs `read` over a caught-up read-only view of the state.
  Status ReadState(const std::function<Status(KvTxn*)>& read);
  DiskSizes Sizes();

  const Config& config_;
  const RunBoard* board_;
  HttpServer server_;
  std::mutex state_mu_;  // the secondary instance: one reader at a time
  std::unique_ptr<StateStore> reader_;
  std::string scratch_dir_;
  std::mutex sizes_mu_;
  DiskSizes sizes_;
  Micros sizes_at_ = 0;
};

}  // namespace walguard

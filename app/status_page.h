// The status pages, self-contained HTML (inline CSS and JS, no external
// asset): `walguard run`'s `/`, which polls /api/status every two seconds
// and redraws in place, and the worker's `/`, which polls /api/worker.
#pragma once

namespace walguard {

const char* RunStatusPageHtml();
const char* WorkerStatusPageHtml();

}  // namespace walguard

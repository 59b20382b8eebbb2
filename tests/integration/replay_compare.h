// Replay equals live: what `walguard replay` derives from the archive against
// what the live walguard published, per message key, field for field except
// detected_at and issued_at (docs/reference.md section 6).
#pragma once

#include <string>
#include <vector>

#include "tests/integration/walguard_harness.h"

namespace walguard::testing {

// Empty when equal; otherwise a report of the first differences per key.
// Alerts and commands only; a redelivery (the same id and state again on one
// key, as after a crash) counts once.
std::string CompareReplayWithLive(const std::vector<Published>& live, const std::vector<Published>& replay,
                                  size_t* compared);

}  // namespace walguard::testing

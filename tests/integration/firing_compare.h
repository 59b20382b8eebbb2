// Comparing the alerts walguard reports as firing with what the SQL oracle
// says should be firing, shared by the differential and the crash tests.
//
// The oracle evaluates at the database's now(); walguard at its WAL clock.
// The two may disagree on a condition that changes within kBoundarySeconds
// of now (the workload keeps its timestamps far away from every deadline),
// so such fingerprints are reported apart and tolerated.
#pragma once

#include <map>
#include <set>
#include <string>

#include "tests/integration/sql_oracle.h"
#include "tests/integration/walguard_harness.h"
#include "util/status.h"

namespace walguard::testing {

constexpr int kBoundarySeconds = 15;

// Fingerprints of `db` whose expected state changes within kBoundarySeconds
// of now, either way.
Status NearDeadline(const std::string& db, const OracleOptions& options, std::set<std::string>* near);

// "  rule <type>, entity <kind:id>\n    <label_a>: ...\n    <label_b>: ...\n"
// for one fingerprint; a null side reads "not firing".
std::string DescribeFiring(const std::string& fingerprint, const std::string& label_a, const Published* a,
                           const std::string& label_b, const std::string* b_figures);

struct OracleComparison {
  size_t expected = 0;    // fingerprints the oracle says are firing
  std::string report;     // differences outside the boundary (empty: agree)
  std::string tolerated;  // differences within kBoundarySeconds of a deadline
};

// Compares `actual` (a WalguardHarness::FiringSet()) with ExpectedFiring
// over `db`. Fails only when the oracle itself cannot run.
Status CompareWithOracle(const std::string& db, const OracleOptions& options,
                         const std::map<std::string, Published>& actual, OracleComparison* out);

}  // namespace walguard::testing

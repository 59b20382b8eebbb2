// SqlOracle: what should be firing, computed by plain SQL over the current
// state of a database, independently of walguard. The queries are the
// runbooks' own checks (000: event_health's counters, the snapshot's health
// status, the orphaned-payment and revenue queries; 002:
// find_ledger_imbalances, overbooking_check, the double-charge, stuck
// payment and webhook queries) rewritten for the contract schema, with the
// exact semantics of docs/reference.md section 3 and walguard's default thresholds.
//
// All queries run in one REPEATABLE READ transaction, so they see one
// snapshot and one now().
#pragma once

#include <map>
#include <string>

#include "tests/support/pg_cluster.h"
#include "util/status.h"

namespace walguard::testing {

struct OracleOptions {
  bool ticketing = true;  // the ten rules of runbook 000
  bool reserve = true;    // the nine rules of runbook 002
  // The three pg_cron rules, where the database has a cron.job table (the
  // extension's, or plain tables of the same shape).
  bool cron = true;
  // Evaluate as if now() were this many seconds later (negative: earlier).
  // Comparing the sets at -N and +N tells which conditions sit within N
  // seconds of a deadline, where two clocks may legitimately disagree.
  int now_offset_seconds = 0;
  // walguard's business_timezone: "today" for the calendar rules is the
  // date of the evaluated instant there.
  std::string business_timezone = "UTC";
};

// Fingerprints `<type>:<entity kind>:<entity id>` that should be firing now,
// each with the figures that make it fire ("reserved_quantity=12 ..."). The
// four rules with a lookback (CONTRACT 3.1) end theirs with "historical=t" or
// "historical=f": what a firing caused by the current rows would say.
Status ExpectedFiring(const PgCluster& cluster, const std::string& db,
                      std::map<std::string, std::string>* fingerprint_to_figures);
Status ExpectedFiring(const PgCluster& cluster, const std::string& db, const OracleOptions& options,
                      std::map<std::string, std::string>* fingerprint_to_figures);

}  // namespace walguard::testing

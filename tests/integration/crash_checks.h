// What the crash test requires of the messages one walguard published
// across SIGKILLs and restarts, and of two walguards that read the same WAL.
// Pure functions over consumed messages; each returns a report of every
// violation (empty when there is none).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/walguard_harness.h"
#include "util/lsn.h"

namespace walguard::testing {

struct StreamSummary {
  uint64_t firings = 0;      // distinct firing messages
  uint64_t resolutions = 0;  // distinct resolved messages
  uint64_t commands = 0;     // distinct commands
  uint64_t duplicates = 0;   // alert or command messages identical to an earlier one: redeliveries
  uint64_t dead_letters = 0;
};

// Walks each fingerprint's alerts in topic order (one key keeps one
// partition). A message repeated byte for byte is a redelivery (the outbox
// re-sends after a crash); a redelivery must re-send in order, without
// gaps, up to the fingerprint's latest message before anything new is
// published, so that consumers end where they were. Among first publications, a firing while
// another alert_id is open, a resolved that does not close the open firing,
// and an alert_id reused by a new firing or by another fingerprint are
// violations. Every command must be caused_by a published firing of its own
// key and carry the command_id derived from that alert_id, and every firing
// of a rule with a command (docs/reference.md section 3) must have its command.
std::string CheckPublished(const std::vector<Published>& all, StreamSummary* summary);

// Every message keyed `fingerprint`, one line each, for failure reports.
std::string History(const std::vector<Published>& all, const std::string& fingerprint);

struct IdComparison {
  size_t same_step = 0;   // firing in both, fired by the same step (lsn, commit_time)
  size_t equal_ids = 0;   // ... with the same alert_id
  size_t other_step = 0;  // firing in both, fired by different steps (e.g. a snapshot)
  std::string different;  // same step, different alert_id
};

// Compares the alert_ids of the fingerprints firing on both sides.
IdComparison CompareAlertIds(const std::map<std::string, Published>& a, const std::map<std::string, Published>& b);

// Alert transitions (fingerprint, state, lsn) after `after` that only one
// side published; labels name the sides in the report.
std::string CompareTransitions(const std::vector<Published>& a, const std::string& label_a,
                               const std::vector<Published>& b, const std::string& label_b, Lsn after,
                               size_t* compared);

}  // namespace walguard::testing

// Own checks in the archive: walguard's alerts about its own health
// (replication_lag, state_disk_low) are not
// derived from the WAL but from observations the live run makes on the side.
// So that a replay equals the live run for them too, each observation is
// archived as a kOwnCheck record (core/archive_record.h): the check's alert
// type, the position and WAL clock it was made at, and a body only the check
// reads. A replay evaluates the body again with its own thresholds, through
// the same firing set: the same messages as live under the same thresholds,
// and a what-if run answers for these alerts as well.
//
// Adding a check: an Encode...Observation below, and its case in
// ApplyOwnCheck.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/kv.h"
#include "core/output.h"
#include "processors/replication_lag.h"
#include "processors/state_disk_low.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// The body of a replication_lag observation (kReplicationLag.type).
std::string EncodeLagObservation(const LagSample& sample);
Status DecodeLagObservation(std::string_view body, LagSample* sample);

// The body of a state_disk_low observation (kStateDiskLow.type). The sample
// carries its own threshold ([state] disk_low_bytes is not a rule threshold),
// so a what-if run replays these as they were.
std::string EncodeDiskObservation(const DiskSample& sample);
Status DecodeDiskObservation(std::string_view body, DiskSample* sample);

// Evaluates an archived observation of `check` made at (lsn, clock) with
// `t`, staging what it emits into *out: exactly what the live run did with
// the observation. A check this build does not know (a later walguard's) is
// skipped. Corruption for a body that does not decode.
Status ApplyOwnCheck(std::string_view check, std::string_view body, const Thresholds& t, Lsn lsn, KvTxn* kv,
                     Micros detected_at, std::vector<OutMessage>* out);

}  // namespace walguard

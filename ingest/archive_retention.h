// Retention: the archive's limits by age and by total size
// (docs/reference.md, "The archive"), applied after every seal.
//
// Replay must always be able to start somewhere, so retention cuts only at a
// start point: it deletes the whole prefix of the archive before a state
// checkpoint (ingest/archive_checkpoint.h), its segments and the older
// checkpoints with it, and never the newest checkpoint, anything after it,
// or the newest segment. Without a checkpoint it deletes nothing (the
// history then starts at the first snapshot, itself a start point).
//
// Age is a promise of history kept: the cut is the newest checkpoint that
// deletes only segments older than max_age. Size is a bound on the disk:
// the cut is the oldest checkpoint past everything max_bytes wants gone.
// When the limits want gone a segment after the newest checkpoint, the
// outcome asks for a new checkpoint (the archiver writes one at its next
// seal boundary), so the next pass can cut further.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ingest/archive.h"
#include "ingest/archive_checkpoint.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct RetentionLimits {
  Micros max_age = Micros{7} * 24 * 3600 * kMicrosPerSecond;  // by last_time against `now`; 0: no limit
  uint64_t max_bytes = uint64_t{10} << 30;                    // segments and checkpoints; 0: no limit
};

struct RetentionOutcome {
  std::vector<SegmentInfo> deleted;  // oldest first
  std::vector<StateCheckpointInfo> deleted_checkpoints;
  bool wants_checkpoint = false;  // a newer start point would let the limits be met
};

// Applies `limits` to the archive in `dir` as the header says. A segment
// without a time (only snapshot rows) is as old as the latest time before
// it. Appends to *outcome.
Status ApplyRetention(const std::string& dir, const RetentionLimits& limits, Micros now, RetentionOutcome* outcome);

}  // namespace walguard

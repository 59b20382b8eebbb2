// State checkpoints: the archive's own start points, so that a replay can
// begin after retention deleted the snapshot the history started with
// (docs/reference.md, "The archive").
//
// A checkpoint file is the engine's state (the processor keys of
// core/key_layout.h; not the outbox, the archive buffer or the state's own
// keys) as it stood at a seal boundary: after the archive record with seq
// next_seq - 1, and before the one with next_seq. So a replay loads it, then
// applies the segments from next_seq on, and reaches the live state.
//
// Like a segment, a checkpoint is written once, whole, never rewritten
// (ingest/durable_file.h), compressed (zstd, content checksum) and
// checksummed (XXH64 trailer), and named by what it holds, fixed-width
// lower-case hex so that names sort by seq:
//   <next_seq>_<lsn>_<time>.wgckpt
// (lsn: the state's applied position; time: its WAL clock, sign bit flipped
// so that it sorts). Its header also carries the thresholds the live run
// applied (app/recorded_thresholds.h), which timers of the state may have
// baked into their deadlines.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/archive_record.h"
#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

// What one checkpoint holds, as its file name says.
struct StateCheckpointInfo {
  std::string path;
  uint64_t next_seq = 0;  // the state holds the effects of the records before this seq
  Lsn lsn = 0;
  Micros time = 0;
  uint64_t file_bytes = 0;
};

std::string StateCheckpointFileName(const StateCheckpointInfo& checkpoint);
// False for a bare file name that is not a checkpoint's.
bool ParseStateCheckpointFileName(std::string_view name, StateCheckpointInfo* checkpoint);

// Hands each state entry, in key order, to the writer.
using StateEntrySink = std::function<Status(std::string_view key, std::string_view value)>;
using StateEntrySource = std::function<Status(const StateEntrySink& add)>;

// Writes the checkpoint `info` describes (path and file_bytes are filled
// in) into `dir`, durably, with the entries `source` hands out. IOError
// when that name exists already: a checkpoint is never rewritten.
Status WriteStateCheckpoint(const std::string& dir, std::string_view thresholds, const StateEntrySource& source,
                            StateCheckpointInfo* info);

// The checkpoints in `dir`, by next_seq, from their names alone; other files
// are ignored, an absent directory has none.
Status ListStateCheckpoints(const std::string& dir, std::vector<StateCheckpointInfo>* checkpoints);

// Reads and verifies one checkpoint whole (checksum, header against name)
// into a kStateCheckpoint record. Corruption naming the file and its LSN when
// it is damaged: nothing of it is handed out then.
Status ReadStateCheckpoint(const StateCheckpointInfo& checkpoint, ArchiveRecord* record);

}  // namespace walguard

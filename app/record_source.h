// Record sources: where `walguard replay` and `walguard inspect` read the
// processing steps they apply (core/archive_record.h), in order.
//
// A source is a function that reads its records and hands each one to a
// visitor; the visitor may ask to stop (--until-lsn). Problems that leave the
// rest usable (a damaged segment, a gap cut by retention, an undecodable
// line) are written to `notes` (stderr) and counted; reading goes on.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/archive_record.h"
#include "util/lsn.h"
#include "util/status.h"

namespace walguard {

// What a source met on the way, beyond the records it handed out.
struct SourceReport {
  uint64_t records = 0;              // handed to the visitor
  uint64_t damaged_segments = 0;     // archive: reported and skipped
  uint64_t undecodable_lines = 0;    // --input: reported and skipped
  bool history_cut = false;          // the state before the first record is unknown
  uint64_t damaged_checkpoints = 0;  // archive: reported, the next start point used
  Lsn checkpoint_lsn = 0;            // archive: started from the state checkpoint at this LSN
};

// Returns an error to abort the read; sets *stop to end it cleanly before
// `record` (which then does not count as read).
using RecordVisitor = std::function<Status(const ArchiveRecord& record, bool* stop)>;

// Reads every record to `visit`. An error of the visitor comes back as is;
// an error of the source itself is InvalidArgument (it cannot be read at
// all: no such file) or Corruption (nothing usable in it).
using RecordSource = std::function<Status(const RecordVisitor& visit, SourceReport* report)>;

// The segments of an archive directory (ingest/archive.h), from the first
// retained start point: replay rebuilds state from the archive's start, so
// nothing is skipped but damaged segments. When retention cut the history
// (the first segment is not seq 1, nor does it start with a snapshot), the
// first readable state checkpoint (ingest/archive_checkpoint.h) from there
// on comes first, as a kStateCheckpoint record, then the segments after it;
// a note on `notes` says so. With no usable checkpoint, the note says that
// the state before the first record is unknown.
RecordSource ArchiveSource(std::string dir, std::FILE* notes);

// wal2json format-version 2 lines as pg_recvlogical writes them with
// walguard's plugin options (README, "Forensics"); "-" reads stdin. Each
// committed transaction becomes a kTransaction record; there is no snapshot,
// so the state starts empty.
RecordSource InputSource(std::string path, std::FILE* notes);

// Records held in memory (tests).
RecordSource MemorySource(std::vector<ArchiveRecord> records);

// `source`, ending cleanly before the next record once *stop is true
// (SIGINT/SIGTERM), with a note saying where.
RecordSource Interruptible(RecordSource source, const std::atomic<bool>* stop, std::FILE* notes);

}  // namespace walguard

// The archive on disk: walguard's own record of every processing step it
// applied (core/archive_record.h), so that an engineer can replay and
// inspect after an incident (docs/reference.md section 6) although a logical
// slot cannot be rewound.
//
// Layout: one directory (`<state-dir>/archive/` by default) of segment files,
// each a run of consecutive records:
//   - written once, whole, and never rewritten (temp file, fsync, rename,
//     fsync of the directory): a segment either exists complete or not at all;
//   - compressed (zstd) and checksummed: a damaged segment is reported with
//     its range and skipped, never silently read;
//   - named by what it holds, so the directory listing is the index that
//     replay and inspect seek with: the archive sequence numbers of its first
//     and last record, its first and last WAL position, its first and last
//     WAL clock time.
// Sequence numbers are assigned by the live pipeline, consecutive from 1 for
// the life of the state directory; a gap between two segments means
// retention (or damage) cut the history there. State checkpoints
// (ingest/archive_checkpoint.h) live in the same directory and are the
// points where retention may cut (ingest/archive_retention.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/lsn.h"
#include "util/status.h"
#include "util/time.h"

struct ZSTD_CCtx_s;

namespace walguard {

// What one segment holds, as its file name says.
struct SegmentInfo {
  std::string path;  // the file
  uint64_t first_seq = 0, last_seq = 0;
  Lsn first_lsn = 0, last_lsn = 0;  // smallest and largest non-zero record position
  Micros first_time = 0, last_time = 0;
  uint64_t file_bytes = 0;
};

// One record to write: its sequence number, position and time (for the
// segment's name) and its encoding (core/archive_record.h).
struct SegmentRecord {
  uint64_t seq = 0;
  Lsn lsn = 0;  // 0 for records without a position (snapshot rows)
  Micros time = 0;
  std::string_view bytes;
};

// The file name that says what `segment` holds, fixed-width lower-case hex
// so that names sort by sequence number:
//   <first_seq>-<last_seq>_<first_lsn>-<last_lsn>_<first_time>-<last_time>.wgseg
// Times are signed: stored with the sign bit flipped, so they sort too.
std::string SegmentFileName(const SegmentInfo& segment);

// The inverse, for a bare file name (no directory): fills every field but
// path and file_bytes. False for a name that is not a segment's.
bool ParseSegmentFileName(std::string_view name, SegmentInfo* segment);

// Writes one segment from records handed over one at a time, compressing as
// they come: a seal streams them out of the state's buffer and holds only
// the compressed frame, never the records together. The frame's header
// states its content size, so the caller says it first: the sum of
// SegmentContentBytes over the records.
class SegmentWriter {
 public:
  explicit SegmentWriter(uint64_t content_bytes);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // The next record; its seq follows the previous one's. An error sticks.
  Status Add(const SegmentRecord& record);
  // Writes the segment (at least one record) as WriteSegment does.
  Status Finish(const std::string& dir, SegmentInfo* info);

 private:
  static constexpr size_t kChunkBytes = size_t{128} << 10;  // handed to zstd at a time
  Status Compress(bool end);

  ZSTD_CCtx_s* cctx_;
  const uint64_t content_bytes_;
  uint64_t consumed_ = 0;  // content handed to zstd
  uint64_t count_ = 0;
  SegmentInfo info_;
  bool have_time_ = false;
  std::string pending_;  // length-prefixed records not yet handed to zstd
  std::string file_;     // the header's room, then the frame as it grows
  Status status_;
};

// What a record of `record_bytes` adds to a segment's content.
uint64_t SegmentContentBytes(size_t record_bytes);

// Writes `records` (consecutive seqs, at least one) as one new segment in
// `dir` (created 0700 if missing), durably. *info describes it. The segment's
// LSN range spans its non-zero positions and its time range its non-zero
// times (0 and 0 when it has none). IOError when a segment of that name
// exists already: a segment is never rewritten.
Status WriteSegment(const std::string& dir, const std::vector<SegmentRecord>& records, SegmentInfo* info);

// The segments in `dir`, in sequence order, from their names alone (no file
// is opened). Files that are not segments (a temp file left by a crash) are
// ignored; an absent directory is an empty archive.
Status ListSegments(const std::string& dir, std::vector<SegmentInfo>* segments);

// Reads one segment, verifying its checksum before handing out anything, and
// calls visit(seq, bytes) for each record in order. Corruption, naming the
// file and its seq and LSN range, when the segment is damaged.
Status ReadSegment(const SegmentInfo& segment,
                   const std::function<Status(uint64_t seq, std::string_view bytes)>& visit);

}  // namespace walguard

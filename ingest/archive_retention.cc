#include "ingest/archive_retention.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <system_error>

#include "ingest/durable_file.h"

namespace walguard {

namespace {

// The index of the first segment max_age keeps (at most the newest).
size_t FirstKeptByAge(const std::vector<SegmentInfo>& segments, Micros max_age, Micros now) {
  if (max_age <= 0) return 0;
  Micros age_time = std::numeric_limits<Micros>::min();  // the latest time up to the segment
  size_t i = 0;
  for (; i + 1 < segments.size(); ++i) {
    const SegmentInfo& s = segments[i];
    if (s.first_time != 0 || s.last_time != 0) age_time = std::max(age_time, s.last_time);
    if (age_time >= now - max_age) break;
  }
  return i;
}

// The index of the first segment max_bytes keeps (at most the newest).
size_t FirstKeptBySize(const std::vector<SegmentInfo>& segments, uint64_t total_bytes, uint64_t max_bytes) {
  if (max_bytes == 0) return 0;
  size_t i = 0;
  for (; i + 1 < segments.size() && total_bytes > max_bytes; ++i) total_bytes -= segments[i].file_bytes;
  return i;
}

// The seq before which retention deletes: 0 for nothing.
uint64_t CutSeq(const std::vector<SegmentInfo>& segments, const std::vector<StateCheckpointInfo>& checkpoints,
                size_t age_keep, size_t size_keep) {
  uint64_t cut = 0;
  for (const StateCheckpointInfo& c : checkpoints) {
    if (c.next_seq <= segments[age_keep].first_seq) cut = std::max(cut, c.next_seq);
  }
  if (size_keep > 0 && !checkpoints.empty()) {
    uint64_t size_cut = checkpoints.back().next_seq;
    for (const StateCheckpointInfo& c : checkpoints) {
      if (c.next_seq >= segments[size_keep].first_seq) {
        size_cut = c.next_seq;
        break;
      }
    }
    cut = std::max(cut, size_cut);
  }
  return cut;
}

Status Remove(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);  // absent already: as good as deleted
  if (ec) return Status::IOError("archive: delete " + path + ": " + ec.message());
  return Status::OK();
}

}  // namespace

Status ApplyRetention(const std::string& dir, const RetentionLimits& limits, Micros now, RetentionOutcome* outcome) {
  std::vector<SegmentInfo> segments;
  std::vector<StateCheckpointInfo> checkpoints;
  WG_RETURN_IF_ERROR(ListSegments(dir, &segments));
  WG_RETURN_IF_ERROR(ListStateCheckpoints(dir, &checkpoints));
  if (segments.size() < 2) return Status::OK();
  uint64_t total_bytes = 0;
  for (const SegmentInfo& s : segments) total_bytes += s.file_bytes;
  for (const StateCheckpointInfo& c : checkpoints) total_bytes += c.file_bytes;
  const size_t age_keep = FirstKeptByAge(segments, limits.max_age, now);
  const size_t size_keep = FirstKeptBySize(segments, total_bytes, limits.max_bytes);
  const size_t wanted = std::max(age_keep, size_keep);
  if (wanted == 0) return Status::OK();
  const uint64_t newest_start = checkpoints.empty() ? 0 : checkpoints.back().next_seq;
  outcome->wants_checkpoint = segments[wanted - 1].last_seq >= newest_start;

  const uint64_t cut = CutSeq(segments, checkpoints, age_keep, size_keep);
  bool any_deleted = false;
  for (size_t i = 0; i + 1 < segments.size() && segments[i].last_seq < cut; ++i) {  // never the newest
    WG_RETURN_IF_ERROR(Remove(segments[i].path));
    outcome->deleted.push_back(segments[i]);
    any_deleted = true;
  }
  for (const StateCheckpointInfo& c : checkpoints) {
    if (c.next_seq >= cut) break;
    WG_RETURN_IF_ERROR(Remove(c.path));
    outcome->deleted_checkpoints.push_back(c);
    any_deleted = true;
  }
  if (!any_deleted) return Status::OK();
  return SyncDirectory(dir).WithContext("archive: retention");
}

}  // namespace walguard

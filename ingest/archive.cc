#include "ingest/archive.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>
#include <tuple>
#include <utility>

#include "core/archive_record.h"
#include "ingest/archive_files.h"
#include "ingest/durable_file.h"
#include "ingest/zstd_stream.h"
#include "util/coding.h"

namespace walguard {

namespace {

// The file, in order: a header of fixed-width big-endian fields, one zstd
// frame (content checksum on) of length-prefixed records, and a trailer: the
// XXH64 of everything before it. The magic's CR LF and ^Z catch a file that
// went through a text-mode copy, as PNG's do.
constexpr std::string_view kMagic("WGSEG\r\n\x1a", 8);
constexpr std::string_view kSegmentSuffix = ".wgseg";
constexpr size_t kHeaderBytes = size_t{8} * 10;  // magic, version, count, 6 range fields, frame length
constexpr size_t kTrailerBytes = 8;
constexpr int kZstdLevel = 3;
// Segments are a few MiB: a bound keeps a damaged length from allocating
// the machine away.
constexpr uint64_t kMaxContentBytes = uint64_t{1} << 30;
constexpr uint64_t kMaxFileBytes = ZSTD_COMPRESSBOUND(kMaxContentBytes) + kHeaderBytes + kTrailerBytes;
constexpr size_t kNameBytes = 6 * kHexDigits + 5 + kSegmentSuffix.size();

void PutRange(const SegmentInfo& info, std::string* out) {
  PutFixed64BE(out, info.first_seq);
  PutFixed64BE(out, info.last_seq);
  PutFixed64BE(out, info.first_lsn);
  PutFixed64BE(out, info.last_lsn);
  PutFixed64BE(out, SortableTime(info.first_time));
  PutFixed64BE(out, SortableTime(info.last_time));
}

std::string DescribeRange(const SegmentInfo& s) {
  return "seq " + std::to_string(s.first_seq) + ".." + std::to_string(s.last_seq) + ", LSN " + FormatLsn(s.first_lsn) +
         ".." + FormatLsn(s.last_lsn);
}

bool SameRange(const SegmentInfo& a, const SegmentInfo& b) {
  return a.first_seq == b.first_seq && a.last_seq == b.last_seq && a.first_lsn == b.first_lsn &&
         a.last_lsn == b.last_lsn && a.first_time == b.first_time && a.last_time == b.last_time;
}

// Checks the trailer's checksum and the header against the name; *frame is
// the compressed records, *count their number. Corruption(why) otherwise.
Status VerifyEnvelope(const SegmentInfo& segment, std::string_view file, std::string_view* frame, uint64_t* count) {
  if (file.size() < kHeaderBytes + kTrailerBytes) {
    return Status::Corruption("it is truncated to " + std::to_string(file.size()) + " bytes");
  }
  std::string_view trailer = file.substr(file.size() - kTrailerBytes);
  uint64_t stored = 0;
  if (!GetFixed64BE(&trailer, &stored) || stored != XXH64(file.data(), file.size() - kTrailerBytes, 0)) {
    return Status::Corruption("its checksum does not match (the file is truncated or altered)");
  }
  std::string_view in = file;
  if (in.substr(0, kMagic.size()) != kMagic) return Status::Corruption("it does not start as a segment does");
  in.remove_prefix(kMagic.size());
  uint64_t version = 0, frame_bytes = 0;
  uint64_t range[6] = {};
  bool ok = GetFixed64BE(&in, &version) && GetFixed64BE(&in, count);
  for (uint64_t& field : range) ok = ok && GetFixed64BE(&in, &field);
  ok = ok && GetFixed64BE(&in, &frame_bytes);
  assert(ok);  // the size check above covers the header
  if (version != static_cast<uint64_t>(kArchiveFormatVersion)) {
    return Status::Corruption("it is in archive format " + std::to_string(version) + ", this build reads " +
                              std::to_string(kArchiveFormatVersion));
  }
  SegmentInfo header;
  header.first_seq = range[0], header.last_seq = range[1], header.first_lsn = range[2], header.last_lsn = range[3];
  header.first_time = TimeFromSortable(range[4]), header.last_time = TimeFromSortable(range[5]);
  if (!SameRange(header, segment)) {
    return Status::Corruption("its header holds " + DescribeRange(header) + ", time " +
                              FormatTimestamp(header.first_time) + ".." + FormatTimestamp(header.last_time) +
                              ", not what its name says");
  }
  if (*count != segment.last_seq - segment.first_seq + 1) {
    return Status::Corruption("its header counts " + std::to_string(*count) + " records");
  }
  if (frame_bytes != file.size() - kHeaderBytes - kTrailerBytes) {
    return Status::Corruption("its header gives a frame of " + std::to_string(frame_bytes) + " bytes");
  }
  *frame = file.substr(kHeaderBytes, frame_bytes);
  return Status::OK();
}

// True when `frame` starts as a zstd frame that carries a content checksum
// (RFC 8878 3.1.1: the magic, then the descriptor, whose bit 2 is the flag).
// zstd's stable API verifies a checksum that is present but does not say
// whether one is.
bool HasContentChecksum(std::string_view frame) {
  if (frame.size() < 5) return false;
  uint32_t magic = 0;
  for (int i = 3; i >= 0; --i) magic = (magic << 8) | static_cast<uint8_t>(frame[i]);
  return magic == ZSTD_MAGICNUMBER && (static_cast<uint8_t>(frame[4]) & 0x04) != 0;
}

// Decompresses the one frame, zstd verifying its content checksum.
Status Decompress(std::string_view frame, std::string* content) {
  const unsigned long long content_bytes = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (!HasContentChecksum(frame) || content_bytes == ZSTD_CONTENTSIZE_UNKNOWN ||
      content_bytes == ZSTD_CONTENTSIZE_ERROR || content_bytes > kMaxContentBytes ||
      ZSTD_findFrameCompressedSize(frame.data(), frame.size()) != frame.size()) {
    return Status::Corruption("its zstd frame is malformed");
  }
  content->resize(content_bytes);
  const size_t n = ZSTD_decompress(content->data(), content->size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != content->size()) return Status::Corruption("its zstd frame is shorter than it says");
  return Status::OK();
}

Status SplitRecords(std::string_view content, uint64_t count, std::vector<std::string_view>* records) {
  // Each record takes at least its one-byte length: a bound before reserving.
  if (count > content.size()) return Status::Corruption("it counts more records than it has bytes");
  records->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view bytes;
    if (!GetLengthPrefixed(&content, &bytes)) return Status::Corruption("record " + std::to_string(i) + " is cut");
    records->push_back(bytes);
  }
  if (!content.empty()) return Status::Corruption("bytes follow its last record");
  return Status::OK();
}

}  // namespace

std::string SegmentFileName(const SegmentInfo& s) {
  char name[kNameBytes + 1];
  const int n = std::snprintf(
      name, sizeof(name), "%016" PRIx64 "-%016" PRIx64 "_%016" PRIx64 "-%016" PRIx64 "_%016" PRIx64 "-%016" PRIx64 "%s",
      s.first_seq, s.last_seq, s.first_lsn, s.last_lsn, SortableTime(s.first_time), SortableTime(s.last_time),
      kSegmentSuffix.data());
  assert(n == static_cast<int>(kNameBytes));
  (void)n;
  return name;
}

bool ParseSegmentFileName(std::string_view name, SegmentInfo* segment) {
  if (name.size() != kNameBytes || name.substr(6 * kHexDigits + 5) != kSegmentSuffix) return false;
  uint64_t fields[6] = {};
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * (kHexDigits + 1);
    if (!ParseHex16(name.substr(at, kHexDigits), &fields[i])) return false;
    const char separator = i % 2 == 0 ? '-' : '_';
    if (i < 5 && name[at + kHexDigits] != separator) return false;
  }
  SegmentInfo info;
  info.first_seq = fields[0], info.last_seq = fields[1], info.first_lsn = fields[2], info.last_lsn = fields[3];
  info.first_time = TimeFromSortable(fields[4]), info.last_time = TimeFromSortable(fields[5]);
  if (info.first_seq > info.last_seq || info.first_lsn > info.last_lsn || info.first_time > info.last_time) {
    return false;
  }
  *segment = std::move(info);
  return true;
}

uint64_t SegmentContentBytes(size_t record_bytes) {
  std::string prefix;
  PutVarint64(&prefix, record_bytes);
  return prefix.size() + record_bytes;
}

SegmentWriter::SegmentWriter(uint64_t content_bytes)
    : cctx_(NewChecksummedCompressor(kZstdLevel)), content_bytes_(content_bytes) {
  if (content_bytes > kMaxContentBytes) {
    status_ = Status::InvalidArgument("archive: a segment of " + std::to_string(content_bytes) +
                                      " bytes is over the limit; write smaller segments");
    return;
  }
  if (cctx_ == nullptr) {
    status_ = Status::IOError("archive: zstd: out of memory");
    return;
  }
  // The frame says its content size, which the reader sizes its buffer by.
  const size_t rc = ZSTD_CCtx_setPledgedSrcSize(cctx_, content_bytes);
  if (ZSTD_isError(rc)) {
    status_ = Status::IOError(std::string("archive: zstd: ") + ZSTD_getErrorName(rc));
    return;
  }
  file_.resize(kHeaderBytes);  // filled in by Finish
}

SegmentWriter::~SegmentWriter() {
  FreeCompressor(cctx_);
}

Status SegmentWriter::Add(const SegmentRecord& record) {
  WG_RETURN_IF_ERROR(status_);
  if (count_ > 0 && record.seq != info_.first_seq + count_) {
    status_ =
        Status::InvalidArgument("archive: segment records are not consecutive: seq " + std::to_string(record.seq) +
                                " after " + std::to_string(info_.first_seq + count_ - 1));
    return status_;
  }
  if (count_ == 0) info_.first_seq = record.seq;
  info_.last_seq = record.seq;
  ++count_;
  if (record.lsn != 0) {
    info_.first_lsn = info_.first_lsn == 0 ? record.lsn : std::min(info_.first_lsn, record.lsn);
    info_.last_lsn = std::max(info_.last_lsn, record.lsn);
  }
  if (record.time != 0) {
    info_.first_time = have_time_ ? std::min(info_.first_time, record.time) : record.time;
    info_.last_time = have_time_ ? std::max(info_.last_time, record.time) : record.time;
    have_time_ = true;
  }
  PutLengthPrefixed(&pending_, record.bytes);
  if (pending_.size() >= kChunkBytes) status_ = Compress(/*end=*/false);
  return status_;
}

// Hands the pending bytes to zstd, appending what it outputs to the file.
Status SegmentWriter::Compress(bool end) {
  consumed_ += pending_.size();
  if (consumed_ > content_bytes_) {
    return Status::InvalidArgument("archive: the segment's records make more than the " +
                                   std::to_string(content_bytes_) + " bytes said");
  }
  WG_RETURN_IF_ERROR(CompressOnto(cctx_, pending_, end, &file_, "archive"));
  pending_.clear();
  return Status::OK();
}

Status SegmentWriter::Finish(const std::string& dir, SegmentInfo* info) {
  WG_RETURN_IF_ERROR(status_);
  if (count_ == 0) return Status::InvalidArgument("archive: a segment holds at least one record");
  if (consumed_ + pending_.size() != content_bytes_) {
    return Status::InvalidArgument("archive: the segment's records make " +
                                   std::to_string(consumed_ + pending_.size()) + " bytes, not the " +
                                   std::to_string(content_bytes_) + " said");
  }
  WG_RETURN_IF_ERROR(Compress(/*end=*/true));
  std::string header(kMagic);
  PutFixed64BE(&header, kArchiveFormatVersion);
  PutFixed64BE(&header, count_);
  PutRange(info_, &header);
  PutFixed64BE(&header, file_.size() - kHeaderBytes);  // the frame's length
  assert(header.size() == kHeaderBytes);
  file_.replace(0, kHeaderBytes, header);
  PutFixed64BE(&file_, XXH64(file_.data(), file_.size(), 0));
  const std::string name = SegmentFileName(info_);
  Status status = EnsureDirectory(dir);
  if (status.ok()) status = WriteNewFileDurably(dir, name, file_);
  if (!status.ok()) return status.WithContext("archive: write segment");
  *info = info_;
  info->path = (std::filesystem::path(dir) / name).string();
  info->file_bytes = file_.size();
  return Status::OK();
}

Status WriteSegment(const std::string& dir, const std::vector<SegmentRecord>& records, SegmentInfo* info) {
  uint64_t content_bytes = 0;
  for (const SegmentRecord& r : records) content_bytes += SegmentContentBytes(r.bytes.size());
  SegmentWriter writer(content_bytes);
  for (const SegmentRecord& r : records) WG_RETURN_IF_ERROR(writer.Add(r));
  return writer.Finish(dir, info);
}

Status ListSegments(const std::string& dir, std::vector<SegmentInfo>* segments) {
  WG_RETURN_IF_ERROR(ListArchiveFiles(dir, ParseSegmentFileName, segments));
  std::sort(segments->begin(), segments->end(), [](const SegmentInfo& a, const SegmentInfo& b) {
    return std::tie(a.first_seq, a.last_seq, a.path) < std::tie(b.first_seq, b.last_seq, b.path);
  });
  return Status::OK();
}

Status ReadSegment(const SegmentInfo& segment,
                   const std::function<Status(uint64_t seq, std::string_view bytes)>& visit) {
  std::string file;
  Status status = ReadWholeFile(segment.path, kMaxFileBytes, &file);
  std::string content;
  std::vector<std::string_view> records;
  if (status.ok()) {
    std::string_view frame;
    uint64_t count = 0;
    status = VerifyEnvelope(segment, file, &frame, &count);
    if (status.ok()) status = Decompress(frame, &content);
    if (status.ok()) status = SplitRecords(content, count, &records);
  }
  if (status.code() == Status::Code::kCorruption) {
    return Status::Corruption("archive segment " + segment.path + " (" + DescribeRange(segment) +
                              ") is damaged: " + status.message() + "; it is skipped");
  }
  if (!status.ok()) return status.WithContext("archive: read segment");
  for (size_t i = 0; i < records.size(); ++i) WG_RETURN_IF_ERROR(visit(segment.first_seq + i, records[i]));
  return Status::OK();
}

}  // namespace walguard

#include "ingest/archive_checkpoint.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "ingest/archive_files.h"
#include "ingest/durable_file.h"
#include "ingest/zstd_stream.h"
#include "util/coding.h"

namespace walguard {

namespace {

// The file, in order: a header of fixed-width big-endian fields, the
// thresholds text, one zstd frame (content checksum on) of length-prefixed
// keys and values, and a trailer: the XXH64 of everything before it.
constexpr std::string_view kMagic("WGCKP\r\n\x1a", 8);
constexpr std::string_view kSuffix = ".wgckpt";
constexpr int kFormatVersion = 1;
constexpr size_t kHeaderBytes = size_t{8} * 8;  // magic, version, next_seq, lsn, time, count, text, frame
constexpr size_t kTrailerBytes = 8;
constexpr int kZstdLevel = 3;
// A bound on what a damaged file can make a reader allocate.
constexpr uint64_t kMaxStateBytes = uint64_t{4} << 30;
constexpr uint64_t kMaxFileBytes = ZSTD_COMPRESSBOUND(kMaxStateBytes) + (uint64_t{1} << 20);
// Entries are buffered up to this many bytes before zstd takes them.
constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr size_t kNameBytes = 3 * kHexDigits + 2 + kSuffix.size();

using Compressor = std::unique_ptr<ZSTD_CCtx_s, decltype(&FreeCompressor)>;

// The state's entries as one zstd frame, onto the end of *file; *count: how many.
Status CompressEntries(const StateEntrySource& source, std::string* file, uint64_t* count) {
  constexpr std::string_view kWhat = "state checkpoint";
  Compressor cctx(NewChecksummedCompressor(kZstdLevel), &FreeCompressor);
  if (cctx == nullptr) return Status::IOError("state checkpoint: zstd: out of memory");
  std::string chunk;
  std::string last_key;
  *count = 0;
  WG_RETURN_IF_ERROR(source([&](std::string_view key, std::string_view value) -> Status {
    if (*count > 0 && key <= last_key) return Status::InvalidArgument("state checkpoint: keys out of order");
    last_key.assign(key);
    ++*count;
    PutLengthPrefixed(&chunk, key);
    PutLengthPrefixed(&chunk, value);
    if (chunk.size() < kChunkBytes) return Status::OK();
    WG_RETURN_IF_ERROR(CompressOnto(cctx.get(), chunk, /*end=*/false, file, kWhat));
    chunk.clear();
    return Status::OK();
  }));
  return CompressOnto(cctx.get(), chunk, /*end=*/true, file, kWhat);
}

struct Header {
  uint64_t version = 0, next_seq = 0, lsn = 0, time = 0, count = 0, text_bytes = 0, frame_bytes = 0;
};

Status ParseHeader(std::string_view file, Header* h) {
  if (file.size() < kHeaderBytes + kTrailerBytes) {
    return Status::Corruption("it is truncated to " + std::to_string(file.size()) + " bytes");
  }
  std::string_view trailer = file.substr(file.size() - kTrailerBytes);
  uint64_t stored = 0;
  if (!GetFixed64BE(&trailer, &stored) || stored != XXH64(file.data(), file.size() - kTrailerBytes, 0)) {
    return Status::Corruption("its checksum does not match (the file is truncated or altered)");
  }
  if (file.substr(0, kMagic.size()) != kMagic) return Status::Corruption("it does not start as a checkpoint does");
  std::string_view in = file.substr(kMagic.size());
  bool ok = true;
  for (uint64_t* field : {&h->version, &h->next_seq, &h->lsn, &h->time, &h->count, &h->text_bytes, &h->frame_bytes}) {
    ok = ok && GetFixed64BE(&in, field);
  }
  assert(ok);  // the size check above covers the header
  if (h->version != static_cast<uint64_t>(kFormatVersion)) {
    return Status::Corruption("it is in checkpoint format " + std::to_string(h->version));
  }
  const uint64_t body = file.size() - kHeaderBytes - kTrailerBytes;
  if (h->text_bytes > body || h->frame_bytes != body - h->text_bytes) {
    return Status::Corruption("its header gives parts that do not fill the file");
  }
  return Status::OK();
}

Status Decompress(std::string_view frame, std::string* content) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (dctx == nullptr) return Status::IOError("zstd: out of memory");
  ZSTD_inBuffer input{frame.data(), frame.size(), 0};
  // Every turn consumes input or fills an output buffer; content is bounded.
  const size_t max_turns = frame.size() + kMaxStateBytes / ZSTD_DStreamOutSize() + 2;
  for (size_t turn = 0; turn < max_turns; ++turn) {
    const size_t at = content->size();
    if (at > kMaxStateBytes) return Status::Corruption("its state is larger than a checkpoint may be");
    content->resize(at + ZSTD_DStreamOutSize());
    ZSTD_outBuffer output{content->data() + at, ZSTD_DStreamOutSize(), 0};
    const size_t rc = ZSTD_decompressStream(dctx.get(), &output, &input);
    content->resize(at + output.pos);
    if (ZSTD_isError(rc)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(rc));
    if (rc == 0) {
      if (input.pos != input.size) return Status::Corruption("bytes follow its zstd frame");
      return Status::OK();
    }
    if (input.pos == input.size && output.pos < output.size) return Status::Corruption("its zstd frame is cut");
  }
  return Status::Corruption("its zstd frame does not end");
}

Status ParseEntries(std::string_view content, uint64_t count, ArchiveRecord* record) {
  if (count > content.size() / 2) return Status::Corruption("it counts more entries than it has bytes");
  record->state.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key, value;
    if (!GetLengthPrefixed(&content, &key) || !GetLengthPrefixed(&content, &value)) {
      return Status::Corruption("entry " + std::to_string(i) + " is cut");
    }
    if (i > 0 && key <= record->state[i - 1].first) return Status::Corruption("its keys are out of order");
    record->state[i] = {std::string(key), std::string(value)};
  }
  if (!content.empty()) return Status::Corruption("bytes follow its last entry");
  return Status::OK();
}

Status DecodeFile(const StateCheckpointInfo& checkpoint, std::string_view file, ArchiveRecord* record) {
  Header h;
  WG_RETURN_IF_ERROR(ParseHeader(file, &h));
  if (h.next_seq != checkpoint.next_seq || h.lsn != checkpoint.lsn || TimeFromSortable(h.time) != checkpoint.time) {
    return Status::Corruption("its header holds seq " + std::to_string(h.next_seq) + ", LSN " + FormatLsn(h.lsn) +
                              ", not what its name says");
  }
  std::string_view body = file.substr(kHeaderBytes, h.text_bytes + h.frame_bytes);
  std::string content;
  WG_RETURN_IF_ERROR(Decompress(body.substr(h.text_bytes), &content));
  *record = ArchiveRecord();
  record->kind = ArchiveRecordKind::kStateCheckpoint;
  record->lsn = checkpoint.lsn;
  record->clock = checkpoint.time;
  record->text.assign(body.substr(0, h.text_bytes));
  return ParseEntries(content, h.count, record);
}

}  // namespace

std::string StateCheckpointFileName(const StateCheckpointInfo& c) {
  char name[kNameBytes + 1];
  const int n = std::snprintf(name, sizeof(name), "%016" PRIx64 "_%016" PRIx64 "_%016" PRIx64 "%s", c.next_seq, c.lsn,
                              SortableTime(c.time), kSuffix.data());
  assert(n == static_cast<int>(kNameBytes));
  (void)n;
  return name;
}

bool ParseStateCheckpointFileName(std::string_view name, StateCheckpointInfo* checkpoint) {
  if (name.size() != kNameBytes || name.substr(3 * kHexDigits + 2) != kSuffix) return false;
  uint64_t fields[3] = {};
  for (size_t i = 0; i < 3; ++i) {
    const size_t at = i * (kHexDigits + 1);
    if (!ParseHex16(name.substr(at, kHexDigits), &fields[i])) return false;
    if (i < 2 && name[at + kHexDigits] != '_') return false;
  }
  if (fields[0] == 0) return false;  // seqs start at 1
  StateCheckpointInfo info;
  info.next_seq = fields[0], info.lsn = fields[1], info.time = TimeFromSortable(fields[2]);
  *checkpoint = std::move(info);
  return true;
}

Status WriteStateCheckpoint(const std::string& dir, std::string_view thresholds, const StateEntrySource& source,
                            StateCheckpointInfo* info) {
  if (info->next_seq == 0) return Status::InvalidArgument("state checkpoint: next_seq starts at 1");
  // The frame is compressed straight into the file, after the header's
  // room and the thresholds: the state is held once, compressed.
  std::string file(kHeaderBytes, '\0');
  file.append(thresholds);
  uint64_t count = 0;
  WG_RETURN_IF_ERROR(CompressEntries(source, &file, &count));
  const uint64_t frame_bytes = file.size() - kHeaderBytes - thresholds.size();
  std::string header(kMagic);
  for (uint64_t field : {uint64_t{kFormatVersion}, info->next_seq, info->lsn, SortableTime(info->time), count,
                         uint64_t{thresholds.size()}, frame_bytes}) {
    PutFixed64BE(&header, field);
  }
  assert(header.size() == kHeaderBytes);
  file.replace(0, kHeaderBytes, header);
  PutFixed64BE(&file, XXH64(file.data(), file.size(), 0));
  const std::string name = StateCheckpointFileName(*info);
  Status status = EnsureDirectory(dir);
  if (status.ok()) status = WriteNewFileDurably(dir, name, file);
  if (!status.ok()) return status.WithContext("archive: write state checkpoint");
  info->path = (std::filesystem::path(dir) / name).string();
  info->file_bytes = file.size();
  return Status::OK();
}

Status ListStateCheckpoints(const std::string& dir, std::vector<StateCheckpointInfo>* checkpoints) {
  WG_RETURN_IF_ERROR(ListArchiveFiles(dir, ParseStateCheckpointFileName, checkpoints));
  std::sort(checkpoints->begin(), checkpoints->end(), [](const StateCheckpointInfo& a, const StateCheckpointInfo& b) {
    return a.next_seq != b.next_seq ? a.next_seq < b.next_seq : a.path < b.path;
  });
  return Status::OK();
}

Status ReadStateCheckpoint(const StateCheckpointInfo& checkpoint, ArchiveRecord* record) {
  std::string file;
  Status status = ReadWholeFile(checkpoint.path, kMaxFileBytes, &file);
  if (status.ok()) status = DecodeFile(checkpoint, file, record);
  if (status.code() == Status::Code::kCorruption) {
    return Status::Corruption("state checkpoint " + checkpoint.path + " (LSN " + FormatLsn(checkpoint.lsn) +
                              ") is damaged: " + status.message());
  }
  return status.WithContext("archive: read state checkpoint");
}

}  // namespace walguard

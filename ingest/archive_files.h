// The archive directory's files, shared by segments (ingest/archive.cc) and
// state checkpoints (ingest/archive_checkpoint.cc): the pieces of their
// names (fixed-width lowercase hex fields, which sort as the numbers do) and
// the listing of the files whose names a parser accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// The width of each hex field of a name.
inline constexpr size_t kHexDigits = 16;

// Signed micros as unsigned with the sign bit flipped: the order is kept, so
// a name's hex time field sorts as the time does.
inline uint64_t SortableTime(Micros t) {
  return static_cast<uint64_t>(t) ^ (uint64_t{1} << 63);
}
inline Micros TimeFromSortable(uint64_t v) {
  return static_cast<Micros>(v ^ (uint64_t{1} << 63));
}

// One field of a name: lowercase hex digits only (the caller checks the width).
inline bool ParseHex16(std::string_view text, uint64_t* v) {
  uint64_t result = 0;
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9', letter = c >= 'a' && c <= 'f';
    if (!digit && !letter) return false;
    result = (result << 4) | static_cast<uint64_t>(digit ? c - '0' : c - 'a' + 10);
  }
  *v = result;
  return true;
}

// `parse(name, &info)` returns true for a name of the kind listed and fills
// what the name encodes; `info.path` and `info.file_bytes` are filled here.
// A missing `dir` lists nothing; a file deleted while listing is left out.
template <typename Info, typename Parse>
Status ListArchiveFiles(const std::string& dir, Parse parse, std::vector<Info>* out) {
  out->clear();
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return Status::OK();
  if (ec) return Status::IOError("archive: list " + dir + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError("archive: list " + dir + ": " + ec.message());
    Info info;
    if (!parse(it->path().filename().string(), &info)) continue;
    if (!it->is_regular_file(ec)) continue;
    info.file_bytes = it->file_size(ec);
    if (ec == std::errc::no_such_file_or_directory) continue;  // deleted since the listing
    if (ec) return Status::IOError("archive: stat " + it->path().string() + ": " + ec.message());
    info.path = it->path().string();
    out->push_back(std::move(info));
  }
  if (ec) return Status::IOError("archive: list " + dir + ": " + ec.message());
  return Status::OK();
}

}  // namespace walguard

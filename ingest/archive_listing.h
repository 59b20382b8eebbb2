// Listing an archive directory: the files whose names a parser accepts
// (segments, state checkpoints), with their path and size. Shared by
// ingest/archive.cc and ingest/archive_checkpoint.cc; each sorts the result
// by its own order.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "util/status.h"

namespace walguard {

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

// Durable files: written whole or not at all, for data that must survive a
// crash or a power cut as it was written (the archive's segments).
//
// A new file is written as `<name>.tmp`, fsynced, renamed to `<name>` and
// its directory fsynced: after a crash at any point the file either exists
// complete or not at all. A leftover `<name>.tmp` is harmless; readers skip
// the suffix, and the next write of the same name replaces it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace walguard {

inline constexpr std::string_view kTempFileSuffix = ".tmp";

// Creates `dir` and its missing parents, mode 0700, each durably in its
// parent. OK when `dir` is a directory already.
Status EnsureDirectory(const std::string& dir);

// Writes `data` as the new file `dir`/`name` (mode 0600), durably. IOError,
// and nothing changed, when `name` exists already: never replaced.
Status WriteNewFileDurably(const std::string& dir, const std::string& name, std::string_view data);

// fsync of a directory: makes the creations, renames and deletions in it durable.
Status SyncDirectory(const std::string& dir);

// Reads all of `path`. Corruption, before reading, when the file has more
// than `max_bytes`: a bound so that a damaged file cannot exhaust memory.
Status ReadWholeFile(const std::string& path, uint64_t max_bytes, std::string* out);

}  // namespace walguard

// The state directory as files, before and around RocksDB: who holds it,
// whether it holds a database at all, how much room its filesystem has, and
// moving a damaged database aside for `walguard run --resnapshot`.
//
// The directory holds more than the database: the archive (archive/), the
// handover file (firing.wgh, state/handover_file.h) and databases moved
// aside (damaged-<UTC time>/). Only RocksDB's own files are the database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"
#include "util/time.h"

namespace walguard {

// True for the names RocksDB gives its files in a database directory
// (CURRENT, IDENTITY, LOCK, LOG*, MANIFEST-*, OPTIONS-*, *.sst, *.log, *.blob).
bool IsDatabaseFileName(std::string_view name);

// What the directory holds: no database file at all (fresh), or some.
struct StateDirContents {
  bool exists = false;
  bool has_database_files = false;  // any IsDatabaseFileName entry
  bool has_current = false;         // the CURRENT file that names the MANIFEST
};
Status InspectStateDir(const std::string& dir, StateDirContents* out);

// IOError "another walguard holds DIR (pid N)" while another process holds
// RocksDB's LOCK file (a POSIX record lock, which names its holder). OK when
// nobody does, or there is no LOCK file yet.
Status CheckNotHeld(const std::string& dir);

// The room left where the state is written.
struct DiskSpace {
  std::string mount_point;  // the nearest ancestor of the directory on the same device
  uint64_t free_bytes = 0;  // available to this (unprivileged) user: statvfs f_bavail
  uint64_t total_bytes = 0;
};
// `path` or, when it does not exist yet, its nearest existing ancestor.
Status MeasureDiskSpace(const std::string& path, DiskSpace* out);

// "1.5 MiB": for log lines about space.
std::string FormatBytes(uint64_t bytes);

// Moves every database file of `dir` into the new `dir`/damaged-<UTC time>/
// (never deleting anything: it is the evidence), and copies the handover
// file there too. `*moved_to` names the new directory. Nothing else of `dir`
// moves (the archive, the handover file, earlier damaged-* directories).
Status MoveDatabaseAside(const std::string& dir, Micros now, std::string* moved_to);

}  // namespace walguard

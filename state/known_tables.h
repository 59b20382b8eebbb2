// The table files of a state known to be whole without reading them again,
// so that an open reads only what it cannot vouch for (`[state]
// verify_on_open = "changed"`, the default): its resume stays short however
// large the state (a full verification reads ~0.5 s per GiB).
//
// A table file is immutable once RocksDB has written it, with a checksum per
// block computed from memory. It is known whole when it was read whole by a
// checksum verification, or written by a walguard that then stopped cleanly,
// and has not changed since. "Not changed" is its stamp: size, inode and the
// inode's change time (ctime), which the kernel moves on every write,
// truncation, rename or restore and which no user can set back. Overwritten
// bytes, a truncation or a file put back from elsewhere are read again; a
// missing file is refused by RocksDB's paranoid open. What no stamp sees (a
// disk that rots a block in place) is found by the read that reaches the
// block (every read checks its block's checksum) and by the full
// verification once a day.
//
// A stamp whose ctime is younger than kStampSettleNanos is not recorded: the
// kernel's timestamps are coarse, and a write in the same tick as the stamp
// would leave it unchanged (git's "racily clean" index entries).
//
// Kept beside the database as `<state-dir>/known-tables`, one line per file:
// "<name> <size> <inode> <ctime ns>". Written whole (a temporary renamed over
// it) and not synced: a lost or unreadable record only means the files are
// read again.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "util/status.h"

namespace walguard {

inline constexpr int64_t kStampSettleNanos = 1'000'000'000;

struct TableStamp {
  uint64_t size = 0;
  uint64_t inode = 0;
  int64_t ctime_ns = 0;
  bool operator==(const TableStamp&) const = default;
};

// By file name ("000123.sst").
using TableStamps = std::map<std::string, TableStamp>;

// The stamp of `dir`/`name`; NotFound when there is no such file, IOError
// when it cannot be read.
Status StampTable(const std::string& dir, const std::string& name, TableStamp* out);

// The record in `dir`; empty when there is none or any line of it does not parse.
TableStamps ReadKnownTables(const std::string& dir);

// Replaces the record in `dir` with the stamps settled at `now_ns` (the
// realtime clock ctime is taken from, in ns: WallClockNow() * 1000): those
// whose ctime is at least kStampSettleNanos old.
Status WriteKnownTables(const std::string& dir, const TableStamps& stamps, int64_t now_ns);

}  // namespace walguard

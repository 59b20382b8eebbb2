// RocksDB's info LOG, written by walguard's own logger.
//
// RocksDB's file logger cannot survive a full disk: once one write to LOG
// fails, the next one trips an assertion (writable_file_writer.h) and the
// process aborts, which is what a start on a full disk used to do. This one
// writes each line with a plain write(2) and drops the line when there is no
// room: the LOG is diagnostics, never state.
#pragma once

#include <memory>
#include <string>

namespace rocksdb {
class Logger;
}

namespace walguard {

// A logger appending to `dir`/LOG. An existing LOG past a few MiB is moved
// to LOG.old first (replacing the previous one), so the two stay bounded.
std::shared_ptr<rocksdb::Logger> NewStateInfoLog(const std::string& dir);

}  // namespace walguard

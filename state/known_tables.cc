#include "state/known_tables.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace walguard {

namespace {

constexpr std::string_view kKnownTablesName = "known-tables";

std::string RecordPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kKnownTablesName).string();
}

}  // namespace

Status StampTable(const std::string& dir, const std::string& name, TableStamp* out) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const std::string what = "stat " + path + ": " + std::strerror(errno);
    return errno == ENOENT ? Status::NotFound(what) : Status::IOError(what);
  }
  out->size = static_cast<uint64_t>(st.st_size);
  out->inode = static_cast<uint64_t>(st.st_ino);
  out->ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return Status::OK();
}

TableStamps ReadKnownTables(const std::string& dir) {
  TableStamps stamps;
  std::ifstream in(RecordPath(dir));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    TableStamp stamp;
    std::string rest;
    if (!(fields >> name >> stamp.size >> stamp.inode >> stamp.ctime_ns) || (fields >> rest)) return {};
    stamps.emplace(std::move(name), stamp);
  }
  if (in.bad()) return {};
  return stamps;
}

Status WriteKnownTables(const std::string& dir, const TableStamps& stamps, int64_t now_ns) {
  const std::string path = RecordPath(dir);
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& [name, stamp] : stamps) {
      if (now_ns - stamp.ctime_ns < kStampSettleNanos) continue;
      out << name << ' ' << stamp.size << ' ' << stamp.inode << ' ' << stamp.ctime_ns << '\n';
    }
    out.flush();
    if (!out) return Status::IOError("write " + temp);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::IOError("rename " + temp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace walguard

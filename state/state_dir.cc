#include "state/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <vector>

#include "state/handover_file.h"

namespace walguard {

namespace {

namespace fs = std::filesystem;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// 20261203T071500Z: sorts by time and needs no quoting in a shell.
std::string CompactUtc(Micros now) {
  const time_t seconds = static_cast<time_t>(now / kMicrosPerSecond);
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

// fsync of a directory, so that renames into and out of it are durable.
Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("cannot fsync " + dir + ": " + std::strerror(err));
  return Status::OK();
}

}  // namespace

bool IsDatabaseFileName(std::string_view name) {
  if (name == "CURRENT" || name == "IDENTITY" || name == "LOCK") return true;
  if (name.starts_with("LOG") || name.starts_with("MANIFEST-") || name.starts_with("OPTIONS-")) return true;
  return EndsWith(name, ".sst") || EndsWith(name, ".log") || EndsWith(name, ".blob") || EndsWith(name, ".dbtmp");
}

Status InspectStateDir(const std::string& dir, StateDirContents* out) {
  *out = StateDirContents{};
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return Status::OK();
  if (ec) return Status::IOError("cannot list state directory " + dir + ": " + ec.message());
  out->exists = true;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!IsDatabaseFileName(name)) continue;
    out->has_database_files = true;
    if (name == "CURRENT") out->has_current = true;
  }
  if (ec) return Status::IOError("cannot list state directory " + dir + ": " + ec.message());
  return Status::OK();
}

Status CheckNotHeld(const std::string& dir) {
  const std::string lock = (fs::path(dir) / "LOCK").string();
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::OK();  // no database yet, or no lock file: nobody holds it
  struct flock query = {};
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  const int rc = ::fcntl(fd, F_GETLK, &query);
  ::close(fd);
  if (rc != 0 || query.l_type == F_UNLCK) return Status::OK();
  return Status::IOError("another walguard holds " + dir + " (pid " + std::to_string(query.l_pid) +
                         "): stop it first, or give this one another --state-dir");
}

Status MeasureDiskSpace(const std::string& path, DiskSpace* out) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return Status::IOError("cannot resolve " + path + ": " + ec.message());
  // Bounded: each step removes one component.
  while (!fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
  struct statvfs vfs = {};
  if (::statvfs(p.c_str(), &vfs) != 0) return Status::IOError("statvfs " + p.string() + ": " + std::strerror(errno));
  out->free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  out->total_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  // The mount point: the last ancestor still on the same device.
  struct stat st = {};
  if (::stat(p.c_str(), &st) != 0) return Status::IOError("stat " + p.string() + ": " + std::strerror(errno));
  fs::path mount = p;
  while (mount.has_parent_path() && mount != mount.parent_path()) {
    struct stat up = {};
    if (::stat(mount.parent_path().c_str(), &up) != 0 || up.st_dev != st.st_dev) break;
    mount = mount.parent_path();
  }
  out->mount_point = mount.string();
  return Status::OK();
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " bytes";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  return buf;
}

Status MoveDatabaseAside(const std::string& dir, Micros now, std::string* moved_to) {
  const fs::path aside = fs::path(dir) / ("damaged-" + CompactUtc(now));
  std::error_code ec;
  if (!fs::create_directory(aside, ec) || ec) {
    return Status::IOError("cannot create " + aside.string() + ": " + (ec ? ec.message() : "it exists already"));
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (IsDatabaseFileName(it->path().filename().string())) files.push_back(it->path());
  }
  if (ec) return Status::IOError("cannot list state directory " + dir + ": " + ec.message());
  for (const fs::path& file : files) {
    fs::rename(file, aside / file.filename(), ec);
    if (ec) return Status::IOError("cannot move " + file.string() + " to " + aside.string() + ": " + ec.message());
  }
  const fs::path handover = HandoverFilePath(dir);
  if (fs::exists(handover, ec)) fs::copy_file(handover, aside / handover.filename(), ec);
  if (ec) return Status::IOError("cannot copy " + handover.string() + ": " + ec.message());
  WG_RETURN_IF_ERROR(SyncDir(aside.string()));
  WG_RETURN_IF_ERROR(SyncDir(dir));
  *moved_to = aside.string();
  return Status::OK();
}

}  // namespace walguard

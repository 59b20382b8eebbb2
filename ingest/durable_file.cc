#include "ingest/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace walguard {

namespace {

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// A path has far fewer components than this; the bound keeps the recursion finite.
constexpr int kMaxDirectoryDepth = 256;

Status EnsureDirectoryAt(const std::filesystem::path& dir, int depth) {
  if (depth > kMaxDirectoryDepth) return Status::IOError("mkdir " + dir.string() + ": path too deep");
  const std::filesystem::path parent = dir.has_parent_path() ? dir.parent_path() : std::filesystem::path(".");
  if (::mkdir(dir.c_str(), 0700) == 0) return SyncDirectory(parent.string());
  if (errno == ENOENT && dir.has_parent_path() && parent != dir) {
    WG_RETURN_IF_ERROR(EnsureDirectoryAt(parent, depth + 1));
    if (::mkdir(dir.c_str(), 0700) == 0) return SyncDirectory(parent.string());
  }
  if (errno != EEXIST) return ErrnoStatus("mkdir " + dir.string());
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return Status::IOError(dir.string() + " is not a directory");
  return Status::OK();
}

Status WriteAndSync(const std::string& path, std::string_view data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("open " + path);
  Status status;
  while (!data.empty()) {  // each pass writes at least one byte, or is an EINTR
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = ErrnoStatus("write " + path);
      break;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoStatus("fsync " + path);
  if (::close(fd) != 0 && status.ok()) status = ErrnoStatus("close " + path);
  return status;
}

Status ExistsAlready(const std::string& temp, const std::string& path) {
  ::unlink(temp.c_str());
  return Status::IOError(path + " exists already and is never replaced");
}

// rename(2) that refuses to replace `to`.
Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return Status::OK();
  if (errno == EEXIST) return ExistsAlready(from, to);
  if (errno != EINVAL && errno != ENOSYS) return ErrnoStatus("rename " + from + " to " + to);
  // A file system without RENAME_NOREPLACE: the callers are single writers
  // of their directory, so checking first is enough.
  if (::access(to.c_str(), F_OK) == 0) return ExistsAlready(from, to);
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("rename " + from + " to " + to);
  return Status::OK();
}

}  // namespace

Status EnsureDirectory(const std::string& dir) {
  return EnsureDirectoryAt(std::filesystem::path(dir), 0);
}

Status WriteNewFileDurably(const std::string& dir, const std::string& name, std::string_view data) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  const std::string temp = path + std::string(kTempFileSuffix);
  WG_RETURN_IF_ERROR(WriteAndSync(temp, data));
  WG_RETURN_IF_ERROR(RenameNoReplace(temp, path));
  return SyncDirectory(dir);
}

Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + dir);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return rc == 0 ? Status::OK() : ErrnoStatus("fsync " + dir);
}

Status ReadWholeFile(const std::string& path, uint64_t max_bytes, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open " + path);
  Status status;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    status = ErrnoStatus("stat " + path);
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    status = Status::Corruption("the file has " + std::to_string(st.st_size) + " bytes, more than " +
                                std::to_string(max_bytes));
  } else {
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out->size()) {  // each pass reads at least one byte, or ends the loop
      const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = ErrnoStatus("read " + path);
        break;
      }
      if (n == 0) break;  // the file shrank since fstat: the caller sees fewer bytes
      done += static_cast<size_t>(n);
    }
    out->resize(done);
  }
  ::close(fd);
  return status;
}

}  // namespace walguard

#include "state/handover_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "util/coding.h"

namespace walguard {

namespace {

constexpr std::string_view kMagic = "WGH2";
constexpr std::string_view kMagicWithoutFacts = "WGH1";
constexpr size_t kTrailerBytes = 8;
// A firing set is thousands of alerts at most; a bound so that a garbled
// length cannot make the reader allocate without limit.
constexpr uint64_t kMaxFileBytes = uint64_t{256} << 20;

// ENOSPC and EDQUOT are a full disk, EIO a failed write: all three wait.
Status WriteError(const std::string& what, int err) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT || err == EIO) return Status::NoSpace(msg);
  return Status::IOError(msg);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  // Bounded: every turn writes at least one byte or returns.
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return WriteError("write " + path, n < 0 ? errno : EIO);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::OK() : WriteError("fsync " + dir, err);
}

Status Damaged() {
  return Status::Corruption("the handover file is truncated or damaged");
}

}  // namespace

std::string HandoverFilePath(const std::string& state_dir) {
  return (std::filesystem::path(state_dir) / kHandoverFileName).string();
}

std::string EncodeHandoverFile(const HandoverFile& file) {
  std::string out(kMagic);
  PutFixed64BE(&out, file.lsn);
  PutVarint64(&out, file.firing.size());
  for (const FiringAlert& a : file.firing) {
    PutLengthPrefixed(&out, a.fingerprint);
    PutLengthPrefixed(&out, a.alert_id);
    PutFiringFacts(a, &out);
  }
  PutFixed64BE(&out, XXH64(out.data(), out.size(), 0));
  return out;
}

Status DecodeHandoverFile(std::string_view bytes, HandoverFile* out) {
  const bool with_facts = bytes.starts_with(kMagic);
  if (bytes.size() < kMagic.size() + kTrailerBytes || !(with_facts || bytes.starts_with(kMagicWithoutFacts))) {
    return Damaged();
  }
  std::string_view trailer = bytes.substr(bytes.size() - kTrailerBytes);
  uint64_t stored = 0;
  std::string_view body = bytes.substr(0, bytes.size() - kTrailerBytes);
  if (!GetFixed64BE(&trailer, &stored) || stored != XXH64(body.data(), body.size(), 0)) return Damaged();
  body.remove_prefix(kMagic.size());
  HandoverFile file;
  uint64_t count = 0;
  if (!GetFixed64BE(&body, &file.lsn) || !GetVarint64(&body, &count)) return Damaged();
  // Each alert takes at least two bytes: a count past that is garbage.
  if (count > body.size() / 2) return Damaged();
  file.firing.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view fingerprint, id;
    if (!GetLengthPrefixed(&body, &fingerprint) || !GetLengthPrefixed(&body, &id)) return Damaged();
    FiringAlert& a = file.firing.emplace_back(FiringAlert{std::string(fingerprint), std::string(id)});
    if (with_facts && !GetFiringFacts(&body, &a)) return Damaged();
  }
  if (!body.empty()) return Damaged();
  *out = std::move(file);
  return Status::OK();
}

std::string EncodeHandoverValue(const FiringAlert& alert) {
  std::string out = alert.alert_id;
  out.push_back('\0');
  PutFiringFacts(alert, &out);
  return out;
}

bool DecodeHandoverValue(std::string_view value, FiringAlert* alert) {
  const size_t end = value.find('\0');
  alert->alert_id = std::string(value.substr(0, end));
  alert->historical = false;
  alert->repeat.reset();
  if (end == std::string_view::npos) return true;
  value.remove_prefix(end + 1);
  return GetFiringFacts(&value, alert) && value.empty();
}

Status WriteHandoverFile(const std::string& path, const HandoverFile& file) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return WriteError("create " + temp, errno);
  Status s = WriteAll(fd, EncodeHandoverFile(file), temp);
  if (s.ok() && ::fsync(fd) != 0) s = WriteError("fsync " + temp, errno);
  ::close(fd);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) s = WriteError("rename " + temp, errno);
  if (!s.ok()) {
    ::unlink(temp.c_str());  // the old file stays whole; the temp is only ever a partial copy
    return s.WithContext("handover file");
  }
  return SyncDirectoryOf(path).WithContext("handover file");
}

Status ReadHandoverFile(const std::string& path, HandoverFile* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return Status::NotFound("no handover file " + path);
  if (fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  Status s;
  for (;;) {  // bounded by kMaxFileBytes
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IOError("read " + path + ": " + std::strerror(errno));
    if (n <= 0) break;
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > kMaxFileBytes) {
      s = Status::Corruption("the handover file " + path + " is larger than any firing set");
      break;
    }
  }
  ::close(fd);
  WG_RETURN_IF_ERROR(s);
  return DecodeHandoverFile(bytes, out).WithContext(path);
}

}  // namespace walguard

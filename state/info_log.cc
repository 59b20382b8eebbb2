#include "state/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>

namespace walguard {

namespace {

constexpr off_t kRotateBytes = off_t{8} << 20;

class StateInfoLog : public rocksdb::Logger {
 public:
  explicit StateInfoLog(int fd) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), fd_(fd) {}
  ~StateInfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (fd_ < 0) return;
    char line[4096];
    struct timespec ts = {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm = {};
    ::gmtime_r(&ts.tv_sec, &tm);
    int n = static_cast<int>(std::strftime(line, sizeof(line), "%Y/%m/%d-%H:%M:%S", &tm));
    n += std::snprintf(line + n, sizeof(line) - n, ".%06ld ", ts.tv_nsec / 1000);
    const int body = std::vsnprintf(line + n, sizeof(line) - n - 1, format, ap);
    if (body < 0) return;
    n = std::min<int>(n + body, static_cast<int>(sizeof(line)) - 2);
    line[n++] = '\n';
    // One write per line; a short or failed write (a full disk) loses the line only.
    [[maybe_unused]] const ssize_t written = ::write(fd_, line, static_cast<size_t>(n));
  }

 private:
  const int fd_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewStateInfoLog(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "LOG").string();
  struct stat st = {};
  if (::stat(path.c_str(), &st) == 0 && st.st_size > kRotateBytes) {
    ::rename(path.c_str(), (path + ".old").c_str());
  }
  return std::make_shared<StateInfoLog>(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
}

}  // namespace walguard

// ChildProcess: runs another program (walguard itself, in the integration
// tests), capturing its stdout line by line and its stderr to a file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "util/status.h"

namespace walguard::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // SIGKILL and reap if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is the program path. stderr goes to `stderr_path` (appended) when
  // not empty, else it is inherited. Extra environment "K=V" entries are
  // added; a bare "K" removes K from the inherited environment.
  Status Start(const std::vector<std::string>& argv, const std::string& stderr_path = "",
               const std::vector<std::string>& env = {});

  // Reads one line of stdout (without '\n'), waiting at most `timeout`.
  // NotFound on timeout, IOError on EOF.
  Status ReadLine(std::chrono::milliseconds timeout, std::string* line);

  bool running();
  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed), -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;
  int exit_code_ = -1;
};

// The directory holding the walguard binary under test (set by CMake as
// WALGUARD_BINARY).
std::string WalguardBinary();

}  // namespace walguard::testing

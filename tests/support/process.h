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

// What one finished run of the walguard binary printed.
struct WalguardExit {
  int exit_code = -1;  // as ChildProcess::Wait
  std::vector<std::string> stdout_lines;
  std::string stderr_text;
};

// Runs walguard with `args` to its end: reads at most `max_stdout_lines`
// lines of stdout (0: until EOF), waits up to `wait` for the exit, and reads
// back its stderr, kept in a new file under `scratch_dir`. The CLI tests'
// one way of running the binary.
WalguardExit RunWalguard(const std::vector<std::string>& args, const std::string& scratch_dir,
                         size_t max_stdout_lines = 0, std::chrono::milliseconds wait = std::chrono::seconds(20));

}  // namespace walguard::testing

#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace walguard::testing {

namespace {

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// The parent's environment with `extra` "K=V" entries added or replacing,
// and "K" entries (no '=') removed.
std::vector<std::string> BuildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const std::string& x : extra) {
      std::string key = x.substr(0, x.find('=')) + "=";
      if (entry.starts_with(key)) replaced = true;
    }
    if (!replaced) env.emplace_back(entry);
  }
  for (const std::string& x : extra) {
    if (x.find('=') != std::string::npos) env.push_back(x);
  }
  return env;
}

int DecodeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && running()) {
    kill(pid_, SIGKILL);
    int wstatus = 0;
    while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Status ChildProcess::Start(const std::vector<std::string>& argv, const std::string& stderr_path,
                           const std::vector<std::string>& env) {
  if (argv.empty()) return Status::InvalidArgument("ChildProcess: empty argv");
  if (pid_ > 0) return Status::InvalidArgument("ChildProcess: already started");
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls are allowed (the test process has threads).
  std::vector<std::string> arg_strings = argv;
  std::vector<std::string> env_strings = BuildEnv(env);
  std::vector<char*> args, envp;
  args.reserve(arg_strings.size() + 1);
  envp.reserve(env_strings.size() + 1);
  for (std::string& a : arg_strings) args.push_back(a.data());
  for (std::string& e : env_strings) envp.push_back(e.data());
  args.push_back(nullptr);
  envp.push_back(nullptr);
  // O_CLOEXEC everywhere: a pipe end leaked into another child (a Postgres
  // started meanwhile, say) would keep EOF from ever arriving.
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2");
  int err_fd = -1;
  if (!stderr_path.empty()) {
    err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err_fd < 0) {
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      return ErrnoStatus("open " + stderr_path);
    }
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], 1);  // dup2 clears O_CLOEXEC on the new descriptor
    if (err_fd >= 0) dup2(err_fd, 2);
    execvpe(args[0], args.data(), envp.data());
    static const char kMsg[] = "ChildProcess: exec failed\n";
    ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    _exit(127);
  }
  close(pipe_fds[1]);
  if (err_fd >= 0) close(err_fd);
  if (pid < 0) {
    close(pipe_fds[0]);
    return ErrnoStatus("fork");
  }
  pid_ = pid;
  stdout_fd_ = pipe_fds[0];
  exit_code_ = -1;
  return Status::OK();
}

Status ChildProcess::ReadLine(std::chrono::milliseconds timeout, std::string* line) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      *line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return Status::OK();
    }
    if (stdout_fd_ < 0) {
      if (pending_.empty()) return Status::IOError("ChildProcess: end of stdout");
      *line = std::move(pending_);  // a last line without '\n'
      pending_.clear();
      return Status::OK();
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::NotFound("ChildProcess: no line within timeout");
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int rc = poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) return ErrnoStatus("poll");
    if (rc <= 0) continue;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      close(stdout_fd_);
      stdout_fd_ = -1;
    }
  }
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int wstatus = 0;
  pid_t r = waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    exit_code_ = DecodeWaitStatus(wstatus);
    return false;
  }
  return r == 0;
}

void ChildProcess::Signal(int sig) {
  if (running()) kill(pid_, sig);
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string WalguardBinary() {
  return WALGUARD_BINARY;
}

WalguardExit RunWalguard(const std::vector<std::string>& args, const std::string& scratch_dir, size_t max_stdout_lines,
                         std::chrono::milliseconds wait) {
  static int runs = 0;
  std::vector<std::string> argv = {WalguardBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string stderr_path = scratch_dir + "/stderr-" + std::to_string(getpid()) + "-" + std::to_string(++runs);
  WalguardExit run;
  ChildProcess child;
  Status s = child.Start(argv, stderr_path);
  if (!s.ok()) {
    run.stderr_text = "could not start walguard: " + s.ToString();
    return run;
  }
  std::string line;
  while ((max_stdout_lines == 0 || run.stdout_lines.size() < max_stdout_lines) &&
         child.ReadLine(std::chrono::seconds(20), &line).ok()) {
    run.stdout_lines.push_back(line);
  }
  run.exit_code = child.Wait(wait);
  std::ifstream in(stderr_path);
  std::stringstream text;
  text << in.rdbuf();
  run.stderr_text = text.str();
  return run;
}

}  // namespace walguard::testing

#include "tests/support/pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

namespace walguard::testing {

namespace {

constexpr char kSuperuser[] = "walguard_admin";
// Postgres refuses to run as root; the Debian package creates this user.
constexpr char kServerUser[] = "postgres";

Status ErrnoStatus(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// Binds port 0 to let the kernel pick a free port. Another process could
// take it before Postgres binds it, which is unlikely enough for tests.
Status FreePort(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Status s = ErrnoStatus("bind 127.0.0.1:0");
    close(fd);
    return s;
  }
  *port = ntohs(addr.sin_port);
  close(fd);
  return Status::OK();
}

std::string Tail(const std::string& path, size_t max_bytes = 4000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

// Runs argv (as `run_as` via runuser when set) in `cwd`, appending its output
// to `log`. Returns IOError with the log's tail on a non-zero exit.
Status RunCommand(std::vector<std::string> argv, const std::string& run_as, const std::string& cwd,
                  const std::string& log) {
  if (!run_as.empty()) argv.insert(argv.begin(), {"runuser", "-u", run_as, "--"});
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoStatus("open " + log);
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) return ErrnoStatus("fork");
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("waitpid");
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return Status::OK();
  std::string cmd;
  for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Status::IOError("`" + cmd + "` failed (status " + std::to_string(wstatus) + "):\n" + Tail(log));
}

std::string Trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};

}  // namespace

PgCluster::~PgCluster() {
  if (running_) {
    walguard::Status stopped = Stop("immediate");
    if (!stopped.ok()) std::fprintf(stderr, "pg_cluster: %s\n", stopped.ToString().c_str());
  }
  if (!root_dir_.empty() && std::getenv("WALGUARD_KEEP_PG") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(root_dir_, ignored);
  }
}

Status PgCluster::Start(const PgClusterOptions& options) {
  bin_dir_ = options.bin_dir;
  superuser_ = kSuperuser;
  run_as_ = geteuid() == 0 ? kServerUser : "";
  port_ = options.port;
  if (port_ == 0) WG_RETURN_IF_ERROR(FreePort(&port_));
  // Under /tmp, and world-traversable, so the 'postgres' user can reach it.
  char tmpl[] = "/tmp/walguard-pg-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return ErrnoStatus("mkdtemp");
  root_dir_ = tmpl;
  data_dir_ = root_dir_ + "/data";
  if (chmod(root_dir_.c_str(), 0755) != 0) return ErrnoStatus("chmod " + root_dir_);
  if (!run_as_.empty()) {
    passwd* pw = getpwnam(kServerUser);
    if (pw == nullptr) return Status::IOError("running as root but there is no 'postgres' user");
    if (chown(root_dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return ErrnoStatus("chown " + root_dir_);
  }
  const std::string log = root_dir_ + "/commands.log";
  WG_RETURN_IF_ERROR(RunCommand({bin_dir_ + "/initdb", "-D", data_dir_, "-A", "trust", "-U", superuser_,
                                 "--encoding=UTF8", "--locale=C", "--no-sync"},
                                run_as_, root_dir_, log));
  WG_RETURN_IF_ERROR(WriteHba(options));
  WG_RETURN_IF_ERROR(InstallSslFiles(options));
  std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
  conf << "\n# walguard test cluster\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << root_dir_ << "'\n"
       << "wal_level = logical\n"
       // Tests leave their (inactive) slots behind: room for a whole suite.
       << "max_replication_slots = 100\n"
       << "max_wal_senders = 40\n"
       << "fsync = off\n"
       << "synchronous_commit = off\n"
       << "full_page_writes = off\n"
       << (options.ssl_cert_file.empty() ? "" : "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
       << options.extra_conf << "\n";
  conf.close();
  if (!conf) return Status::IOError("cannot write " + data_dir_ + "/postgresql.conf");
  return Restart("fast");
}

// initdb's file trusts every local user; this one trusts only the superuser
// (what the tests set up the databases with), so any other role gets in only
// through the caller's lines.
Status PgCluster::WriteHba(const PgClusterOptions& options) const {
  const std::string path = data_dir_ + "/pg_hba.conf";
  std::ofstream hba(path, std::ios::trunc);
  hba << "# walguard test cluster\n"
      << "local all " << superuser_ << " trust\n"
      << "host all " << superuser_ << " 127.0.0.1/32 trust\n"
      << "host replication " << superuser_ << " 127.0.0.1/32 trust\n";
  for (const std::string& line : options.hba) hba << line << "\n";
  hba.close();
  return hba ? Status::OK() : Status::IOError("cannot write " + path);
}

// The server refuses a key that others can read, and must own it.
Status PgCluster::InstallSslFiles(const PgClusterOptions& options) const {
  if (options.ssl_cert_file.empty() != options.ssl_key_file.empty()) {
    return Status::InvalidArgument("PgCluster: ssl_cert_file and ssl_key_file go together");
  }
  if (options.ssl_cert_file.empty()) return Status::OK();
  const std::pair<std::string, std::string> files[] = {{options.ssl_cert_file, data_dir_ + "/server.crt"},
                                                       {options.ssl_key_file, data_dir_ + "/server.key"}};
  for (const auto& [from, to] : files) {
    std::error_code ec;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError("copy " + from + " to " + to + ": " + ec.message());
    if (chmod(to.c_str(), 0600) != 0) return ErrnoStatus("chmod " + to);
    if (run_as_.empty()) continue;
    passwd* pw = getpwnam(run_as_.c_str());
    if (pw == nullptr || chown(to.c_str(), pw->pw_uid, pw->pw_gid) != 0) return ErrnoStatus("chown " + to);
  }
  return Status::OK();
}

Status PgCluster::Stop(const char* mode) {
  if (!running_) return Status::OK();
  Status s = RunCommand({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-m", mode, "-w", "stop"}, run_as_, root_dir_,
                        root_dir_ + "/commands.log");
  if (s.ok()) running_ = false;
  return s;
}

Status PgCluster::Restart(const char* mode) {
  WG_RETURN_IF_ERROR(Stop(mode));
  const std::string server_log = root_dir_ + "/server.log";
  Status s = RunCommand({bin_dir_ + "/pg_ctl", "-D", data_dir_, "-l", server_log, "-w", "-t", "60", "start"}, run_as_,
                        root_dir_, root_dir_ + "/commands.log");
  if (!s.ok()) return Status::IOError(s.message() + "\nserver.log:\n" + Tail(server_log));
  running_ = true;
  return Status::OK();
}

std::string PgCluster::ConnInfo(const std::string& dbname) const {
  return ConnInfo(dbname, superuser_);
}

std::string PgCluster::ConnInfo(const std::string& dbname, const std::string& user) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + dbname + " user=" + user;
}

Status PgCluster::WritePassfile(const std::string& path, const std::string& user, const std::string& password) const {
  // Fields escape ':' and backslash. Any host: the TLS tests connect by name.
  auto escape = [](const std::string& field) {
    std::string out;
    for (char c : field) {
      if (c == ':' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  };
  const std::string line = "*:" + std::to_string(port_) + ":*:" + escape(user) + ":" + escape(password) + "\n";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("open " + path);
  bool ok = fchmod(fd, 0600) == 0 && write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  Status s = ok ? Status::OK() : ErrnoStatus("write " + path);
  close(fd);
  return s;
}

Status PgCluster::Exec(const std::string& dbname, const std::string& sql, std::string* first_value) const {
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdb(ConnInfo(dbname).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Unavailable("connect to " + dbname + ": " + Trimmed(PQerrorMessage(conn.get())));
  }
  // PQexec runs a multi-statement string and returns the last result; an
  // error stops it there.
  PGresult* res = PQexec(conn.get(), sql.c_str());
  ExecStatusType st = PQresultStatus(res);
  Status s;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    s = Status::InvalidArgument("[" + std::string(state ? state : "") + "] " + Trimmed(PQresultErrorMessage(res)) +
                                " in: " + sql);
  } else if (first_value != nullptr) {
    bool has = st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0;
    *first_value = has ? PQgetvalue(res, 0, 0) : "";
  }
  PQclear(res);
  return s;
}

Status PgCluster::CreateDatabase(const std::string& dbname) const {
  Status s = Exec("postgres", "CREATE DATABASE \"" + dbname + "\"");
  // 42P04 duplicate_database: already there is what the caller wanted.
  if (!s.ok() && s.message().starts_with("[42P04]")) return Status::OK();
  return s;
}

}  // namespace walguard::testing

#include "tests/integration/security_support.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace walguard::testing {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Status Openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  ChildProcess p;
  WG_RETURN_IF_ERROR(p.Start(args, dir + "/openssl.log"));
  int code = p.Wait(seconds(30));
  if (code == 0) return Status::OK();
  return Status::IOError("openssl " + args[1] + " exited with " + std::to_string(code) + ":\n" +
                         ReadText(dir + "/openssl.log"));
}

}  // namespace

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

WalguardRun::WalguardRun(const std::string& name) : dir_("/tmp/walguard-sec-" + name + "-" + std::to_string(getpid())) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

WalguardRun::~WalguardRun() {
  proc_.reset();
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir_);
}

Status WalguardRun::Start(const std::string& toml, const std::vector<std::string>& flags,
                          const std::vector<std::string>& env) {
  std::ofstream(dir_ + "/walguard.toml") << "progress_interval_s = 1\nstate_dir = \"" << dir_ << "/state\"\n" << toml;
  std::vector<std::string> argv = {WalguardBinary(), "run", "--config", dir_ + "/walguard.toml"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  proc_ = std::make_unique<ChildProcess>();
  return proc_->Start(argv, dir_ + "/walguard.log", env);
}

Status WalguardRun::WaitLog(const std::string& marker, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Contains(Log(), marker)) return Status::OK();
    if (!proc_->running()) return Status::IOError("walguard exited before \"" + marker + "\":\n" + Log());
    std::this_thread::sleep_for(milliseconds(50));
  }
  return Status::IOError("no \"" + marker + "\" in time:\n" + Log());
}

int WalguardRun::End(milliseconds grace) {
  int code = proc_->Wait(grace);
  if (code >= 0) return code;
  proc_->Signal(SIGTERM);
  return proc_->Wait(seconds(20));
}

std::string WalguardRun::Log() const {
  return ReadText(dir_ + "/walguard.log");
}

Status StartBroker(ChildProcess* broker, const std::string& log, std::string* brokers) {
  WG_RETURN_IF_ERROR(broker->Start({WalguardBinary(), "broker"}, log));
  std::string line;
  WG_RETURN_IF_ERROR(broker->ReadLine(seconds(10), &line));
  if (!line.starts_with("bootstrap=")) return Status::Corruption("broker printed: " + line);
  *brokers = line.substr(10);
  return Status::OK();
}

Status QueryAs(const std::string& conninfo, const std::string& sql, std::string* value) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) return Status::Unavailable(PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) return Status::InvalidArgument(PQresultErrorMessage(res.get()));
  *value = PQntuples(res.get()) > 0 ? PQgetvalue(res.get(), 0, 0) : "";
  return Status::OK();
}

bool AlertFires(TopicReader* reader, const std::string& type, milliseconds timeout) {
  const std::string want = "\"type\":\"" + type + "\"";
  return reader->WaitUntil(
      [&](const std::vector<ConsumedMessage>& msgs) {
        for (const ConsumedMessage& m : msgs) {
          if (Contains(m.payload, want) && Contains(m.payload, "\"state\":\"firing\"")) return true;
        }
        return false;
      },
      timeout);
}

Status MakeTestCa(const std::string& dir, const std::string& name) {
  return Openssl(dir, {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
                       "2", "-subj", "/CN=walguard test " + name, "-keyout", dir + "/" + name + ".key", "-out",
                       dir + "/" + name + ".crt"});
}

Status MakeServerCertificate(const std::string& dir, const std::string& ca) {
  // verify-full matches the host name against subjectAltName (libpq reads
  // the CN only when there is none).
  return Openssl(dir, {"req",
                       "-x509",
                       "-newkey",
                       "ec",
                       "-pkeyopt",
                       "ec_paramgen_curve:prime256v1",
                       "-nodes",
                       "-days",
                       "2",
                       "-subj",
                       "/CN=localhost",
                       "-addext",
                       "subjectAltName=DNS:localhost,IP:127.0.0.1",
                       "-addext",
                       "basicConstraints=critical,CA:FALSE",
                       "-CA",
                       dir + "/" + ca + ".crt",
                       "-CAkey",
                       dir + "/" + ca + ".key",
                       "-keyout",
                       dir + "/server.key",
                       "-out",
                       dir + "/server.crt"});
}

}  // namespace walguard::testing

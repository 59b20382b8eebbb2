// Helpers of the security tests (security_test.cc, tls_test.cc): a walguard
// run started by hand with a chosen environment and config, a libpq query as
// a given role, test certificates made with openssl.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/topic_reader.h"
#include "util/status.h"

namespace walguard::testing {

bool Contains(const std::string& text, const std::string& part);
std::string ReadText(const std::string& path);

// One `walguard run` in its own directory (config, log, state), for what the
// harness does not do: a chosen environment, a password in the config file,
// another cluster, a start that must fail. The directory is removed unless
// the test failed.
class WalguardRun {
 public:
  explicit WalguardRun(const std::string& name);
  ~WalguardRun();
  WalguardRun(const WalguardRun&) = delete;
  WalguardRun& operator=(const WalguardRun&) = delete;

  // `toml` goes into the config file (--config) after progress_interval_s
  // and state_dir; `flags` follow --config; `env` as for ChildProcess.
  Status Start(const std::string& toml, const std::vector<std::string>& flags, const std::vector<std::string>& env);
  // Until the log holds `marker`; IOError with the log when walguard exits
  // first or `timeout` passes.
  Status WaitLog(const std::string& marker, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits `grace` for walguard to exit by itself, then SIGTERM. The exit
  // code, -1 if it did not stop within 20 s.
  int End(std::chrono::milliseconds grace);

  std::string Log() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> proc_;
};

// `walguard broker` with its log in `log`; its bootstrap servers in *brokers.
Status StartBroker(ChildProcess* broker, const std::string& log, std::string* brokers);

// The first column of the first row of `sql`, on a connection of the test's
// own made with `conninfo`; the server's or libpq's message on failure.
Status QueryAs(const std::string& conninfo, const std::string& sql, std::string* value);

// Waits until an alert of `type` fires on the alerts topic.
bool AlertFires(TopicReader* reader, const std::string& type,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A throwaway CA in <dir>/<name>.crt and .key (EC P-256, 2 days).
Status MakeTestCa(const std::string& dir, const std::string& name);
// <dir>/server.crt and .key for CN=localhost, subjectAltName DNS:localhost
// and IP:127.0.0.1, signed by the CA <dir>/<ca>.crt.
Status MakeServerCertificate(const std::string& dir, const std::string& ca);

}  // namespace walguard::testing

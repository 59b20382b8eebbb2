// PgCluster: a throwaway PostgreSQL 15 for the integration tests and the demo.
//
// initdb in a fresh temporary directory, wal_level=logical, listening on
// 127.0.0.1 at a free port, started with pg_ctl. When the process runs as
// root, the cluster runs as the unprivileged 'postgres' user (created by the
// Debian package) and the directory is handed to it. Stopped and removed on
// destruction.
//
// Only the superuser gets in without a password (trust, TCP and socket);
// every other role needs a line in PgClusterOptions::hba, so a test proves
// the authentication it configures.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace walguard::testing {

struct PgClusterOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  int port = 0;  // 0: pick a free one
  // Extra postgresql.conf lines.
  std::string extra_conf;
  // pg_hba.conf lines after the superuser's, e.g.
  // "host all walguard 127.0.0.1/32 scram-sha-256".
  std::vector<std::string> hba;
  // PEM server certificate and key: when set they are copied into the data
  // directory (owned by the server's user, 0600) and ssl=on.
  std::string ssl_cert_file;
  std::string ssl_key_file;
};

class PgCluster {
 public:
  PgCluster() = default;
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  Status Start(const PgClusterOptions& options = {});
  Status Stop(const char* mode = "fast");  // pg_ctl -m fast|immediate
  Status Restart(const char* mode = "fast");

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }

  // "host=127.0.0.1 port=N dbname=<db> user=<superuser>"
  std::string ConnInfo(const std::string& dbname) const;
  // The same for another role (no password: see WritePassfile).
  std::string ConnInfo(const std::string& dbname, const std::string& user) const;

  // Writes a libpq passfile (mode 0600, else libpq ignores it) that gives
  // `user` `password` on this cluster's host and port, any database.
  Status WritePassfile(const std::string& path, const std::string& user, const std::string& password) const;

  // Runs SQL (possibly several statements) on `dbname` with the superuser;
  // the first column of the first row of the last result goes to *first_value.
  Status Exec(const std::string& dbname, const std::string& sql, std::string* first_value = nullptr) const;

  // CREATE DATABASE (no-op error if it exists).
  Status CreateDatabase(const std::string& dbname) const;

 private:
  Status WriteHba(const PgClusterOptions& options) const;
  Status InstallSslFiles(const PgClusterOptions& options) const;

  std::string bin_dir_;
  std::string root_dir_;
  std::string data_dir_;
  std::string superuser_;
  std::string run_as_;  // empty, or "postgres" when running as root
  int port_ = 0;
  bool running_ = false;
};

}  // namespace walguard::testing

// PgCluster: a throwaway PostgreSQL 15 for the integration tests and the demo.
//
// initdb in a fresh temporary directory, wal_level=logical, listening on
// 127.0.0.1 at a free port, started with pg_ctl. When the process runs as
// root, the cluster runs as the unprivileged 'postgres' user (created by the
// Debian package) and the directory is handed to it. Stopped and removed on
// destruction.
#pragma once

#include <string>

#include "util/status.h"

namespace walguard::testing {

struct PgClusterOptions {
  std::string bin_dir = "/usr/lib/postgresql/15/bin";
  int port = 0;  // 0: pick a free one
  // Extra postgresql.conf lines.
  std::string extra_conf;
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

  // Runs SQL (possibly several statements) on `dbname` with the superuser;
  // the first column of the first row of the last result goes to *first_value.
  Status Exec(const std::string& dbname, const std::string& sql, std::string* first_value = nullptr) const;

  // CREATE DATABASE (no-op error if it exists).
  Status CreateDatabase(const std::string& dbname) const;

 private:
  std::string bin_dir_;
  std::string root_dir_;
  std::string data_dir_;
  std::string superuser_;
  std::string run_as_;  // empty, or "postgres" when running as root
  int port_ = 0;
  bool running_ = false;
};

}  // namespace walguard::testing

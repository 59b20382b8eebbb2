// `walguard worker`, `approve` and `approvals` on the command line: help,
// the exit codes for bad flags and configuration (1) and for what needs an
// operator (2). No Postgres or Kafka runs here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

class WorkerCliTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    testing::WalguardExit run = testing::RunWalguard(args, tmp_.path(), 1, std::chrono::seconds(30));
    stdout_line_ = run.stdout_lines.empty() ? "" : run.stdout_lines.front();
    stderr_ = run.stderr_text;
    return run.exit_code;
  }

  std::string Config(const std::string& text) {
    const std::string path = tmp_.path() + "/worker-" + std::to_string(++runs_) + ".toml";
    std::ofstream(path) << text;
    return path;
  }

  TempDir tmp_{"wg-worker-cli-test"};
  int runs_ = 0;
  std::string stdout_line_;
  std::string stderr_;
};

TEST_F(WorkerCliTest, HelpNamesTheSubcommands) {
  EXPECT_EQ(Run({"worker", "--help"}), 0);
  EXPECT_THAT(stdout_line_, HasSubstr("walguard.commands"));
  EXPECT_EQ(Run({"approve", "--help"}), 0);
  EXPECT_EQ(Run({"approvals", "--help"}), 0);
}

TEST_F(WorkerCliTest, BadFlagsAndConfigurationExitOne) {
  EXPECT_EQ(Run({"approve", "c1", "--brokers", "127.0.0.1:1"}), 1) << "--by is required";
  EXPECT_EQ(Run({"approve", "--by", "alice", "--brokers", "127.0.0.1:1"}), 1) << "the command id is required";
  EXPECT_EQ(Run({"approvals"}), 1) << "--brokers is required";
  EXPECT_EQ(Run({"worker", "--pg", "host=db password=secret", "--brokers", "127.0.0.1:1"}), 1);
  EXPECT_THAT(stderr_, HasSubstr("password"));
  EXPECT_EQ(Run({"worker", "--config", Config("[worker.modes]\nensure_tickets = \"sometimes\"\n"), "--pg",
                 "host=127.0.0.1 port=1", "--brokers", "127.0.0.1:1"}),
            1);
  EXPECT_THAT(stderr_, HasSubstr("worker.modes.ensure_tickets"));
  EXPECT_EQ(Run({"worker", "--config", Config("[worker.modes]\nno_such_command = \"apply\"\n"), "--pg",
                 "host=127.0.0.1 port=1", "--brokers", "127.0.0.1:1"}),
            1);
  EXPECT_THAT(stderr_, HasSubstr("unknown command type no_such_command"));
  EXPECT_EQ(Run({"worker", "--config", Config("[worker]\nquiet_windows = [\"Friday evening\"]\n"), "--pg",
                 "host=127.0.0.1 port=1", "--brokers", "127.0.0.1:1"}),
            1);
  EXPECT_THAT(stderr_, HasSubstr("Friday evening"));
}

TEST_F(WorkerCliTest, AnUnreachableDatabaseAtStartExitsTwo) {
  EXPECT_EQ(Run({"worker", "--pg", "host=127.0.0.1 port=1 connect_timeout=2", "--brokers", "127.0.0.1:1"}), 2);
  EXPECT_THAT(stderr_, HasSubstr("worker"));
}

}  // namespace
}  // namespace walguard

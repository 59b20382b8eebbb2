// The walguard binary's exit codes, which scripts and supervisors act on:
// 0 for --help, --version and a clean stop; 1 for a bad command line or an
// error; 2 when an operator must act. Runs the built binary; no Postgres or
// Kafka is needed (the state refusal comes before any connection).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "state/state_store.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

class CliTest : public ::testing::Test {
 protected:
  // Runs walguard with `args`; returns its exit code, with its first stdout
  // line and its stderr in stdout_line_ and stderr_.
  int Run(const std::vector<std::string>& args) {
    testing::WalguardExit run = testing::RunWalguard(args, root_, 1);
    stdout_line_ = run.stdout_lines.empty() ? "" : run.stdout_lines.front();
    stderr_ = run.stderr_text;
    return run.exit_code;
  }

  TempDir tmp_{"wg-cli-test"};
  const std::string root_ = tmp_.path();
  std::string stdout_line_;
  std::string stderr_;
};

TEST_F(CliTest, HelpAndVersionExitZero) {
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_THAT(stdout_line_, HasSubstr("walguard"));
  EXPECT_EQ(Run({"run", "--help"}), 0);
  EXPECT_THAT(stdout_line_, HasSubstr("Stream from Postgres"));
  EXPECT_EQ(Run({"--version"}), 0);
  // The source revision: `git describe` at configure time, or "unknown" outside a checkout.
  EXPECT_THAT(stdout_line_, ::testing::MatchesRegex("walguard 0\\.1\\.0 \\(revision [0-9A-Za-z._-]+\\)"));
}

TEST_F(CliTest, EveryBadCommandLineExitsOne) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                           // no subcommand (CLI11: 106)
      {"--no-such-flag"},                           // CLI11: 109
      {"run", "--no-such-flag"},                    // CLI11: 109
      {"run", "--config", root_ + "/absent.toml"},  // CLI11: 105
      {"run", "--slot"},                            // a value missing
      {"broker", "--partitions", "three"},          // not a number
      {"no-such-command"},
  };
  for (const std::vector<std::string>& args : bad) {
    std::string line;
    for (const std::string& a : args) line += a + " ";
    EXPECT_EQ(Run(args), 1) << line;
    EXPECT_FALSE(stderr_.empty()) << line << ": the error must be printed";
  }
}

// A state of another format needs an operator: exit 2, with the way out.
TEST_F(CliTest, AStateOfAnotherFormatExitsTwo) {
  const std::string dir = root_ + "/state";
  {
    std::unique_ptr<StateStore> store;
    ASSERT_TRUE(StateStore::Open(dir, &store).ok());
    auto batch = store->NewBatch();
    batch->Put(keys::kFormatVersion, "999");
    ASSERT_TRUE(store->Commit(batch.get(), true).ok());
  }
  EXPECT_EQ(Run({"run", "--pg", "host=127.0.0.1 port=1 dbname=x", "--sink", "jsonl", "--state-dir", dir}), 2);
  EXPECT_THAT(stderr_, HasSubstr("format version 999"));
  EXPECT_THAT(stderr_, HasSubstr("--resnapshot"));
}

}  // namespace
}  // namespace walguard

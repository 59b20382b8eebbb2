// `walguard run` on a damaged or held state, and `walguard run --verify`:
// the exit codes and messages an operator acts on. Runs the built binary;
// no Postgres or Kafka is needed (the state is refused before any connection).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "tests/support/process.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/state/state_damage.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

class StateIntegrityCliTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    testing::WalguardExit run = testing::RunWalguard(args, root_, 1);
    stderr_ = run.stderr_text;
    return run.exit_code;
  }

  // A state with a table file and a firing alert, as a stopped run leaves it.
  void Populate() {
    for (int round = 0; round < 2; ++round) {
      std::unique_ptr<StateStore> store;
      ASSERT_OK(StateStore::Open(dir_, &store));
      if (round == 1) break;  // the second open flushed the log into a table
      auto batch = store->NewBatch();
      for (int i = 0; i < 500; ++i) batch->Put("R" + std::to_string(i), std::string(300, 'v'));
      batch->Put("Ftier_sold_out:tier:7", "id-7");
      Checkpoint cp;
      cp.lsn = 0x4000;
      cp.snapshot_done = true;
      cp.slot = "walguard";
      batch->SetCheckpoint(cp);
      ASSERT_OK(store->Commit(batch.get(), true));
    }
  }

  std::vector<std::string> RunArgs() const {
    return {"run", "--pg", "host=127.0.0.1 port=1 dbname=x", "--sink", "jsonl", "--state-dir", dir_};
  }

  TempDir tmp_{"wg-integrity-cli"};
  const std::string root_ = tmp_.path();
  const std::string dir_ = root_ + "/state";
  std::string stderr_;
};

TEST_F(StateIntegrityCliTest, VerifyExitsZeroOnAWholeState) {
  Populate();
  EXPECT_EQ(Run({"run", "--verify", "--state-dir", dir_}), 0) << stderr_;
  EXPECT_THAT(stderr_, HasSubstr("is whole: every checksum verified"));
}

TEST_F(StateIntegrityCliTest, VerifyAndAPlainStartExitTwoOnEachDamage) {
  for (StateDamage damage : kAllStateDamages) {
    std::filesystem::remove_all(dir_);
    Populate();
    ASSERT_OK(DamageState(dir_, damage));
    SCOPED_TRACE(StateDamageName(damage));
    EXPECT_EQ(Run({"run", "--verify", "--state-dir", dir_}), 2) << stderr_;
    EXPECT_THAT(stderr_, HasSubstr("walguard run --resnapshot"));
    for (int attempt = 0; attempt < 2; ++attempt) {
      EXPECT_EQ(Run(RunArgs()), 2) << stderr_;
      EXPECT_THAT(stderr_, HasSubstr(StateDamageWords(damage)));
      EXPECT_THAT(stderr_, HasSubstr("walguard run --resnapshot"));
      EXPECT_THAT(stderr_, ::testing::Not(HasSubstr("connected to")));
    }
  }
}

TEST_F(StateIntegrityCliTest, AStateHeldByAnotherWalguardExitsOneNamingIt) {
  Populate();
  std::unique_ptr<StateStore> holder;
  ASSERT_OK(StateStore::Open(dir_, &holder));
  EXPECT_EQ(Run(RunArgs()), 1) << stderr_;
  EXPECT_THAT(stderr_, HasSubstr("another walguard holds " + dir_ + " (pid " + std::to_string(::getpid()) + ")"));
  EXPECT_THAT(stderr_, ::testing::Not(HasSubstr("damaged")));
  EXPECT_EQ(Run({"run", "--verify", "--state-dir", dir_}), 1) << stderr_;
}

}  // namespace
}  // namespace walguard

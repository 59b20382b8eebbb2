// The state store opens only walguard's own, whole state: each damage is a
// Fatal refusal that names it and `walguard run --resnapshot`, every time,
// and never leaves something behind that the next open would accept.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/key_layout.h"
#include "state/handover_file.h"
#include "state/state_dir.h"
#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/state/state_damage.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class StateIntegrityTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = root_ + "/state"; }

  // A state as a run leaves it, with a table file: written, closed, and
  // opened again (RocksDB flushes the recovered log into a table at open).
  void Populate(int rows = 2000) {
    {
      std::unique_ptr<StateStore> store;
      ASSERT_OK(StateStore::Open(dir_, &store));
      auto batch = store->NewBatch();
      for (int i = 0; i < rows; ++i)
        batch->Put("R" + std::to_string(i), std::string(200, static_cast<char>('a' + i % 26)));
      batch->Put("Ftier_sold_out:tier:7", "id-7");
      batch->AppendOutbox({{Topic::kAlerts, "fp", "{}"}}, nullptr);
      Checkpoint cp;
      cp.lsn = 0x4000;
      cp.snapshot_done = true;
      cp.slot = "walguard";
      batch->SetCheckpoint(cp);
      ASSERT_OK(store->Commit(batch.get(), true));
    }
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store));
    ASSERT_FALSE(LargestFile(dir_, ".sst").empty());
  }

  TempDir tmp_;
  const std::string root_ = tmp_.path();
  std::string dir_;
};

class StateDamageTest : public StateIntegrityTest, public testing::WithParamInterface<StateDamage> {};

TEST_P(StateDamageTest, IsRefusedEveryTimeNamingTheDamageAndResnapshot) {
  Populate();
  ASSERT_OK(DamageState(dir_, GetParam()));
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<StateStore> store;
    Status s = StateStore::Open(dir_, &store);
    ASSERT_TRUE(s.IsFatal()) << "attempt " << attempt << ": " << s.ToString();
    EXPECT_EQ(store, nullptr);
    EXPECT_THAT(s.message(), HasSubstr(dir_));
    EXPECT_THAT(s.message(), HasSubstr(StateDamageWords(GetParam())));
    EXPECT_THAT(s.message(), HasSubstr("walguard run --resnapshot"));
  }
  // The refusals created no database over the damaged one.
  if (GetParam() == StateDamage::kCurrentDeleted) {
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/CURRENT"));
  }
}

TEST_P(StateDamageTest, TheProbeFindsItWithoutWriting) {
  Populate();
  ASSERT_OK(DamageState(dir_, GetParam()));
  std::vector<std::string> before;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) before.push_back(e.path().filename().string());
  StateProbe probe;
  ASSERT_OK(StateStore::Probe(dir_, &probe));
  EXPECT_TRUE(probe.has_database);
  // Another format version is not damage: --resnapshot rebuilds it in place.
  if (GetParam() == StateDamage::kFutureFormat) {
    EXPECT_THAT(probe.damage, IsEmpty());
  } else {
    EXPECT_THAT(probe.damage, testing::Not(IsEmpty()));
  }
  std::vector<std::string> after;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) after.push_back(e.path().filename().string());
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(before, after);
}

INSTANTIATE_TEST_SUITE_P(EachDamage, StateDamageTest, testing::ValuesIn(kAllStateDamages),
                         [](const testing::TestParamInfo<StateDamage>& info) { return StateDamageName(info.param); });

TEST_F(StateIntegrityTest, AWholeStateProbesClean) {
  Populate();
  StateProbe probe;
  ASSERT_OK(StateStore::Probe(dir_, &probe));
  EXPECT_TRUE(probe.has_database);
  EXPECT_THAT(probe.damage, IsEmpty());
  StateProbe none;
  ASSERT_OK(StateStore::Probe(root_ + "/absent", &none));
  EXPECT_FALSE(none.has_database);
}

TEST_F(StateIntegrityTest, KeysWithoutFormatVersionOrCheckpointAreNotOurs) {
  {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store));
    auto batch = store->NewBatch();
    batch->Put("Atier", "aggregate");
    batch->Delete(keys::kFormatVersion);
    ASSERT_OK(store->Commit(batch.get(), true));
  }
  std::unique_ptr<StateStore> store;
  Status s = StateStore::Open(dir_, &store);
  ASSERT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("neither a format version nor a checkpoint"));
  EXPECT_THAT(s.message(), HasSubstr("--resnapshot"));
}

TEST_F(StateIntegrityTest, AStateHeldInThisProcessIsNotCalledDamaged) {
  std::unique_ptr<StateStore> first;
  ASSERT_OK(StateStore::Open(dir_, &first));
  std::unique_ptr<StateStore> second;
  Status s = StateStore::Open(dir_, &second);
  ASSERT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("another walguard holds " + dir_));
  EXPECT_THAT(s.message(), testing::Not(HasSubstr("damaged")));
}

TEST_F(StateIntegrityTest, AStateHeldByAnotherProcessNamesItsPid) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::unique_ptr<StateStore> store;
    const char ok = StateStore::Open(dir_, &store).ok() ? 'y' : 'n';
    if (::write(ready[1], &ok, 1) != 1) ::_exit(1);
    ::pause();  // holds the state until killed
    ::_exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  std::unique_ptr<StateStore> store;
  Status s = StateStore::Open(dir_, &store);
  StateProbe probe;
  Status probed = StateStore::Probe(dir_, &probe);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_EQ(s.code(), Status::Code::kIOError) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("another walguard holds " + dir_ + " (pid " + std::to_string(child) + ")"));
  EXPECT_EQ(probed.code(), Status::Code::kIOError) << probed.ToString();
  // Once the holder is gone the state opens.
  ASSERT_OK(StateStore::Open(dir_, &store));
}

TEST_F(StateIntegrityTest, DailyVerificationRunsOncePerDay) {
  Populate();
  {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store, StateOpenOptions{.verify = VerifyOnOpen::kAlways}));
    EXPECT_GT(store->verify_micros(), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/verified-at"));
  {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store, StateOpenOptions{.verify = VerifyOnOpen::kDaily}));
    EXPECT_EQ(store->verify_micros(), 0) << "verified again within the day";
  }
  std::filesystem::remove(dir_ + "/verified-at");
  std::unique_ptr<StateStore> store;
  ASSERT_OK(StateStore::Open(dir_, &store, StateOpenOptions{.verify = VerifyOnOpen::kDaily}));
  EXPECT_GT(store->verify_micros(), 0) << "no marker: verification is due";
}

TEST_F(StateIntegrityTest, MovingAsideKeepsEveryFileAndTheHandover) {
  Populate();
  std::vector<std::string> database;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (IsDatabaseFileName(e.path().filename().string())) database.push_back(e.path().filename().string());
  }
  std::filesystem::create_directories(dir_ + "/archive");
  std::string moved_to;
  ASSERT_OK(MoveDatabaseAside(dir_, WallClockNow(), &moved_to));
  EXPECT_THAT(moved_to, HasSubstr(dir_ + "/damaged-"));
  for (const std::string& name : database) {
    EXPECT_TRUE(std::filesystem::exists(moved_to + "/" + name)) << name;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/" + name)) << name;
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/archive"));
  EXPECT_TRUE(std::filesystem::exists(HandoverFilePath(dir_)));
  EXPECT_TRUE(std::filesystem::exists(HandoverFilePath(moved_to)));
  // The moved database still reads, read-only: the handover of last resort.
  std::vector<FiringAlert> firing;
  ASSERT_OK(StateStore::ReadFiringReadOnly(moved_to, &firing));
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0].fingerprint, "tier_sold_out:tier:7");
  EXPECT_EQ(firing[0].alert_id, "id-7");
  // And a fresh state opens in the directory it left.
  std::unique_ptr<StateStore> store;
  ASSERT_OK(StateStore::Open(dir_, &store));
  Checkpoint cp;
  EXPECT_TRUE(store->ReadCheckpoint(&cp).IsNotFound());
}

// The cost of the checksum verification at open, for the README: a state of
// `kBytes` of incompressible values, verified once.
TEST_F(StateIntegrityTest, VerificationCostPerGiB) {
  constexpr int kValueBytes = 4096;
  constexpr int kValues = 16384;  // 64 MiB
  std::mt19937_64 random(7);
  {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store, StateOpenOptions{.verify = VerifyOnOpen::kNever}));
    for (int b = 0; b < kValues / 1024; ++b) {
      auto batch = store->NewBatch();
      for (int i = 0; i < 1024; ++i) {
        std::string value(kValueBytes, '\0');
        for (size_t j = 0; j < value.size(); j += 8) {
          const uint64_t r = random();
          std::memcpy(value.data() + j, &r, 8);
        }
        batch->Put("R" + std::to_string(b * 1024 + i), value);
      }
      ASSERT_OK(store->Commit(batch.get(), false));
    }
  }
  {
    std::unique_ptr<StateStore> flushed;  // the recovered log becomes table files
    ASSERT_OK(StateStore::Open(dir_, &flushed, StateOpenOptions{.verify = VerifyOnOpen::kNever}));
  }
  uint64_t sst_bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (e.path().extension() == ".sst") sst_bytes += e.file_size();
  }
  ASSERT_GT(sst_bytes, uint64_t{32} << 20);
  std::unique_ptr<StateStore> store;
  ASSERT_OK(StateStore::Open(dir_, &store, StateOpenOptions{.verify = VerifyOnOpen::kAlways}));
  ASSERT_GT(store->verify_micros(), 0);
  const double ms = static_cast<double>(store->verify_micros()) / 1000.0;
  const double gib = static_cast<double>(sst_bytes) / (1 << 30);
  std::printf("state verification at open: %.1f ms for %.1f MiB of tables = %.0f ms per GiB\n", ms,
              static_cast<double>(sst_bytes) / (1 << 20), ms / gib);
}

}  // namespace
}  // namespace walguard

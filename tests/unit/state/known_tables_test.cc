// `verify_on_open = "changed"`: an open reads the table files it cannot
// vouch for, and only those. A file known whole (read whole, or written by a
// walguard that stopped cleanly) is not read again while its stamp holds;
// any write to it, a file left unknown by an open that verified nothing, or
// a missing record makes it read again. Some tests wait past
// kStampSettleNanos: a stamp younger than that is never trusted.
#include "state/known_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "state/state_store.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/state/state_damage.h"
#include "util/time.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

void WaitForStampsToSettle() {
  std::this_thread::sleep_for(std::chrono::nanoseconds(kStampSettleNanos) + std::chrono::milliseconds(100));
}

class KnownTablesTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.path() + "/state"; }

  // Opens with `mode`, writes `rows` rows into a table file (flushed), closes.
  void WriteRows(int first, int rows, VerifyOnOpen mode = VerifyOnOpen::kChanged) {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store, {.verify = mode}));
    auto batch = store->NewBatch();
    for (int i = first; i < first + rows; ++i) batch->Put("R" + std::to_string(i), std::string(200, 'v'));
    Checkpoint cp;
    cp.lsn = 0x4000 + static_cast<Lsn>(first);
    cp.snapshot_done = true;
    cp.slot = "walguard";
    batch->SetCheckpoint(cp);
    ASSERT_OK(store->Commit(batch.get(), true));
    ASSERT_OK(store->FlushMemtables());
  }

  VerifyReport OpenAndClose(VerifyOnOpen mode = VerifyOnOpen::kChanged) {
    std::unique_ptr<StateStore> store;
    const Status s = StateStore::Open(dir_, &store, {.verify = mode});
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() ? store->verify_report() : VerifyReport{};
  }

  TempDir tmp_;
  std::string dir_;
};

TEST_F(KnownTablesTest, ASettledCleanStateIsNotReadAgain) {
  WriteRows(0, 2000);
  VerifyReport first = OpenAndClose();
  EXPECT_FALSE(first.full) << "verified whole at the first open, within the day";
  EXPECT_GE(first.files, 1u) << "written moments before the close: too fresh to be trusted";
  WaitForStampsToSettle();
  OpenAndClose();  // reads them once more, now settled, and records them
  const VerifyReport again = OpenAndClose();
  EXPECT_EQ(again.files, 0u);
  EXPECT_EQ(again.micros, 0);
  EXPECT_FALSE(ReadKnownTables(dir_).empty());
}

TEST_F(KnownTablesTest, BytesOverwrittenInAKnownFileAreFoundAtTheNextOpen) {
  WriteRows(0, 2000);
  WaitForStampsToSettle();
  OpenAndClose();
  ASSERT_EQ(OpenAndClose().files, 0u) << "every file known whole";
  ASSERT_OK(DamageState(dir_, StateDamage::kSstBytesOverwritten));
  std::unique_ptr<StateStore> store;
  const Status s = StateStore::Open(dir_, &store);
  ASSERT_TRUE(s.IsFatal()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("checksum"));
  EXPECT_THAT(s.message(), HasSubstr("walguard run --resnapshot"));
}

TEST_F(KnownTablesTest, TablesWrittenDuringARunAreKnownAfterItsCleanStop) {
  WriteRows(0, 2000);
  WaitForStampsToSettle();
  OpenAndClose();
  const TableStamps before = ReadKnownTables(dir_);
  ASSERT_FALSE(before.empty());
  {
    std::unique_ptr<StateStore> store;
    ASSERT_OK(StateStore::Open(dir_, &store));
    ASSERT_EQ(store->verify_report().files, 0u);
    auto batch = store->NewBatch();
    for (int i = 5000; i < 7000; ++i) batch->Put("R" + std::to_string(i), std::string(200, 'w'));
    ASSERT_OK(store->Commit(batch.get(), true));
    // A new table file, written by this store (and, with the one before it, compacted into another).
    ASSERT_OK(store->FlushMemtables());
    WaitForStampsToSettle();
  }
  EXPECT_NE(ReadKnownTables(dir_), before);
  EXPECT_EQ(OpenAndClose().files, 0u) << "the new table was trusted as written, not read";
}

TEST_F(KnownTablesTest, FilesAnOpenDidNotVerifyStayUnknown) {
  WriteRows(0, 2000);
  WaitForStampsToSettle();
  std::filesystem::remove(dir_ + "/known-tables");
  // Nothing read and nothing recorded: these files are not known whole.
  const VerifyReport never = OpenAndClose(VerifyOnOpen::kNever);
  EXPECT_EQ(never.files, 0u);
  EXPECT_TRUE(ReadKnownTables(dir_).empty());
  const VerifyReport changed = OpenAndClose();
  EXPECT_GE(changed.files, 1u);
  EXPECT_FALSE(changed.full);
}

TEST_F(KnownTablesTest, TheFullVerificationStillComesOnceADay) {
  WriteRows(0, 2000);
  WaitForStampsToSettle();
  OpenAndClose();
  ASSERT_EQ(OpenAndClose().files, 0u);
  std::filesystem::remove(dir_ + "/verified-at");  // as if the last one were a day old
  const VerifyReport due = OpenAndClose();
  EXPECT_TRUE(due.full);
  EXPECT_GE(due.files, 1u);
  EXPECT_FALSE(OpenAndClose().full);
}

TEST_F(KnownTablesTest, AlwaysReadsEverythingEveryTime) {
  WriteRows(0, 2000);
  WaitForStampsToSettle();
  OpenAndClose();
  for (int i = 0; i < 2; ++i) {
    const VerifyReport always = OpenAndClose(VerifyOnOpen::kAlways);
    EXPECT_TRUE(always.full);
    EXPECT_GE(always.files, 1u);
    EXPECT_GT(always.bytes, 0u);
  }
}

TEST(KnownTablesRecord, KeepsOnlySettledStampsAndDropsAnUnreadableRecord) {
  TempDir tmp;
  const int64_t now = WallClockNow() * 1000;
  TableStamps stamps;
  stamps["000007.sst"] = TableStamp{.size = 4096, .inode = 12, .ctime_ns = now - 2 * kStampSettleNanos};
  stamps["000009.sst"] = TableStamp{.size = 8192, .inode = 13, .ctime_ns = now - kStampSettleNanos / 2};
  ASSERT_OK(WriteKnownTables(tmp.path(), stamps, now));
  const TableStamps back = ReadKnownTables(tmp.path());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.at("000007.sst"), stamps["000007.sst"]);
  tmp.Write("known-tables", "000007.sst 4096 12\n");
  EXPECT_TRUE(ReadKnownTables(tmp.path()).empty());
  tmp.Write("known-tables", "000007.sst 4096 12 5 extra\n");
  EXPECT_TRUE(ReadKnownTables(tmp.path()).empty());
}

TEST(KnownTablesRecord, AStampChangesWithEveryWrite) {
  TempDir tmp;
  const std::string path = tmp.Write("000001.sst", std::string(4096, 'a'));
  TableStamp before;
  ASSERT_OK(StampTable(tmp.path(), "000001.sst", &before));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the kernel's timestamp tick
  tmp.Write("000001.sst", std::string(4096, 'b'));             // same size, same inode
  TableStamp after;
  ASSERT_OK(StampTable(tmp.path(), "000001.sst", &after));
  EXPECT_EQ(after.size, before.size);
  EXPECT_NE(after, before);
  EXPECT_TRUE(StampTable(tmp.path(), "000002.sst", &after).IsNotFound());
}

}  // namespace
}  // namespace walguard

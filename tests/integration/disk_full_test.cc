// A full disk under the state directory, end to end, on a 24 MiB tmpfs
// mounted there (root only; skipped otherwise). state_disk_low fires while
// there is still room; filled under load, walguard stays up, stops reading
// and says why, acknowledges nothing it has not saved, and resumes by itself
// once the filler is deleted, with nothing lost and no alert id fired twice.
// A start on a full disk waits the same way instead of aborting.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/crash_checks.h"
#include "tests/integration/environment.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kTiers = 40;
const std::string kEvent = "e0000000-0000-4000-8000-000000000002";
// state_disk_low's threshold in these tests: a third of the filesystem.
constexpr char kConfig[] =
    "[state]\ndisk_low_bytes = 8388608\n[postgres]\nmonitor_interval_s = 1\nstatus_interval_ms = 1000\n";

std::string TierId(int i) {
  char id[40];
  std::snprintf(id, sizeof(id), "7e000000-0000-4000-8000-%012d", i);
  return id;
}

std::string HealthyTiers() {
  std::string sql = "INSERT INTO ticketing.events (id, title) VALUES ('" + kEvent + "', 'x');";
  for (int i = 1; i <= kTiers; ++i) {
    sql += "INSERT INTO ticketing.ticket_tiers (id, event_id, name, price_cents, quantity) VALUES ('" + TierId(i) +
           "', '" + kEvent + "', 'T" + std::to_string(i) + "', 1000, 1000);";
  }
  return sql;
}

// A tmpfs of `size` mounted on `dir` for the test's life; unmounted even when
// the test fails.
class Tmpfs {
 public:
  Tmpfs(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directories(dir);
    const std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes zeros into `path` until the filesystem refuses (a full disk), or
// `leave` bytes remain free (then it stops before).
void Fill(const std::string& path, uint64_t leave = 0) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  std::ofstream out(path, std::ios::binary | std::ios::app);
  const std::string chunk(64 << 10, '\0');
  for (int i = 0; i < 100000; ++i) {
    const std::filesystem::space_info space = std::filesystem::space(dir);
    if (leave > 0 && space.available <= leave + chunk.size()) break;
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    out.flush();
    if (!out) break;
  }
}

// The contract's messages (CheckPublished knows their commands); state_disk_low,
// walguard's own and without a command, is checked on its own.
std::vector<Published> ContractMessages(const std::vector<Published>& all) {
  std::vector<Published> out;
  for (const Published& p : all) {
    if (p.type != "state_disk_low") out.push_back(p);
  }
  return out;
}

// What the state directory holds, by the bytes each file takes on the disk
// (st_blocks: preallocated space counts), for a failure's message.
std::string Listing(const std::string& dir) {
  std::string out;
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st = {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const uint64_t used = static_cast<uint64_t>(st.st_blocks) * 512;
    total += used;
    out += "  " + std::to_string(used) + " on disk, " + std::to_string(st.st_size) +
           " long: " + it->path().lexically_relative(dir).string() + "\n";
  }
  return dir + " (" + std::to_string(total) + " bytes on disk):\n" + out;
}

bool WaitForLog(WalguardHarness* h, const std::string& text, seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (h->WalguardLogSinceStart().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string ConfirmedFlush(WalguardHarness* h) {
  std::string lsn;
  EXPECT_TRUE(
      h->Sql("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + h->slot() + "'", &lsn)
          .ok());
  return lsn;
}

// Drift on every tier, then fixed: 2 alerts per tier (firing, resolved).
Status Traffic(WalguardHarness* h, int round) {
  for (int i = 1; i <= kTiers; ++i) {
    WG_RETURN_IF_ERROR(h->Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = " + std::to_string(round + 1) +
                              ", name = repeat('n', 2000) WHERE id = '" + TierId(i) + "'"));
    WG_RETURN_IF_ERROR(
        h->Sql("UPDATE ticketing.ticket_tiers SET reserved_quantity = 0 WHERE id = '" + TierId(i) + "'"));
  }
  return Status::OK();
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(h_.SetUp());
    tmpfs_ = std::make_unique<Tmpfs>(h_.state_dir(), "24m");
    if (!tmpfs_->mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << tmpfs_->error();
    filler_ = h_.state_dir() + "/filler";
    ASSERT_OK(h_.Sql(HealthyTiers()));
  }
  void TearDown() override {
    h_.StopWalguard();
    Status dropped = h_.DropSlot();
    if (!dropped.ok()) std::fprintf(stderr, "drop slot: %s\n", dropped.ToString().c_str());
    tmpfs_.reset();
  }

  WalguardHarness h_;
  std::unique_ptr<Tmpfs> tmpfs_;
  std::string filler_;
};

// After the filler goes, the backlog is applied at once: RocksDB's log
// keeps every write since the last flush (about 12 MiB here), which on this
// disk is enough to fire state_disk_low again unless the disk watch flushes
// the state first (DiskWatch::GiveBackIfLow); the check that it fired once
// is that.
TEST_F(DiskFullTest, FilledUnderLoadItWaitsAndResumesByItself) {
  ASSERT_OK(h_.StartWalguard(kConfig));
  // Low, not full: the alert comes first.
  Fill(filler_, uint64_t{5} << 20);
  const std::vector<Published> low = h_.WaitFor("state_disk_low", "firing", 1, seconds(20));
  ASSERT_EQ(low.size(), 1u) << h_.WalguardLog();
  EXPECT_EQ(low[0].entity_kind, "state_dir");
  EXPECT_EQ(low[0].entity_id, h_.state_dir());

  // Full, under load.
  Fill(filler_);
  int rounds = 0;
  for (; rounds < 20 && !WaitForLog(&h_, "disk full: cannot commit the state", seconds(0)); ++rounds) {
    ASSERT_OK(Traffic(&h_, rounds));
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(WaitForLog(&h_, "disk full: cannot commit the state in " + h_.state_dir(), seconds(20)))
      << h_.WalguardLog();
  const std::string log = h_.WalguardLogSinceStart();
  EXPECT_NE(log.find("walguard needs about"), std::string::npos) << log;
  EXPECT_NE(log.find("Not reading the WAL and acknowledging nothing new"), std::string::npos) << log;
  EXPECT_NE(log.find("(on " + h_.state_dir() + ", which has "), std::string::npos) << log;
  // It waits: still there, retrying, and the slot does not move.
  const std::string confirmed = ConfirmedFlush(&h_);
  ASSERT_OK(Traffic(&h_, rounds++));
  std::this_thread::sleep_for(seconds(3));
  const std::string waiting = h_.WalguardLogSinceStart();
  EXPECT_GE(Count(waiting, "disk full:"), 2u) << waiting;
  EXPECT_EQ(waiting.find("critical"), std::string::npos) << waiting;
  EXPECT_EQ(ConfirmedFlush(&h_), confirmed) << "the slot moved while nothing could be saved";

  // Room again: it goes on by itself.
  std::filesystem::remove(filler_);
  ASSERT_TRUE(WaitForLog(&h_, "disk space is back", seconds(30))) << h_.WalguardLog();
  ASSERT_OK(h_.CatchUp(seconds(90)));
  const std::vector<Published> all = h_.All();
  StreamSummary summary;
  EXPECT_EQ(CheckPublished(ContractMessages(all), &summary), "");
  // Nothing lost: every round's drift fired and resolved on every tier.
  EXPECT_EQ(h_.WaitFor("tier_reserved_drift", "firing", kTiers * rounds, seconds(30)).size(),
            static_cast<size_t>(kTiers * rounds));
  EXPECT_EQ(h_.WaitFor("tier_reserved_drift", "resolved", kTiers * rounds, seconds(30)).size(),
            static_cast<size_t>(kTiers * rounds));
  const std::vector<Published> resolved = h_.WaitFor("state_disk_low", "resolved", 1, seconds(20));
  ASSERT_EQ(resolved.size(), 1u) << Listing(h_.state_dir()) << h_.WalguardLog();
  EXPECT_EQ(resolved[0].alert_id, low[0].alert_id);
  const std::vector<Published> fired = h_.WaitFor("state_disk_low", "firing", 1, seconds(0));
  std::string payloads;
  for (const Published& p : fired) payloads += p.payload + "\n";
  EXPECT_EQ(fired.size(), 1u) << "fired once, no flapping:\n" << payloads << Listing(h_.state_dir());
  EXPECT_EQ(h_.StopWalguard(), 0) << h_.WalguardLogSinceStart();
}

TEST_F(DiskFullTest, AStartOnAFullDiskWaitsForRoom) {
  ASSERT_OK(h_.StartWalguard(kConfig));
  ASSERT_OK(Traffic(&h_, 0));
  ASSERT_OK(h_.CatchUp());
  ASSERT_EQ(h_.StopWalguard(), 0);
  ASSERT_OK(Traffic(&h_, 1));  // waiting in the slot
  Fill(filler_);
  ASSERT_OK(h_.LaunchWalguard({}, kConfig));
  ASSERT_TRUE(WaitForLog(&h_, "disk full: cannot open the state in " + h_.state_dir(), seconds(20)))
      << h_.WalguardLog();
  std::this_thread::sleep_for(seconds(2));
  const std::string log = h_.WalguardLogSinceStart();
  EXPECT_EQ(log.find("streaming from slot"), std::string::npos) << log;
  EXPECT_EQ(log.find("critical"), std::string::npos) << log;
  std::filesystem::remove(filler_);
  ASSERT_OK(h_.WaitStreaming(seconds(60)));
  ASSERT_OK(h_.CatchUp());
  EXPECT_EQ(h_.WaitFor("tier_reserved_drift", "resolved", 2 * kTiers, seconds(30)).size(),
            static_cast<size_t>(2 * kTiers));
  StreamSummary summary;
  EXPECT_EQ(CheckPublished(ContractMessages(h_.All()), &summary), "");
  EXPECT_EQ(h_.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

// `walguard state` on a state built by the Engine (through the Replayer,
// which applies records as the live pipeline does) and still held open by
// it, as a running walguard holds its own: the firing set, an entity's
// figures and verdicts, and the exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "app/replay_command.h"
#include "app/replayer.h"
#include "app/state_command.h"
#include "core/key_layout.h"
#include "state/state_store.h"
#include "tests/support/process.h"
#include "tests/unit/app/replay_fixture.h"
#include "util/time.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The first commit 902 applies: reserved 9 against 5 held.
constexpr Micros kDriftTime = kT0 + 60 * kMicrosPerSecond + 1;

class StateCommandTest : public ::testing::Test {
 protected:
  // Applies kTierDriftWal through commit `last_xid` to the Replayer's state.
  void BuildState(uint32_t last_xid) {
    ASSERT_TRUE(Replayer::Open(Thresholds{}, &replayer_).ok());
    const std::string wal = dir_.Write("wal.jsonl", kTierDriftWal);
    Notes notes;
    SourceReport report;
    const std::atomic<bool> never{false};
    Status s = SourceOf("", wal, &never, notes.file())(
        [&](const ArchiveRecord& record, bool* stop) -> Status {
          WG_RETURN_IF_ERROR(replayer_->Apply(record, &published_));
          *stop = record.kind == ArchiveRecordKind::kTransaction && record.txn.xid == last_xid;
          return Status::OK();
        },
        &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = replayer_->CommitPending();  // the state as a live run would have committed it
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Runs the command over the Replayer's state (held open by it).
  int Run(const std::string& entity, bool json) {
    StateCommandOptions options;
    options.state_dir = replayer_->dir() + "/state";
    options.entity = entity;
    options.json = json;
    return Run(options);
  }

  int Run(const StateCommandOptions& options) {
    Notes out, err;
    const int code = StateCommand(options, Config{}, out.file(), err.file());
    out_ = out.Read();
    err_ = err.Read();
    return code;
  }

  TempDir dir_;
  std::unique_ptr<Replayer> replayer_;
  std::vector<OutMessage> published_;  // what the live run would have published
  std::string out_, err_;
};

TEST_F(StateCommandTest, FiringShowsTheDriftingTierWithClockAndNoAge) {
  BuildState(902);
  ASSERT_EQ(Run("", /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("wal_clock":")" + FormatTimestamp(kDriftTime) + R"(")"));
  EXPECT_THAT(out_, HasSubstr(R"("type":"tier_reserved_drift","entity_kind":"tier","entity_id":")" + kTier +
                              R"(","fingerprint":"tier_reserved_drift:tier:)" + kTier + R"("})"));
  EXPECT_THAT(out_, HasSubstr(R"("checkpoint_lsn":null)"));  // the Replayer keeps no checkpoint
  EXPECT_EQ(out_.back(), '\n');
  EXPECT_EQ(out_.find('\n'), out_.size() - 1);  // one object, one line

  ASSERT_EQ(Run("", /*json=*/false), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("wal clock  " + FormatTimestamp(kDriftTime)));
  EXPECT_THAT(out_, HasSubstr("firing     1 (age unknown"));
  EXPECT_THAT(out_, HasSubstr("tier_reserved_drift  tier:" + kTier));
}

TEST_F(StateCommandTest, TheAlertIdIsTheOneThatFired) {
  BuildState(902);
  StateView view;
  std::unique_ptr<StateStore> store;
  TempDir scratch;
  ASSERT_TRUE(StateStore::OpenReadOnly(replayer_->dir() + "/state", scratch.path(), &store).ok());
  ASSERT_TRUE(ReadStateView(store.get(), &view).ok());
  ASSERT_EQ(view.firing.size(), 1u);
  EXPECT_EQ(view.firing[0].type, "tier_reserved_drift");
  EXPECT_EQ(view.firing[0].entity_kind, "tier");
  EXPECT_EQ(view.firing[0].entity_id, kTier);
  ASSERT_FALSE(view.firing[0].alert.alert_id.empty());
  int alerts = 0;
  for (const OutMessage& m : published_) {
    if (m.topic != Topic::kAlerts) continue;
    ++alerts;
    EXPECT_EQ(m.key, view.firing[0].alert.fingerprint);
    EXPECT_THAT(m.payload, HasSubstr(R"("alert_id":")" + view.firing[0].alert.alert_id + R"(")"));
  }
  EXPECT_EQ(alerts, 1);
  ASSERT_EQ(Run("", /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("alert_id":")" + view.firing[0].alert.alert_id + R"(")"));
}

TEST_F(StateCommandTest, EntityShowsFiguresVerdictsAndItsFiringAlert) {
  BuildState(902);
  ASSERT_EQ(Run("tier:" + kTier, /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("entity":"tier:)" + kTier + R"(")"));
  EXPECT_THAT(out_, HasSubstr(R"("figures":{"quantity":100,"reserved":9,"issued":0,"available":91,)"));
  EXPECT_THAT(out_, HasSubstr(R"(},"context":{"event_title":null,"tier_name":null,"price_cents":null},"rules":{)"));
  EXPECT_THAT(out_, HasSubstr(R"("tier_reserved_drift":true)"));
  EXPECT_THAT(out_, HasSubstr(R"("fingerprint":"tier_reserved_drift:tier:)" + kTier));

  ASSERT_EQ(Run("tier:" + kTier, /*json=*/false), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("\ncontext    {\"event_title\":null,\"tier_name\":null,\"price_cents\":null}\nrules"));
  EXPECT_THAT(out_, HasSubstr("tier_reserved_drift=TRUE"));
  EXPECT_THAT(out_, HasSubstr(R"("reserved":9)"));

  // Another entity: its own verdicts, none of the tier's alerts.
  ASSERT_EQ(Run("event:" + kEvent, /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("firing":[])"));
}

TEST_F(StateCommandTest, ARepairedTierIsNoLongerFiring) {
  BuildState(903);
  ASSERT_EQ(Run("", /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("firing":[])"));
  EXPECT_THAT(out_, Not(HasSubstr("tier_reserved_drift")));
  ASSERT_EQ(Run("tier:" + kTier, /*json=*/true), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("reserved":5)"));
  EXPECT_THAT(out_, HasSubstr(R"("tier_reserved_drift":false)"));
}

TEST_F(StateCommandTest, ExitCodes) {
  BuildState(902);
  EXPECT_EQ(Run("nonsense", /*json=*/false), 1);
  EXPECT_THAT(err_, HasSubstr("--entity nonsense"));
  EXPECT_TRUE(out_.empty());

  StateCommandOptions missing;
  missing.state_dir = dir_.path() + "/no-such-state";
  EXPECT_EQ(Run(missing), 1);
  EXPECT_THAT(err_, HasSubstr("no walguard state in " + missing.state_dir));

  // A state of another format version: refused with Open's message.
  std::unique_ptr<StateStore> other;
  const std::string other_dir = dir_.path() + "/other";
  ASSERT_TRUE(StateStore::Open(other_dir, &other).ok());
  std::unique_ptr<StateBatch> batch = other->NewBatch();
  batch->Put(keys::kFormatVersion, "99");
  ASSERT_TRUE(other->Commit(batch.get(), /*sync=*/true).ok());
  StateCommandOptions foreign;
  foreign.state_dir = other_dir;
  EXPECT_EQ(Run(foreign), 2);
  EXPECT_THAT(err_, HasSubstr("has format version 99, but this walguard reads format version"));
}

// Through the binary, while the Replayer still holds the state open: the
// flags main.cc parses reach the command.
TEST_F(StateCommandTest, TheBinaryReadsAStateHeldOpen) {
  BuildState(902);
  const auto run = [&](const std::vector<std::string>& args, std::vector<std::string>* lines) {
    std::vector<std::string> argv = {testing::WalguardBinary(), "state"};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::ChildProcess child;
    Status s = child.Start(argv, dir_.path() + "/stderr");
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::string line;
    while (child.ReadLine(std::chrono::seconds(20), &line).ok()) lines->push_back(line);
    return child.Wait(std::chrono::seconds(20));
  };
  const std::string state_dir = replayer_->dir() + "/state";
  std::vector<std::string> lines;
  ASSERT_EQ(run({"--state-dir", state_dir, "--json"}, &lines), 0);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(R"("fingerprint":"tier_reserved_drift:tier:)" + kTier));
  lines.clear();
  ASSERT_EQ(run({"--state-dir", state_dir, "--entity", "tier:" + kTier, "--json"}, &lines), 0);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(R"("tier_reserved_drift":true)"));
  lines.clear();
  EXPECT_EQ(run({"--state-dir", state_dir, "--firing", "--entity", "tier:" + kTier}, &lines), 1);
  EXPECT_EQ(run({"--entity", "tier:" + kTier}, &lines), 1);  // no --state-dir
  EXPECT_TRUE(lines.empty());
}

}  // namespace
}  // namespace walguard

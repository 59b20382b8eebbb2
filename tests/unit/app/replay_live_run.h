// The live side of the replay-from-checkpoint tests (replay_checkpoint_test.cc,
// replay_recorded_settings_test.cc): a run that writes the archive as
// `walguard run` does, and the tier update it is fed.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/archiver.h"
#include "app/recorded_thresholds.h"
#include "app/source_watch.h"
#include "processors/dead_letter.h"
#include "processors/engine.h"
#include "processors/own_checks.h"
#include "state/state_store.h"
#include "tests/unit/app/replay_fixture.h"

namespace walguard {

// The tier's whole row with `reserved`, as one source transaction at `lsn`.
inline Transaction TierUpdate(Lsn lsn, Micros at, int reserved) {
  return TierUpdateTransaction(lsn, at, reserved, static_cast<uint32_t>(900 + reserved));
}

// The live run's side: engine, state store and archiver as the pipeline
// wires them (app/pipeline.cc, app/bootstrap.cc), one committed batch a step.
class LiveRun {
 public:
  LiveRun(const std::string& root, const Thresholds& thresholds) : thresholds_(thresholds), engine_(thresholds) {
    options_.dir = root + "/archive";
    options_.checkpoint_interval = kMicrosPerMinute;
    options_.thresholds = RecordThresholds(thresholds);
    EXPECT_TRUE(StateStore::Open(root + "/state", &store_).ok());
    archiver_ = std::make_unique<Archiver>(options_, store_.get());
    EXPECT_TRUE(archiver_->Open(kT0).ok());
    EXPECT_TRUE(engine_.Load(store_->NewBatch().get()).ok());
  }
  ~LiveRun() { archiver_.reset(); }

  const std::string& archive() const { return options_.dir; }
  const std::vector<OutMessage>& emitted() const { return emitted_; }

  void Snapshot(Lsn lsn) {
    Step(
        [&](StateBatch* batch, std::vector<OutMessage>* out) {
          const std::vector<ArchiveRecord> records = SnapshotRecords(lsn, 5, {});
          engine_.BeginSnapshot(kT0);
          archiver_->RecordSnapshotBegin(kT0, lsn, {}, batch);
          for (size_t i = 1; i + 1 < records.size(); ++i) {
            WG_RETURN_IF_ERROR(engine_.ApplySnapshotRow(records[i].row, batch, out));
            archiver_->RecordSnapshotRow(records[i].row, batch);
          }
          WG_RETURN_IF_ERROR(engine_.FinishSnapshot(lsn, batch, kT0, out));
          archiver_->RecordSnapshotEnd(lsn, batch);
          return Status::OK();
        },
        lsn);
  }

  void Apply(const Transaction& txn) {
    Step(
        [&](StateBatch* batch, std::vector<OutMessage>* out) {
          WG_RETURN_IF_ERROR(engine_.ApplyTransaction(txn, batch, txn.commit_time, out));
          archiver_->RecordTransaction(txn, batch);
          return Status::OK();
        },
        txn.end_lsn);
  }

  void ObserveLag(const LagSample& sample) {
    Step(
        [&](StateBatch* batch, std::vector<OutMessage>* out) {
          WG_RETURN_IF_ERROR(ReconcileLag(sample, thresholds_, position_, batch, sample.wal_clock, out));
          archiver_->RecordOwnCheck("replication_lag", EncodeLagObservation(sample), position_, sample.wal_clock,
                                    batch);
          return Status::OK();
        },
        position_);
  }

  void ObserveDisk(const DiskSample& sample) {
    Step(
        [&](StateBatch* batch, std::vector<OutMessage>* out) {
          WG_RETURN_IF_ERROR(ReconcileStateDiskLow(sample, position_, batch, sample.wal_clock, out));
          archiver_->RecordOwnCheck("state_disk_low", EncodeDiskObservation(sample), position_, sample.wal_clock,
                                    batch);
          return Status::OK();
        },
        position_);
  }

  void Undecodable(Lsn wal_start) {
    Step(
        [&](StateBatch* batch, std::vector<OutMessage>* out) {
          out->push_back(RecordDeadLetter("unknown action 'X'", wal_start, R"({"action":"X"})"));
          archiver_->RecordOwnMessage(out->back(), wal_start, engine_.clock(), batch);
          return Status::OK();
        },
        position_);
  }

  // Seals everything (a boundary), writing a checkpoint when one is due.
  void Seal(Micros now) { ASSERT_TRUE(archiver_->Flush(now).ok()); }

 private:
  template <typename Body>
  void Step(Body body, Lsn lsn) {
    auto batch = store_->NewBatch();
    std::vector<OutMessage> out;
    Status s = body(batch.get(), &out);
    ASSERT_TRUE(s.ok()) << s.ToString();
    position_ = lsn;
    batch->SetCheckpoint(Checkpoint{lsn, true, "system", "walguard"});
    ASSERT_TRUE(store_->Commit(batch.get(), /*sync=*/true).ok());
    emitted_.insert(emitted_.end(), out.begin(), out.end());
  }

  Thresholds thresholds_;
  Engine engine_;
  ArchiverOptions options_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Archiver> archiver_;
  std::vector<OutMessage> emitted_;
  Lsn position_ = 0;
};

}  // namespace walguard

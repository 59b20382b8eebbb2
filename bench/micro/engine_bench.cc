// The engine (processors/engine.h) applying the drain workload's
// transactions, on MemoryKv (rules and in-memory state) and on a RocksDB
// StateStore (the state path walguard runs on), beside copying the same
// transactions (every string of every change allocated and copied once).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "bench/replay/timed_kv.h"
#include "bench/support/checkout_workload.h"
#include "config/config.h"
#include "processors/engine.h"
#include "state/state_store.h"
#include "tests/support/memory_kv.h"

namespace walguard::bench {
namespace {

constexpr int kPool = 500;  // transactions generated ahead, outside the timed region

// Feeds consecutive workload transactions, generating the next pool with
// the timer paused.
class Feed {
 public:
  const Transaction& Next(benchmark::State& state) {
    if (next_ == pool_.size()) {
      state.PauseTiming();
      pool_.clear();
      for (int i = 0; i < kPool; ++i) pool_.push_back(workload_.Next());
      next_ = 0;
      state.ResumeTiming();
    }
    return pool_[next_++];
  }
  Transaction Catalog() { return workload_.Catalog(); }
  int changes_per_transaction() const { return workload_.changes_per_transaction(); }

 private:
  CheckoutWorkload workload_;
  std::vector<Transaction> pool_;
  size_t next_ = 0;
};

// Calls per change and wall ns per call of each kind, as counters.
void CountCalls(benchmark::State& state, const TimedKv& kv, int64_t changes) {
  static constexpr const char* kNames[] = {"get", "put", "delete", "scan"};
  for (int op = 0; op < TimedKv::kOps; ++op) {
    const auto o = static_cast<TimedKv::Op>(op);
    const double calls = static_cast<double>(kv.calls(o));
    state.counters[std::string(kNames[op]) + "/chg"] = calls / static_cast<double>(changes);
    if (calls > 0) state.counters[std::string(kNames[op]) + "_ns"] = kv.seconds(o) * 1e9 / calls;
  }
}

void BM_CopyTransaction(benchmark::State& state) {
  Feed feed;
  for (auto _ : state) {
    Transaction copy = feed.Next(state);
    benchmark::DoNotOptimize(copy.changes.data());
  }
  state.SetItemsProcessed(state.iterations() * feed.changes_per_transaction());
}
BENCHMARK(BM_CopyTransaction);

void BM_EngineMemoryKv(benchmark::State& state) {
  Feed feed;
  MemoryKv memory;
  TimedKv kv(&memory);
  Engine engine{Thresholds()};
  std::vector<OutMessage> out;
  if (!engine.Load(&kv).ok() || !engine.ApplyTransaction(feed.Catalog(), &kv, 0, &out).ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  for (auto _ : state) {
    const Transaction& txn = feed.Next(state);
    out.clear();
    if (!engine.ApplyTransaction(txn, &kv, txn.commit_time, &out).ok()) state.SkipWithError("apply failed");
  }
  state.SetItemsProcessed(state.iterations() * feed.changes_per_transaction());
  CountCalls(state, kv, state.iterations() * feed.changes_per_transaction());
}
BENCHMARK(BM_EngineMemoryKv);

// Arg: 1 commits each transaction synced, as the live pipeline's group
// commit does (one group per transaction: the worst case); 0 unsynced.
void BM_EngineStateStore(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/walguard-bench-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    Feed feed;
    std::unique_ptr<StateStore> store;
    Engine engine{Thresholds()};
    std::vector<OutMessage> out;
    if (!StateStore::Open(dir + "/state", &store).ok()) {
      state.SkipWithError("open failed");
      return;
    }
    std::unique_ptr<StateBatch> batch = store->NewBatch();
    TimedKv kv(batch.get());
    if (!engine.Load(&kv).ok() || !engine.ApplyTransaction(feed.Catalog(), &kv, 0, &out).ok() ||
        !store->Commit(batch.get(), sync).ok()) {
      state.SkipWithError("setup failed");
      return;
    }
    for (auto _ : state) {
      const Transaction& txn = feed.Next(state);
      out.clear();
      if (!engine.ApplyTransaction(txn, &kv, txn.commit_time, &out).ok()) state.SkipWithError("apply failed");
      if (!store->Commit(batch.get(), sync).ok()) state.SkipWithError("commit failed");
    }
    state.SetItemsProcessed(state.iterations() * feed.changes_per_transaction());
    CountCalls(state, kv, state.iterations() * feed.changes_per_transaction());
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_EngineStateStore)->Arg(0)->Arg(1);

}  // namespace
}  // namespace walguard::bench

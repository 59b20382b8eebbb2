// What the workers of one Workload share: the catalog of entities they sell
// (events with their tiers, rental units) and the gate that pauses them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "workload/random.h"

namespace walguard::workload {

struct TierInfo {
  std::string id;
  std::string event_id;
  int64_t price_cents = 0;
};

struct EventInfo {
  std::string id;
  std::vector<TierInfo> tiers;
};

// Entities are added only after the transaction creating them committed, so
// whatever a worker picks exists for every other connection.
class Catalog {
 public:
  void AddEvent(EventInfo event);
  void AddUnit(std::string unit_id);
  // Picks among the most recent ones: sales concentrate there, which keeps
  // workers contending for the same rows while older tiers sell out.
  bool PickEvent(Rng* rng, EventInfo* out) const;
  bool PickTier(Rng* rng, TierInfo* out) const;
  bool PickUnit(Rng* rng, std::string* out) const;
  // Whether the database has pg_cron's tables (set by the seeder, before the
  // workers start).
  void EnableCron() { cron_ = true; }
  bool HasCron() const { return cron_; }

 private:
  mutable std::mutex mu_;
  std::vector<EventInfo> events_;
  std::vector<std::string> units_;
  std::atomic<bool> cron_{false};
};

// Workers pass through the gate around every transaction; Pause() closes it
// and waits until no worker is inside.
class PauseGate {
 public:
  // Blocks while paused; false once stopping.
  bool Enter();
  void Leave();

  void Pause();
  void Resume();
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;
  bool stopping_ = false;
  int inside_ = 0;
};

}  // namespace walguard::workload

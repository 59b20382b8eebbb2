#include "app/run_board.h"

#include <utility>

namespace walguard {

const char* RunPhaseName(RunPhase phase) {
  switch (phase) {
    case RunPhase::kStarting:
      return "starting";
    case RunPhase::kSnapshot:
      return "snapshot";
    case RunPhase::kStreaming:
      return "streaming";
    case RunPhase::kReconnecting:
      return "reconnecting";
    case RunPhase::kStopping:
      return "stopping";
  }
  return "starting";
}

void CountByTable(std::span<const Change> changes, std::vector<TableCount>* counts, std::vector<bool>* touched) {
  for (const Change& c : changes) {
    if (c.table.empty()) continue;  // a logical message
    size_t i = 0;
    while (i < counts->size() &&
           !((*counts)[i].table.size() == c.schema.size() + 1 + c.table.size() &&
             (*counts)[i].table.starts_with(c.schema) && (*counts)[i].table[c.schema.size()] == '.' &&
             (*counts)[i].table.ends_with(c.table))) {
      ++i;
    }
    if (i == counts->size()) counts->push_back(TableCount{c.schema + "." + c.table, 0, 0});
    TableCount& t = (*counts)[i];
    ++t.changes;
    if (i >= touched->size()) touched->resize(i + 1, false);
    if (!(*touched)[i]) ++t.transactions;
    (*touched)[i] = true;
  }
}

uint64_t LagBytes(const RunFigures& f) {
  const Lsn done = f.applied > f.acked ? f.applied : f.acked;
  return f.server > done ? f.server - done : 0;
}

double LagSeconds(const RunFigures& f, Micros now) {
  if (LagBytes(f) == 0 || f.last_commit_time == 0 || now < f.last_commit_time) return 0;
  return static_cast<double>(now - f.last_commit_time) / kMicrosPerSecond;
}

void RunBoard::Publish(RunFigures figures, Micros now) {
  published_at_ = now;
  std::lock_guard lock(mu_);
  figures_ = std::move(figures);
}

void RunBoard::SetPhase(RunPhase phase, bool snapshot_done) {
  std::lock_guard lock(mu_);
  figures_.phase = phase;
  figures_.snapshot_done = snapshot_done;
}

void RunBoard::SetOutboxBound(int64_t bound) {
  std::lock_guard lock(mu_);
  figures_.outbox_bound = bound;
}

RunFigures RunBoard::Read() const {
  std::lock_guard lock(mu_);
  return figures_;
}

}  // namespace walguard

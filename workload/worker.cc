#include "workload/worker.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace walguard::workload {

namespace {
// A deadlock victim retries this often before the worker gives up.
constexpr int kMaxAttempts = 20;
}  // namespace

Worker::Worker(const WorkloadOptions& options, uint64_t stream, Catalog* catalog)
    : options_(options), catalog_(catalog), rng_(options.seed, stream), cron_rng_(options.seed, stream + kCronStream) {}

Status Worker::Connect() {
  return pg_.Connect(options_.conninfo);
}

Status Worker::Seed(int events, int units) {
  // The lookups of runbook 000 section 8 and the workload's own, so that
  // long runs do not slow down as the tables grow (indexes are not in the WAL
  // stream: walguard is unaffected).
  static const char* const kTicketingIndexes =
      "CREATE INDEX IF NOT EXISTS wl_holds_tier ON ticketing.ticket_holds (tier_id);"
      "CREATE INDEX IF NOT EXISTS wl_items_order ON ticketing.order_items (order_id);"
      "CREATE INDEX IF NOT EXISTS wl_tickets_order ON ticketing.tickets (order_id);"
      "CREATE INDEX IF NOT EXISTS wl_tickets_tier ON ticketing.tickets (tier_id);"
      "CREATE INDEX IF NOT EXISTS wl_tiers_event ON ticketing.ticket_tiers (event_id);";
  static const char* const kReserveIndexes =
      "CREATE INDEX IF NOT EXISTS wl_reservations_unit ON reserve.reservations (unit_id);"
      "CREATE INDEX IF NOT EXISTS wl_reservations_intent ON reserve.reservations (booking_intent_id);"
      "CREATE INDEX IF NOT EXISTS wl_payments_intent ON reserve.payments (booking_intent_id);"
      "CREATE INDEX IF NOT EXISTS wl_ledger_tx ON reserve.ledger_entries (transaction_id);";
  if (options_.ticketing) WG_RETURN_IF_ERROR(pg_.ExecScript(kTicketingIndexes));
  if (options_.reserve) WG_RETURN_IF_ERROR(pg_.ExecScript(kReserveIndexes));
  for (int i = 0; i < events && options_.ticketing; ++i) WG_RETURN_IF_ERROR(CreateEvent());
  for (int i = 0; i < units && options_.reserve; ++i) WG_RETURN_IF_ERROR(AddUnit());
  // Old incidents are faults too: healthy traffic (fault_rate 0) has none.
  if (options_.reserve && options_.fault_rate > 0) WG_RETURN_IF_ERROR(SeedOldIncidents());
  return SeedCron();
}

void Worker::Run(PauseGate* gate) {
  Status s = Connect();
  const auto pace = options_.max_ops_per_second > 0 ? std::chrono::microseconds(1'000'000 / options_.max_ops_per_second)
                                                    : std::chrono::microseconds(0);
  while (s.ok() && gate->Enter()) {
    const auto started = std::chrono::steady_clock::now();
    s = Step();
    gate->Leave();
    if (pace.count() > 0) std::this_thread::sleep_until(started + pace);
  }
  std::lock_guard<std::mutex> l(mu_);
  status_ = s;
}

Status Worker::status() const {
  std::lock_guard<std::mutex> l(mu_);
  return status_;
}

WorkloadStats Worker::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Status Worker::Step() {
  // Decided on the cron stream: without the cron schema, rng_ draws as before.
  if (catalog_->HasCron() && cron_rng_.Chance(kCronShare)) return StepCron();
  const bool ticketing = options_.ticketing && (!options_.reserve || rng_.Chance(0.5));
  const FaultSchema schema = ticketing ? FaultSchema::kTicketing : FaultSchema::kReserve;
  if (options_.fault_rate > 0 && rng_.Chance(options_.fault_rate)) {
    // A kind of the chosen schema, by weight.
    int total = 0;
    for (int k = 0; k < kFaultKindCount; ++k) {
      if (SchemaOf(static_cast<FaultKind>(k)) == schema) total += FaultWeight(static_cast<FaultKind>(k));
    }
    int64_t r = static_cast<int64_t>(rng_.Uniform(total));
    for (int k = 0; k < kFaultKindCount; ++k) {
      const FaultKind kind = static_cast<FaultKind>(k);
      if (SchemaOf(kind) != schema) continue;
      r -= FaultWeight(kind);
      if (r < 0) return RunFault(kind);
    }
  }
  return RunOne(ticketing ? TicketingOps() : ReserveOps());
}

Status Worker::RunFault(FaultKind kind) {
  Status s = IsTicketingFault(kind) ? InjectTicketingFault(kind) : InjectReserveFault(kind);
  if (s.ok()) CountFault(kind);
  return s.IsNotFound() ? Status::OK() : s;
}

Status Worker::RunOne(const std::vector<WeightedOp>& ops) {
  int total = 0;
  for (const WeightedOp& op : ops) total += op.weight;
  int64_t r = static_cast<int64_t>(rng_.Uniform(total));
  for (const WeightedOp& op : ops) {
    r -= op.weight;
    if (r < 0) {
      Status s = (this->*op.op)();
      // NotFound: the operation had nothing to act on; not an error.
      return s.IsNotFound() ? Status::OK() : s;
    }
  }
  return Status::OK();
}

Status Worker::Txn(const std::function<Status()>& body) {
  for (int attempt = 1;; ++attempt) {
    Status s = pg_.Exec("BEGIN");
    if (s.ok()) s = body();
    if (s.ok()) s = pg_.Exec("COMMIT");
    if (s.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      ++stats_.transactions;
      return s;
    }
    Status rolled_back = pg_.Exec("ROLLBACK");
    if (!rolled_back.ok()) return rolled_back;
    std::lock_guard<std::mutex> l(mu_);
    if (s.IsNotFound()) {
      ++stats_.declined;
      return s;
    }
    if (!s.IsUnavailable() || attempt >= kMaxAttempts) return s;
    ++stats_.retries;
  }
}

Status Worker::Sql(std::string_view sql, const std::vector<std::string>& params, Rows* rows) {
  return pg_.Exec(sql, params, rows);
}

Status Worker::SqlRow(std::string_view sql, const std::vector<std::string>& params, Rows* rows) {
  Rows local;
  Rows* out = rows != nullptr ? rows : &local;
  WG_RETURN_IF_ERROR(pg_.Exec(sql, params, out));
  return out->affected > 0 ? Status::OK() : Status::NotFound("no row");
}

void Worker::CountFault(FaultKind kind) {
  std::lock_guard<std::mutex> l(mu_);
  ++stats_.faults[static_cast<int>(kind)];
}

void Worker::Damaged(FaultKind kind, std::string entity, std::string detail) {
  constexpr size_t kMaxDamages = 64;
  if (damages_.size() >= kMaxDamages) damages_.erase(damages_.begin());
  damages_.push_back({kind, std::move(entity), std::move(detail)});
}

bool Worker::TakeDamage(bool ticketing, Damage* out) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < damages_.size(); ++i) {
    if (IsTicketingFault(damages_[i].kind) == ticketing) candidates.push_back(i);
  }
  if (candidates.empty()) return false;
  const size_t index = candidates[rng_.Uniform(candidates.size())];
  *out = damages_[index];
  damages_.erase(damages_.begin() + static_cast<std::ptrdiff_t>(index));
  return true;
}

void Worker::CountRepair() {
  std::lock_guard<std::mutex> l(mu_);
  ++stats_.repairs;
}

std::string Worker::Cents(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

}  // namespace walguard::workload

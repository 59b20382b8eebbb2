#include "workload/workload.h"

#include <string>

#include "workload/worker.h"

namespace walguard {

namespace {

struct FaultInfo {
  const char* name;
  const char* rule;
  FaultSchema schema;
  // Relative frequency. A provider-wide fault breaks one of only three
  // entities: at the others' rate they would keep all three firing for good
  // and never exercise the resolved path.
  int weight;
};

// Indexed by FaultKind.
constexpr FaultInfo kFaults[kFaultKindCount] = {
    {"stuck_hold", "stuck_holds", FaultSchema::kTicketing, 10},
    {"reserved_without_hold", "tier_reserved_drift", FaultSchema::kTicketing, 10},
    {"issued_off", "tier_issued_drift", FaultSchema::kTicketing, 10},
    {"oversized_hold", "high_reserved", FaultSchema::kTicketing, 10},
    {"expired_holds_sell_out", "false_sold_out", FaultSchema::kTicketing, 10},
    {"oversold_hold", "negative_available", FaultSchema::kTicketing, 10},
    {"stale_pending_order", "stale_pending_orders", FaultSchema::kTicketing, 10},
    {"paid_without_tickets", "paid_without_tickets", FaultSchema::kTicketing, 10},
    {"extra_ticket", "order_overissued", FaultSchema::kTicketing, 10},
    {"total_off", "revenue_mismatch", FaultSchema::kTicketing, 10},
    {"ledger_missing_entry", "ledger_imbalance", FaultSchema::kReserve, 10},
    {"ledger_duplicate_entry", "ledger_imbalance", FaultSchema::kReserve, 10},
    {"double_booking", "overbooking", FaultSchema::kReserve, 10},
    {"calendar_off", "calendar_drift", FaultSchema::kReserve, 10},
    {"payment_without_reservation", "payment_without_reservation", FaultSchema::kReserve, 10},
    {"stuck_processing", "stuck_payment", FaultSchema::kReserve, 10},
    {"pix_pending", "pix_pending", FaultSchema::kReserve, 10},
    {"double_charge", "double_charge", FaultSchema::kReserve, 10},
    {"failed_payment_burst", "failed_payment_rate", FaultSchema::kReserve, 1},
    {"webhook_failures", "webhook_failures", FaultSchema::kReserve, 1},
    {"webhook_stuck", "webhook_failures", FaultSchema::kReserve, 1},
    {"silent_provider", "webhook_silence", FaultSchema::kReserve, 1},
    {"calendar_overcommitted", "calendar_overcommitted", FaultSchema::kReserve, 10},
    {"past_overbooking", "(none: a past night)", FaultSchema::kReserve, 5},
    {"cron_failed", "cron_job_failed", FaultSchema::kCron, 10},
    {"cron_slow", "cron_job_slow", FaultSchema::kCron, 10},
    {"cron_missed", "cron_job_missed", FaultSchema::kCron, 10},
};

}  // namespace

const char* FaultName(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].name;
}
const char* FaultRule(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].rule;
}
bool IsTicketingFault(FaultKind kind) {
  return SchemaOf(kind) == FaultSchema::kTicketing;
}
FaultSchema SchemaOf(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].schema;
}
int FaultWeight(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].weight;
}

uint64_t WorkloadStats::total_faults() const {
  uint64_t total = 0;
  for (uint64_t n : faults) total += n;
  return total;
}

void WorkloadStats::Add(const WorkloadStats& other) {
  transactions += other.transactions;
  declined += other.declined;
  retries += other.retries;
  repairs += other.repairs;
  for (int k = 0; k < kFaultKindCount; ++k) faults[k] += other.faults[k];
}

std::string WorkloadStats::ToString() const {
  std::string out = "transactions=" + std::to_string(transactions) + " declined=" + std::to_string(declined) +
                    " retries=" + std::to_string(retries) + " repairs=" + std::to_string(repairs) +
                    " faults=" + std::to_string(total_faults());
  std::string kinds;
  for (int k = 0; k < kFaultKindCount; ++k) {
    if (faults[k] == 0) continue;
    kinds += (kinds.empty() ? "" : ", ") + std::string(kFaults[k].name) + "=" + std::to_string(faults[k]);
  }
  return kinds.empty() ? out : out + " (" + kinds + ")";
}

Workload::Workload(WorkloadOptions options)
    : options_(std::move(options)),
      catalog_(std::make_unique<workload::Catalog>()),
      gate_(std::make_unique<workload::PauseGate>()) {}

Workload::~Workload() {
  // A destructor cannot report: Stop() was called by whoever wanted its status.
  Status ignored = Stop();
  (void)ignored;
}

Status Workload::Seed() {
  // Stream 0 seeds; worker i draws from stream i + 1.
  workload::Worker seeder(options_, 0, catalog_.get());
  WG_RETURN_IF_ERROR(seeder.Connect());
  return seeder.Seed(options_.initial_events, options_.initial_units);
}

Status Workload::Start() {
  if (!threads_.empty()) return Status::InvalidArgument("workload already started");
  if (!options_.ticketing && !options_.reserve) return Status::InvalidArgument("workload drives no schema");
  WG_RETURN_IF_ERROR(Seed().WithContext("seeding the workload"));
  for (int i = 0; i < options_.threads; ++i) {
    workers_.push_back(std::make_unique<workload::Worker>(options_, static_cast<uint64_t>(i) + 1, catalog_.get()));
  }
  for (auto& worker : workers_) {
    threads_.emplace_back([w = worker.get(), gate = gate_.get()] { w->Run(gate); });
  }
  return Status::OK();
}

void Workload::Pause() {
  gate_->Pause();
}

void Workload::Resume() {
  gate_->Resume();
}

Status Workload::Stop() {
  gate_->Stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  for (const auto& worker : workers_) {
    Status s = worker->status();
    if (!s.ok()) return s.WithContext("workload worker");
  }
  return Status::OK();
}

WorkloadStats Workload::stats() const {
  WorkloadStats total;
  for (const auto& worker : workers_) total.Add(worker->stats());
  return total;
}

}  // namespace walguard

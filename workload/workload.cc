#include "workload/workload.h"

#include <string>

#include "workload/worker.h"

namespace walguard {

namespace {

struct FaultInfo {
  const char* name;
  const char* rule;
  bool ticketing;
  // Relative frequency. A provider-wide fault breaks one of only three
  // entities: at the others' rate they would keep all three firing for good
  // and never exercise the resolved path.
  int weight;
};

// Indexed by FaultKind.
constexpr FaultInfo kFaults[kFaultKindCount] = {
    {"stuck_hold", "stuck_holds", true, 10},
    {"reserved_without_hold", "tier_reserved_drift", true, 10},
    {"issued_off", "tier_issued_drift", true, 10},
    {"oversized_hold", "high_reserved", true, 10},
    {"expired_holds_sell_out", "false_sold_out", true, 10},
    {"oversold_hold", "negative_available", true, 10},
    {"stale_pending_order", "stale_pending_orders", true, 10},
    {"paid_without_tickets", "paid_without_tickets", true, 10},
    {"extra_ticket", "order_overissued", true, 10},
    {"total_off", "revenue_mismatch", true, 10},
    {"ledger_missing_entry", "ledger_imbalance", false, 10},
    {"ledger_duplicate_entry", "ledger_imbalance", false, 10},
    {"double_booking", "overbooking", false, 10},
    {"calendar_off", "calendar_drift", false, 10},
    {"payment_without_reservation", "payment_without_reservation", false, 10},
    {"stuck_processing", "stuck_payment", false, 10},
    {"pix_pending", "pix_pending", false, 10},
    {"double_charge", "double_charge", false, 10},
    {"failed_payment_burst", "failed_payment_rate", false, 1},
    {"webhook_failures", "webhook_failures", false, 1},
    {"webhook_stuck", "webhook_failures", false, 1},
    {"silent_provider", "webhook_silence", false, 1},
    {"calendar_overcommitted", "calendar_overcommitted", false, 10},
    {"past_overbooking", "(none: a past night)", false, 5},
};

}  // namespace

const char* FaultName(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].name;
}
const char* FaultRule(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].rule;
}
bool IsTicketingFault(FaultKind kind) {
  return kFaults[static_cast<int>(kind)].ticketing;
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

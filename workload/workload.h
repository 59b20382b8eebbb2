// Workload: randomized, concurrent traffic against a real Postgres holding
// the ticketing (runbook 000) and Reserve Connect (runbook 002) schemas, for
// the differential test and the benchmarks.
//
// Each worker thread owns one libpq connection and runs a loop of random
// operations, one explicit transaction each. Healthy operations follow the
// runbooks and keep every invariant of docs/reference.md section 3 under
// concurrency (atomic counter updates, per-unit advisory locks, calendar
// upserts and balanced ledgers in the same transaction as what they account
// for). With probability `fault_rate` an operation is instead a fault: one
// injector per rule, each leaving the database in a state that rule reports.
// Corrective operations (the runbooks' fixes, what the alerts' commands ask
// for) later undo some of the faults a worker injected, so alerts resolve
// as well as fire.
//
// Where the database has pg_cron's tables (or plain ones of their shape:
// cron_tables.h), a share of the operations schedules, runs and unschedules
// cron jobs, with faults of their own (cron_ops.cc); they draw from a random
// stream of their own, so the other tables' operations stay what the seed made
// them without the cron schema.
//
// Every timestamp a rule measures is written far from its rule's deadline
// (overdue = an hour past, healthy = fresh or a day ahead), so a checker's
// now() and walguard's WAL clock agree on every condition for runs of up to
// about 15 minutes.
//
// A seed fixes each worker's sequence of random choices and the ids it
// generates (worker i draws from seed+i); the interleaving of the workers is
// up to the scheduler.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "util/status.h"

namespace walguard {

// One injector per contract rule (ledger_imbalance and webhook_failures have
// two ways to break each).
enum class FaultKind : int {
  kStuckHold,                  // stuck_holds
  kReservedWithoutHold,        // tier_reserved_drift
  kIssuedOff,                  // tier_issued_drift
  kOversizedHold,              // high_reserved
  kExpiredHoldsSellOut,        // false_sold_out
  kOversoldHold,               // negative_available
  kStalePendingOrder,          // stale_pending_orders
  kPaidWithoutTickets,         // paid_without_tickets
  kExtraTicket,                // order_overissued
  kTotalOff,                   // revenue_mismatch
  kLedgerMissingEntry,         // ledger_imbalance
  kLedgerDuplicateEntry,       // ledger_imbalance
  kDoubleBooking,              // overbooking
  kCalendarOff,                // calendar_drift
  kPaymentWithoutReservation,  // payment_without_reservation
  kStuckProcessing,            // stuck_payment
  kPixPending,                 // pix_pending
  kDoubleCharge,               // double_charge
  kFailedPaymentBurst,         // failed_payment_rate
  kWebhookFailures,            // webhook_failures (>= 5 failed)
  kWebhookStuck,               // webhook_failures (processing for 10 min)
  kSilentProvider,             // webhook_silence
  kCalendarOvercommitted,      // calendar_overcommitted
  kPastOverbooking,            // overbooking on a past night: must page for nothing
  kCronFailed,                 // cron_job_failed
  kCronSlow,                   // cron_job_slow
  kCronMissed,                 // cron_job_missed
  kCount
};

// Which tables a fault breaks. Cron faults are drawn apart from the others
// (cron_ops.cc), only where the database has a `cron` schema.
enum class FaultSchema : int { kTicketing, kReserve, kCron };

constexpr int kFaultKindCount = static_cast<int>(FaultKind::kCount);
const char* FaultName(FaultKind kind);
const char* FaultRule(FaultKind kind);  // the contract rule type it breaks
bool IsTicketingFault(FaultKind kind);
FaultSchema SchemaOf(FaultKind kind);
int FaultWeight(FaultKind kind);  // relative frequency among its schema's kinds

struct WorkloadOptions {
  std::string conninfo;  // libpq keyword string or URI
  uint64_t seed = 1;
  int threads = 4;
  double fault_rate = 0.05;  // probability that an operation is a fault
  bool ticketing = true;     // drive the ticketing schema
  bool reserve = true;       // drive the reserve schema
  // Entities created before the workers start; more are added while running.
  int initial_events = 3;
  int initial_units = 8;
  // 0: as fast as the database allows; else a cap per worker.
  int max_ops_per_second = 0;
};

struct WorkloadStats {
  uint64_t transactions = 0;  // committed
  uint64_t declined = 0;      // operations that found nothing to do and rolled back
  uint64_t retries = 0;       // deadlocks and serialization failures retried
  uint64_t repairs = 0;       // corrective operations that undid a fault
  std::array<uint64_t, kFaultKindCount> faults{};

  uint64_t total_faults() const;
  void Add(const WorkloadStats& other);
  // "transactions=... declined=... retries=... faults=N (stuck_hold=.., ...)".
  std::string ToString() const;
};

namespace workload {
class Catalog;
class Worker;
class PauseGate;
}  // namespace workload

class Workload {
 public:
  explicit Workload(WorkloadOptions options);
  ~Workload();  // stops the workers if still running
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Seeds the initial events, tiers and units, then starts the workers.
  Status Start();
  // Returns once every worker is idle between transactions and will start
  // no new one until Resume().
  void Pause();
  void Resume();
  // Stops and joins the workers; returns the first error a worker hit.
  Status Stop();

  // Totals over all workers so far.
  WorkloadStats stats() const;

 private:
  Status Seed();

  const WorkloadOptions options_;
  std::unique_ptr<workload::Catalog> catalog_;
  std::unique_ptr<workload::PauseGate> gate_;
  std::vector<std::unique_ptr<workload::Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace walguard

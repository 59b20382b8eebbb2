// Worker: one thread of a Workload. Owns a connection, a random stream and
// what it has created and may still act on (its open holds, its paid orders,
// its payments in flight, ...). Every operation is one transaction, so the
// gate can pause the worker between any two of them.
//
// Operations are split by schema and by kind: ticketing_ops.cc,
// reserve_ops.cc (healthy), ticketing_faults.cc, reserve_faults.cc (faults)
// and ticketing_repairs.cc, reserve_repairs.cc (corrective operations).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "workload/pg_session.h"
#include "workload/random.h"
#include "workload/shared.h"
#include "workload/workload.h"

namespace walguard::workload {

class Worker {
 public:
  // stream: which random stream of the seed this worker draws from.
  Worker(const WorkloadOptions& options, uint64_t stream, Catalog* catalog);

  Status Connect();
  // Creates the initial events, tiers and units (run once, before the workers).
  Status Seed(int events, int units);
  // The thread body: runs operations until the gate says stop or one fails.
  void Run(PauseGate* gate);

  Status status() const;
  WorkloadStats stats() const;

 private:
  using Op = Status (Worker::*)();
  struct WeightedOp {
    int weight;
    Op op;
  };

  struct Hold {
    std::string id;
    TierInfo tier;
    int64_t quantity = 0;
    std::string order_id;  // set once checked out into a pending order
  };
  struct Payment {
    std::string id, intent_id, provider, method;
    int64_t amount_cents = 0;
  };
  struct LedgerLeg {
    std::string account, direction;
    int64_t cents = 0;
  };
  // What a fault broke, for the corrective operations (what the commands of
  // the firing alerts would do): entity ids, by kind.
  struct Damage {
    FaultKind kind = FaultKind::kCount;
    std::string entity, detail;
  };
  struct Reservation {
    std::string id, unit_id, status;
  };

  // worker.cc
  Status Step();
  Status RunFault(FaultKind kind);
  // Runs one operation of `ops`, drawn by weight.
  Status RunOne(const std::vector<WeightedOp>& ops);
  // Runs `body` as one transaction. body returns OK to commit or NotFound to
  // roll back (nothing to do: reported as NotFound). Deadlocks and
  // serialization failures run body again, so body must draw no randomness
  // and change no local state; callers update local state after OK.
  Status Txn(const std::function<Status()>& body);
  Status Sql(std::string_view sql, const std::vector<std::string>& params = {}, Rows* rows = nullptr);
  // Like Sql, NotFound when the statement touched no row.
  Status SqlRow(std::string_view sql, const std::vector<std::string>& params = {}, Rows* rows = nullptr);
  void CountFault(FaultKind kind);
  void Damaged(FaultKind kind, std::string entity, std::string detail = "");
  // Removes and returns a random damage of one schema; false when none.
  bool TakeDamage(bool ticketing, Damage* out);
  void CountRepair();
  static std::string Cents(int64_t cents);  // 12345 -> "123.45"

  // ticketing_ops.cc
  static const std::vector<WeightedOp>& TicketingOps();
  Status CreateEvent();
  Status PlaceHold();
  Status Checkout();
  Status PayOrder();
  Status AbandonOrder();
  Status EndHold();
  Status DirectPurchase();
  Status RefundOrder();
  Status CheckInTicket();
  Status ArchiveHold();
  Status TouchTier();
  Status InsertTickets(const std::string& order_id, const std::string& tier_id, int64_t count,
                       const std::string& id_base);

  // reserve_ops.cc
  static const std::vector<WeightedOp>& ReserveOps();
  Status AddUnit();
  Status StartBooking();
  Status ProcessPayment();
  Status ReceiveWebhook();
  Status CompleteWebhook();
  Status SettlePayment();
  Status FailPayment(const Payment& p);
  Status AdvanceReservation();
  Status EndReservation();
  Status UpdateCalendar();
  Status LockUnit(const std::string& unit_id);
  // Whether every night of [in, out) has an active reservation fewer than
  // its allotment (1 without a calendar row). Call under LockUnit.
  Status UnitFree(const std::string& unit, const std::string& in, const std::string& out, bool* free);
  // The reservation and its nights in the calendar (upserted).
  Status InsertReservation(const std::string& id, const std::string& intent, const std::string& unit,
                           const std::string& in, const std::string& out);
  // One ledger transaction (id derived from `base`) with these entries.
  Status InsertLedger(const std::string& base, const std::string& entry_type, const std::vector<LedgerLeg>& legs);
  // A booking's split: the guest pays, the host gets 85 %, the platform the rest.
  static std::vector<LedgerLeg> BookingLegs(int64_t cents);
  static const char* const kActiveStatuses;  // SQL list of the active reservation statuses

  // ticketing_faults.cc
  Status InjectTicketingFault(FaultKind kind);
  Status FaultHold(FaultKind kind);
  Status FaultCounter(FaultKind kind);
  Status FaultOrder(FaultKind kind);

  // ticketing_repairs.cc
  Status RepairTicketing();
  Status LockEventTiers(const std::string& event_id);
  Status CleanupExpiredHolds(const std::string& event_id);
  Status ReconcileEvent(const std::string& event_id);
  Status ReleaseHold(const std::string& hold_id);
  Status ExpirePendingOrders(const std::string& event_id);
  Status EnsureTickets(const std::string& order_id);
  Status VoidExtraTickets(const std::string& order_id);
  Status CorrectTotal(const std::string& order_id);

  // reserve_repairs.cc
  Status RepairReserve();
  Status CorrectLedger(const std::string& base, bool duplicate);
  Status CancelDuplicateBookings(const std::string& base, const std::string& unit);
  Status RecalculateCalendar(const std::string& unit);
  Status FinalizeReservation(const std::string& payment_id);
  Status CancelPayment(const std::string& payment_id);
  Status RefundDuplicateCharge(const std::string& intent_id);
  Status CompleteWebhooks(const std::string& base, int count);

  // reserve_faults.cc
  Status InjectReserveFault(FaultKind kind);
  Status FaultLedger(FaultKind kind);
  Status FaultDoubleBooking();
  Status FaultCalendarOff();
  Status FaultPayment(FaultKind kind);
  Status FaultDoubleCharge();
  Status FaultFailedPaymentBurst();
  Status FaultWebhooks(FaultKind kind);
  Status FaultSilentProvider();
  Status FaultCalendarOvercommitted();
  Status FaultPastOverbooking();
  // Old incidents for the first start's snapshot (CONTRACT 3.1's lookbacks):
  // never repaired, so they stay firing as historical alerts. Only with faults.
  Status SeedOldIncidents();

  // cron_ops.cc
  struct CronJob {
    std::string jobid, entity, schedule;
    bool active = true;
    std::string running_runid;  // a run started and not yet finished, or ""
  };
  struct CronDamage {
    FaultKind kind = FaultKind::kCount;
    CronJob job;
  };
  // The share of operations that are cron operations (when HasCron), and the
  // offset of the cron random streams from the workers'.
  static constexpr double kCronShare = 0.05;
  static constexpr uint64_t kCronStream = 1u << 20;
  Status SeedCron();
  Status StepCron();
  Status InjectCronFault(FaultKind kind);
  Status ScheduleCronJob(const std::string& schedule, const std::string& name, int64_t last_start_ago_s, CronJob* out);
  Status ScheduleHealthyCronJob();
  Status RunCronJob();
  Status PauseCronJob();
  Status UnscheduleCronJob();
  Status FaultCronRun(FaultKind kind);
  Status FaultCronMissed();
  Status RepairCron();
  // A new name for a job (an unnamed job is known by its jobid).
  std::string CronJobName();
  // Indexes of cron_jobs_ with no run in flight.
  std::vector<size_t> IdleCronJobs() const;

  const WorkloadOptions& options_;
  Catalog* catalog_;
  Rng rng_;
  Rng cron_rng_;  // every choice of the cron operations
  PgSession pg_;

  // What this worker may still act on (bounded; see the ops).
  std::vector<Hold> holds_;
  std::deque<std::string> paid_orders_;
  std::vector<std::string> archivable_holds_;
  std::vector<Payment> payments_;
  std::vector<std::string> webhooks_;
  std::deque<Reservation> reservations_;
  std::string last_booked_intent_;
  std::vector<Damage> damages_;
  std::vector<CronJob> cron_jobs_;  // healthy jobs this worker scheduled (bounded)
  std::vector<CronDamage> cron_damages_;
  // Settled (succeeded or failed) payments per provider: every tenth fails,
  // so healthy traffic stays at >= 90 % success whatever the interleaving.
  std::map<std::string, uint64_t> settled_;

  mutable std::mutex mu_;  // guards stats_ and status_
  WorkloadStats stats_;
  Status status_;
};

}  // namespace walguard::workload

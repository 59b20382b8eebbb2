// CheckoutWorkload: the drain bench's workload (bench/drain_workload.sql)
// as typed source transactions, for the benchmarks that run without
// Postgres (bench/micro, bench/replay).
//
// Transaction i holds `checkouts` ticketing checkouts (hold, pending order,
// item, order -> paid, hold -> converted, 2 tickets; then one tier counter
// update) and `bookings` reserve bookings (pending payment -> succeeded,
// reservation, 2 balanced ledger entries): 7k + 1 + 5j changes, 100 with
// the defaults, 75 % inserts. Ids are deterministic, so two runs feed the
// engine the same changes. Every `fault_every`-th transaction leaves one
// order paid without tickets (an alert fires, later resolves never), so the
// rules' emitting paths run too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/change.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard::bench {

struct WorkloadShape {
  int checkouts = 7;
  int bookings = 10;
  int tiers = 20;
  int fault_every = 5;  // 0: no faults
};

class CheckoutWorkload {
 public:
  explicit CheckoutWorkload(const WorkloadShape& shape = WorkloadShape());

  // The catalog (events' tiers) as one transaction; the first to apply.
  Transaction Catalog();
  // The next transaction of the load, one second of WAL clock after the last.
  Transaction Next();

  int changes_per_transaction() const { return 7 * shape_.checkouts + 1 + 5 * shape_.bookings; }

 private:
  void AddCheckouts(int64_t first, Transaction* txn);
  void AddBookings(int64_t first, Transaction* txn);
  Transaction Begin();

  WorkloadShape shape_;
  int64_t index_ = 0;
  uint32_t xid_ = 1000;
  Lsn lsn_ = 0x1000000;
  Micros clock_ = 0;
  std::vector<int64_t> issued_;  // per tier
};

// One change as wal2json (format-version 2, walguard's options) writes it,
// with type oids: the decoder benchmark's input.
std::string Wal2JsonLine(const Change& change, uint32_t xid, Lsn lsn, Micros commit_time);

}  // namespace walguard::bench

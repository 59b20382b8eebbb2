#include "bench/support/checkout_workload.h"

#include <cassert>
#include <string_view>
#include <utility>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::bench {

using namespace rule_test;  // NOLINT(google-build-using-namespace): the row builders of the rule tests

namespace {

constexpr Micros kStart = kT0;
constexpr int64_t kTierQuantity = 100'000'000;  // never sold out, never highly reserved
constexpr int64_t kPrice = 5000;

std::string Amount(int64_t n) {
  return std::to_string(150 + n % 850) + ".90";
}

}  // namespace

CheckoutWorkload::CheckoutWorkload(const WorkloadShape& shape) : shape_(shape), issued_(shape.tiers, 0) {
  assert(shape.checkouts >= 1 && shape.bookings >= 1 && shape.tiers >= 1);
  clock_ = kStart;
}

Transaction CheckoutWorkload::Begin() {
  Transaction txn;
  txn.xid = ++xid_;
  txn.begin_lsn = lsn_;
  clock_ += kMicrosPerSecond;
  txn.commit_time = clock_;
  return txn;
}

Transaction CheckoutWorkload::Catalog() {
  Transaction txn = Begin();
  for (int t = 0; t < shape_.tiers; ++t) {
    txn.changes.push_back(Insert("ticket_tiers", TierRow(TierId(t), EventId(t / 2), kTierQuantity, 0, 0, clock_)));
  }
  lsn_ += 0x100 * txn.changes.size();
  txn.end_lsn = lsn_;
  return txn;
}

Transaction CheckoutWorkload::Next() {
  Transaction txn = Begin();
  txn.changes.reserve(changes_per_transaction());
  AddCheckouts(index_ * shape_.checkouts, &txn);
  AddBookings(index_ * shape_.bookings, &txn);
  ++index_;
  for (Change& c : txn.changes) c.lsn = (lsn_ += 0x80);
  lsn_ += 0x80;
  txn.end_lsn = lsn_;
  assert(static_cast<int>(txn.changes.size()) == changes_per_transaction());
  return txn;
}

void CheckoutWorkload::AddCheckouts(int64_t first, Transaction* txn) {
  const int tier = static_cast<int>(index_ % shape_.tiers);
  const std::string tier_id = TierId(tier);
  const std::string event_id = EventId(tier / 2);
  const bool fault = shape_.fault_every > 0 && index_ % shape_.fault_every == shape_.fault_every - 1;
  std::vector<Change>& out = txn->changes;
  const int k = shape_.checkouts;
  const Micros now = clock_;
  for (int g = 0; g < k; ++g) {
    out.push_back(
        Insert("ticket_holds", HoldRow(HoldId(first + g), tier_id, 2, "active", now + 15 * kMicrosPerMinute)));
  }
  for (int g = 0; g < k; ++g) {
    out.push_back(Insert("orders", OrderRow(OrderId(first + g), event_id, "pending", 2 * kPrice, now)));
  }
  for (int g = 0; g < k; ++g) {
    out.push_back(Insert("order_items", ItemRow(ItemId(first + g), OrderId(first + g), tier_id, 2, kPrice)));
  }
  for (int g = 0; g < k; ++g) {
    out.push_back(Update("orders", OrderRow(OrderId(first + g), event_id, "paid", 2 * kPrice, now, now)));
  }
  for (int g = 0; g < k; ++g) {
    out.push_back(
        Update("ticket_holds", HoldRow(HoldId(first + g), tier_id, 2, "converted", now + 15 * kMicrosPerMinute)));
  }
  int64_t issued = 0;
  for (int g = 0; g < k; ++g) {
    // The fault: the first checkout's tickets are void, so its order stays paid without tickets.
    const std::string_view status = fault && g == 0 ? "void" : "issued";
    for (int s = 0; s < 2; ++s) {
      out.push_back(Insert("tickets", TicketRow(TicketId(2 * (first + g) + s), OrderId(first + g), tier_id, status)));
    }
    if (status == "issued") issued += 2;
  }
  issued_[tier] += issued;
  out.push_back(Update("ticket_tiers", TierRow(tier_id, event_id, kTierQuantity, 0, issued_[tier], now)));
}

void CheckoutWorkload::AddBookings(int64_t first, Transaction* txn) {
  std::vector<Change>& out = txn->changes;
  const int j = shape_.bookings;
  const Micros now = clock_;
  static constexpr std::string_view kProviders[] = {"stripe", "mercadopago", "openpix"};
  for (int g = 0; g < j; ++g) {
    const int64_t b = first + g;
    out.push_back(InsertIn("reserve", "payments",
                           PaymentRow(PaymentId(b), IntentId(b), kProviders[b % 3], b % 4 == 0 ? "pix" : "card",
                                      "pending", Amount(b), now)));
  }
  for (int g = 0; g < j; ++g) {
    const int64_t b = first + g;
    out.push_back(UpdateIn("reserve", "payments",
                           PaymentRow(PaymentId(b), IntentId(b), kProviders[b % 3], b % 4 == 0 ? "pix" : "card",
                                      "succeeded", Amount(b), now, now)));
  }
  for (int g = 0; g < j; ++g) {
    // 2000 units on non-overlapping stays: no overbooking.
    const int64_t b = first + g;
    const int stay = static_cast<int>(b / 2000) * 4;
    out.push_back(InsertIn("reserve", "reservations",
                           ReservationRow(ReservationId(b), IntentId(b), UnitId(static_cast<int>(b % 2000)), Day(stay),
                                          Day(stay + 3), "confirmed")));
  }
  for (int g = 0; g < j; ++g) {
    const int64_t b = first + g;
    for (int side = 0; side < 2; ++side) {
      out.push_back(InsertIn("reserve", "ledger_entries",
                             LedgerRow(LedgerEntryId(2 * b + side), LedgerTxnId(b), side == 0 ? "cash" : "revenue",
                                       side == 0 ? "debit" : "credit", Amount(b), now)));
    }
  }
}

namespace {

// The type oid wal2json gives a column of the bench's tables, from its name.
int TypeOid(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (name == "id" || ends("_id")) return 2950;  // uuid
  if (ends("_at")) return 1184;                  // timestamptz
  if (name == "amount") return 1700;             // numeric
  if (name == "check_in" || name == "check_out" || name == "date") return 1082;
  if (name == "quantity" || ends("_quantity") || ends("_cents") || ends("_count") || name == "allotment") return 20;
  if (name.substr(0, 3) == "is_") return 16;
  return 25;  // text
}

bool Bare(int oid) {
  return oid == 20 || oid == 1700 || oid == 16;
}

void AppendColumns(const std::vector<Datum>& columns, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < columns.size(); ++i) {
    const Datum& d = columns[i];
    const int oid = TypeOid(d.name);
    if (i > 0) out->push_back(',');
    out->append(R"({"name":")").append(d.name).append(R"(","typeoid":)").append(std::to_string(oid));
    out->append(R"(,"value":)");
    if (d.is_null) {
      out->append("null");
    } else if (Bare(oid)) {
      out->append(d.text);
    } else {
      out->append("\"").append(d.text).append("\"");  // the bench's values need no escaping
    }
    out->push_back('}');
  }
  out->push_back(']');
}

}  // namespace

std::string Wal2JsonLine(const Change& change, uint32_t xid, Lsn lsn, Micros commit_time) {
  std::string out = R"({"action":")";
  out.push_back(static_cast<char>(change.action));
  out.append(R"(","xid":)").append(std::to_string(xid));
  out.append(R"(,"timestamp":")").append(PgTimestamp(commit_time));
  out.append(R"(","lsn":")").append(FormatLsn(lsn));
  out.append(R"(","schema":")").append(change.schema).append(R"(","table":")").append(change.table).append("\"");
  if (!change.columns.empty()) {
    out.append(R"(,"columns":)");
    AppendColumns(change.columns, &out);
  }
  if (!change.identity.empty()) {
    out.append(R"(,"identity":)");
    AppendColumns(change.identity, &out);
  }
  out.append(R"(,"pk":[{"name":"id","typeoid":2950}]})");
  return out;
}

}  // namespace walguard::bench

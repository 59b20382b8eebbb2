// Incremental aggregates: the per-entity sums the rules compare against.
// Each is a fixed list of int64 counters stored under 'A' | kind | entity id,
// kept exact by adding a row's contribution when it is accounted and
// subtracting the same contribution when it is retracted. A counter is only
// ever appended (never inserted or reordered); a stored value that ends before
// it (written before it existed) reads it as 0, and rows accounted then never
// contributed to it, so their retraction does not subtract from it either.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/kv.h"
#include "processors/apply_context.h"
#include "util/status.h"

namespace walguard {

struct TierAgg {
  enum : int { kActiveQty, kUnexpiredQty, kActiveHolds, kStuckHolds, kTickets, kCount };
  std::array<int64_t, kCount> v{};
};

struct OrderAgg {
  enum : int { kItems, kItemsQty, kItemsTotal, kTickets, kCount };
  std::array<int64_t, kCount> v{};
};

struct EventAgg {
  enum : int { kStalePending, kCount };
  std::array<int64_t, kCount> v{};
};

std::string AggregateKey(EntityKind kind, std::string_view id);

// Missing aggregates read as all zeros, missing trailing counters as zero.
Status LoadCounters(KvTxn* kv, EntityKind kind, std::string_view id, int64_t* counters, int n);
// All-zero aggregates are deleted rather than stored.
void StoreCounters(KvTxn* kv, EntityKind kind, std::string_view id, const int64_t* counters, int n);
// The same, under a key built by AggregateKey.
Status LoadCountersAt(KvTxn* kv, std::string_view key, int64_t* counters, int n);
void StoreCountersAt(KvTxn* kv, std::string_view key, const int64_t* counters, int n);

template <typename Agg>
Status Load(KvTxn* kv, EntityKind kind, std::string_view id, Agg* agg) {
  return LoadCounters(kv, kind, id, agg->v.data(), static_cast<int>(agg->v.size()));
}

template <typename Agg>
void Store(KvTxn* kv, EntityKind kind, std::string_view id, const Agg& agg) {
  StoreCounters(kv, kind, id, agg.v.data(), static_cast<int>(agg.v.size()));
}

// Adds `deltas` (indexed like Agg::v) to one entity's aggregate.
template <typename Agg>
Status AddTo(KvTxn* kv, EntityKind kind, std::string_view id, const Agg& deltas) {
  if (id.empty()) return Status::OK();
  const std::string key = AggregateKey(kind, id);
  Agg agg;
  WG_RETURN_IF_ERROR(LoadCountersAt(kv, key, agg.v.data(), static_cast<int>(agg.v.size())));
  for (size_t i = 0; i < agg.v.size(); ++i) agg.v[i] += deltas.v[i];
  StoreCountersAt(kv, key, agg.v.data(), static_cast<int>(agg.v.size()));
  return Status::OK();
}

}  // namespace walguard

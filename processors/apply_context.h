// ApplyContext: what one step of processing (a source transaction, a clock
// tick, a snapshot chunk) works with: the staged state, the WAL clock, the
// entities it touched, and the messages it emits.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/entity_kind.h"
#include "core/kv.h"
#include "core/output.h"
#include "util/lsn.h"
#include "util/time.h"

namespace walguard {

// A change of active reservations on [from, to) (days since epoch) of one
// unit. Collected per step and netted before they touch per-date state, so
// moving a year-long stay by one day costs two dates, not 730.
struct OccupancyDelta {
  std::string unit;
  int32_t from = 0;
  int32_t to = 0;
  int delta = 0;
};

// Orders (kind, id) as std::pair does, and finds an entity by a string_view id too.
struct EntityLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.first != b.first) return a.first < b.first;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};
using EntitySet = std::set<std::pair<EntityKind, std::string>, EntityLess>;

struct ApplyContext {
  KvTxn* kv = nullptr;
  const Thresholds* thresholds = nullptr;
  Micros now = 0;          // the WAL clock
  Lsn lsn = 0;             // position of the step (the source transaction's end LSN)
  Micros commit_time = 0;  // commit time of the source transaction (or the tick time)
  Micros detected_at = 0;  // local wall clock, for the messages only
  EntitySet touched;
  std::vector<OutMessage>* out = nullptr;
  std::vector<OccupancyDelta> occupancy;
  // Alert types the schema guard disabled (schema_guard.h): ReconcileAlert
  // neither fires nor resolves them.
  const std::set<std::string, std::less<>>* disabled_rules = nullptr;

  bool RuleDisabled(std::string_view type) const {
    return disabled_rules != nullptr && disabled_rules->find(type) != disabled_rules->end();
  }

  void Touch(EntityKind kind, std::string_view id) {
    if (id.empty()) return;
    // Most touches repeat one made earlier in the step: no key is built for those.
    const std::pair<EntityKind, std::string_view> entity(kind, id);
    auto it = touched.lower_bound(entity);
    if (it != touched.end() && !touched.key_comp()(entity, *it)) return;
    touched.emplace_hint(it, kind, std::string(id));
  }
};

}  // namespace walguard

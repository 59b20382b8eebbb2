#include "processors/aggregates.h"

#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

std::string AggregateKey(EntityKind kind, std::string_view id) {
  std::string key;
  key.reserve(2 + id.size());
  key.push_back(keys::kAggregate);
  key.push_back(static_cast<char>(kind));
  key.append(id);
  return key;
}

Status LoadCounters(KvTxn* kv, EntityKind kind, std::string_view id, int64_t* counters, int n) {
  return LoadCountersAt(kv, AggregateKey(kind, id), counters, n);
}

Status LoadCountersAt(KvTxn* kv, std::string_view key, int64_t* counters, int n) {
  for (int i = 0; i < n; ++i) counters[i] = 0;
  std::string value;
  Status s = kv->Get(key, &value);
  if (s.IsNotFound()) return Status::OK();
  WG_RETURN_IF_ERROR(s);
  std::string_view in(value);
  for (int i = 0; i < n; ++i) {
    // Counters appended to an aggregate after its value was written read as 0
    // (aggregates.h): a state keeps its format when a rule adds a counter.
    if (in.empty()) break;
    if (!GetVarsint64(&in, &counters[i])) {
      return Status::Corruption("aggregate " + std::string(key) + " is malformed");
    }
  }
  return Status::OK();
}

void StoreCounters(KvTxn* kv, EntityKind kind, std::string_view id, const int64_t* counters, int n) {
  StoreCountersAt(kv, AggregateKey(kind, id), counters, n);
}

void StoreCountersAt(KvTxn* kv, std::string_view key, const int64_t* counters, int n) {
  bool all_zero = true;
  std::string value;
  for (int i = 0; i < n; ++i) {
    all_zero = all_zero && counters[i] == 0;
    PutVarsint64(&value, counters[i]);
  }
  if (all_zero) {
    kv->Delete(key);
  } else {
    kv->Put(key, value);
  }
}

}  // namespace walguard

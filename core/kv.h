// KvTxn: the state the processors read and write, as a staged transaction.
//
// Processors are deterministic functions of the changes, the WAL clock and
// this state. They never commit: the caller (state/ over RocksDB, or
// MemoryKv in tests) makes everything staged here durable in one atomic
// write together with the checkpoint and the outbox.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace walguard {

class KvTxn {
 public:
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~KvTxn() = default;

  // NotFound when absent. Sees this transaction's own staged writes.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;

  // Visits keys in [begin, end) in order, staged writes included, until the
  // visitor returns false.
  virtual Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) = 0;
};

// Visits every key that starts with `prefix` (whose last byte is not 0xff).
inline Status ScanPrefix(KvTxn* kv, std::string_view prefix, const KvTxn::Visitor& visit) {
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  return kv->Scan(prefix, end, visit);
}

}  // namespace walguard

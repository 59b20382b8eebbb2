// MemoryKv: an in-memory KvTxn for unit tests and benchmarks; writes apply at once.
#pragma once

#include <map>
#include <string>

#include "core/kv.h"

namespace walguard {

class MemoryKv : public KvTxn {
 public:
  Status Get(std::string_view key, std::string* value) override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override;

  const std::map<std::string, std::string, std::less<>>& data() const { return data_; }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

}  // namespace walguard

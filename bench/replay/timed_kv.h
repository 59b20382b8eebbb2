// TimedKv: a KvTxn that forwards to another and counts the calls of each
// kind and the wall time spent in them (the clock reads included), to split
// the engine's cost between the state and the rules.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/kv.h"

namespace walguard::bench {

class TimedKv : public KvTxn {
 public:
  enum Op { kGet, kPut, kDelete, kScan, kOps };

  explicit TimedKv(KvTxn* base) : base_(base) {}

  Status Get(std::string_view key, std::string* value) override {
    const Start t;
    Status s = base_->Get(key, value);
    Stop(kGet, t);
    return s;
  }
  void Put(std::string_view key, std::string_view value) override {
    const Start t;
    base_->Put(key, value);
    Stop(kPut, t);
  }
  void Delete(std::string_view key) override {
    const Start t;
    base_->Delete(key);
    Stop(kDelete, t);
  }
  // The visitor's own work (the caller's) is counted too.
  Status Scan(std::string_view begin, std::string_view end, const Visitor& visit) override {
    const Start t;
    Status s = base_->Scan(begin, end, visit);
    Stop(kScan, t);
    return s;
  }

  double seconds() const {
    std::chrono::steady_clock::duration sum{};
    for (const auto& d : spent_) sum += d;
    return std::chrono::duration<double>(sum).count();
  }
  double seconds(Op op) const { return std::chrono::duration<double>(spent_[op]).count(); }
  uint64_t calls(Op op) const { return calls_[op]; }

 private:
  struct Start {
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  };
  void Stop(Op op, const Start& t) {
    spent_[op] += std::chrono::steady_clock::now() - t.at;
    ++calls_[op];
  }

  KvTxn* base_;
  std::array<std::chrono::steady_clock::duration, kOps> spent_{};
  std::array<uint64_t, kOps> calls_{};
};

}  // namespace walguard::bench

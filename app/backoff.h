// Backoff: the waits between retries of a transient failure (a server down,
// a connection cut, a slot still held). Each wait doubles up to a cap; a stop
// request cuts a wait short, so `walguard run` stops promptly while retrying.
#pragma once

#include <atomic>

namespace walguard {

// The first wait of every retry loop.
inline constexpr int kInitialBackoffMs = 500;

class Backoff {
 public:
  Backoff(int max_ms, const std::atomic<bool>* stop) : max_ms_(max_ms), stop_(stop) {}

  // The wait the next Sleep() takes (the retry log lines name it).
  int next_ms() const { return next_ms_; }
  // Waits next_ms() or until a stop request, then doubles the next wait (up to the cap).
  void Sleep();
  // After a success: the next failure starts over from the first wait.
  void Reset() { next_ms_ = kInitialBackoffMs; }
  bool stopped() const { return stop_->load(); }

 private:
  const int max_ms_;
  const std::atomic<bool>* stop_;
  int next_ms_ = kInitialBackoffMs;
};

}  // namespace walguard

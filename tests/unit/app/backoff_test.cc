#include "app/backoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace walguard {
namespace {

TEST(BackoffTest, DoublesUpToTheCapAndStartsOverAfterReset) {
  const std::atomic<bool> stop{true};  // every wait is cut short at once
  Backoff backoff(3000, &stop);
  std::vector<int> waits;
  for (int i = 0; i < 5; ++i) {
    waits.push_back(backoff.next_ms());
    backoff.Sleep();
  }
  EXPECT_EQ(waits, (std::vector<int>{500, 1000, 2000, 3000, 3000}));
  backoff.Reset();
  EXPECT_EQ(backoff.next_ms(), kInitialBackoffMs);
}

TEST(BackoffTest, ACapBelowTheFirstWaitAppliesFromTheSecond) {
  const std::atomic<bool> stop{true};
  Backoff backoff(100, &stop);
  EXPECT_EQ(backoff.next_ms(), 500);
  backoff.Sleep();
  EXPECT_EQ(backoff.next_ms(), 100);
}

TEST(BackoffTest, AStopRequestCutsTheWaitShort) {
  const std::atomic<bool> stop{true};
  Backoff backoff(60'000, &stop);
  for (int i = 0; i < 6; ++i) backoff.Sleep();  // 500 ms .. 16 s if not cut short
  const auto start = std::chrono::steady_clock::now();
  backoff.Sleep();  // 32 s
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(backoff.stopped());
}

TEST(BackoffTest, WaitsWhenNotStopped) {
  const std::atomic<bool> stop{false};
  Backoff backoff(60'000, &stop);
  const auto start = std::chrono::steady_clock::now();
  backoff.Sleep();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_FALSE(backoff.stopped());
}

}  // namespace
}  // namespace walguard

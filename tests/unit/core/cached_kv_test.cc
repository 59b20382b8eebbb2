#include "core/cached_kv.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/memory_kv.h"

namespace walguard {
namespace {

// Counts the base's calls, to see what the cache saves.
class CountingKv : public MemoryKv {
 public:
  Status Get(std::string_view key, std::string* value) override {
    ++gets;
    return MemoryKv::Get(key, value);
  }
  void Put(std::string_view key, std::string_view value) override {
    ++writes;
    MemoryKv::Put(key, value);
  }
  void Delete(std::string_view key) override {
    ++writes;
    MemoryKv::Delete(key);
  }
  int gets = 0;
  int writes = 0;
};

std::vector<std::pair<std::string, std::string>> ScanAll(KvTxn* kv) {
  std::vector<std::pair<std::string, std::string>> rows;
  Status s = kv->Scan("", "\xff", [&](std::string_view k, std::string_view v) {
    rows.emplace_back(k, v);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

TEST(CachedKv, RepeatedReadsAndMissesReachTheBaseOnce) {
  CountingKv base;
  base.Put("a", "1");
  CachedKv cache(&base);
  std::string v;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(cache.Get("a", &v).ok());
    EXPECT_EQ(v, "1");
    EXPECT_TRUE(cache.Get("absent", &v).IsNotFound());
  }
  EXPECT_EQ(base.gets, 2);
}

TEST(CachedKv, WritesReachTheBaseOnlyAtFlushAndOncePerKey) {
  CountingKv base;
  CachedKv cache(&base);
  cache.Put("k", "1");
  cache.Put("k", "2");
  cache.Put("gone", "x");
  cache.Delete("gone");
  std::string v;
  ASSERT_TRUE(cache.Get("k", &v).ok());
  EXPECT_EQ(v, "2");
  EXPECT_TRUE(cache.Get("gone", &v).IsNotFound());
  EXPECT_EQ(base.writes, 0);
  EXPECT_EQ(base.gets, 0);
  EXPECT_EQ(cache.pending(), 2u);
  cache.Flush();
  EXPECT_EQ(base.writes, 2);
  EXPECT_EQ(cache.pending(), 0u);
  ASSERT_TRUE(base.Get("k", &v).ok());
  EXPECT_EQ(v, "2");
  EXPECT_TRUE(base.Get("gone", &v).IsNotFound());
}

TEST(CachedKv, ScanSeesPendingWrites) {
  MemoryKv base;
  base.Put("a", "old");
  base.Put("b", "keep");
  CachedKv cache(&base);
  cache.Put("a", "new");
  cache.Put("c", "added");
  cache.Delete("b");
  std::vector<std::pair<std::string, std::string>> want = {{"a", "new"}, {"c", "added"}};
  EXPECT_EQ(ScanAll(&cache), want);
}

TEST(CachedKv, TrimForgetsOnlyPastTheBoundAndClearDropsPendingWrites) {
  CountingKv base;
  CachedKv cache(&base, /*max_entries=*/2);
  std::string v;
  EXPECT_TRUE(cache.Get("x", &v).IsNotFound());
  cache.Trim();
  EXPECT_EQ(cache.size(), 1u);
  cache.Put("y", "1");
  cache.Put("z", "1");
  cache.Flush();
  cache.Trim();
  EXPECT_EQ(cache.size(), 0u);
  cache.Put("dropped", "1");
  cache.Clear();
  cache.Flush();
  EXPECT_TRUE(base.Get("dropped", &v).IsNotFound());
}

// The model check: random operations through the cache (with flushes and
// trims at random points) leave the base exactly as the same operations
// applied straight to a MemoryKv, and every read agrees on the way.
TEST(CachedKv, EqualsTheUncachedStateUnderRandomOperations) {
  MemoryKv model;
  MemoryKv base;
  CachedKv cache(&base, /*max_entries=*/16);
  std::mt19937 rng(11);
  for (int step = 0; step < 20'000; ++step) {
    const std::string key = "k" + std::to_string(rng() % 40);
    const std::string value = std::to_string(rng() % 1000);
    std::string got, want;
    switch (rng() % 6) {
      case 0:
      case 1: {
        Status a = cache.Get(key, &got);
        Status b = model.Get(key, &want);
        ASSERT_EQ(a.IsNotFound(), b.IsNotFound()) << key << " at step " << step;
        if (b.ok()) {
          ASSERT_EQ(got, want) << key << " at step " << step;
        }
        break;
      }
      case 2:
      case 3:
        cache.Put(key, value);
        model.Put(key, value);
        break;
      case 4:
        cache.Delete(key);
        model.Delete(key);
        break;
      default:
        if (rng() % 8 == 0) {
          ASSERT_EQ(ScanAll(&cache), ScanAll(&model)) << "at step " << step;
        } else {
          cache.Flush();
          cache.Trim();
        }
    }
  }
  cache.Flush();
  EXPECT_EQ(base.data(), model.data());
}

}  // namespace
}  // namespace walguard

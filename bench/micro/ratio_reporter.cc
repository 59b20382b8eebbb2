#include "bench/micro/ratio_reporter.h"

#include <cstdio>

namespace walguard::bench {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    // CPU time per item: items_per_second is a rate over CPU time, and every
    // benchmark here counts its items (changes, records).
    auto it = run.counters.find("items_per_second");
    if (run.error_occurred || it == run.counters.end() || it->second.value <= 0) continue;
    ns_per_item_[run.benchmark_name()] = 1e9 / it->second.value;
  }
}

// With --benchmark_repetitions, the median of the repetitions.
std::map<std::string, double>::const_iterator RatioReporter::Find(const std::string& name) const {
  auto median = ns_per_item_.find(name + "_median");
  return median != ns_per_item_.end() ? median : ns_per_item_.find(name);
}

void RatioReporter::Finalize() {
  ConsoleReporter::Finalize();
  std::printf("\n%-52s %12s %12s %8s\n", "benchmark / reference (same run)", "CPU ns/item", "reference", "ratio");
  for (const auto& [name, reference] : pairs_) {
    auto a = Find(name);
    auto b = Find(reference);
    if (a == ns_per_item_.end() || b == ns_per_item_.end()) continue;  // filtered out
    std::printf("%-52s %12.1f %12.1f %8.2f\n", (name + " / " + reference).c_str(), a->second, b->second,
                a->second / b->second);
  }
  std::fflush(stdout);
}

}  // namespace walguard::bench

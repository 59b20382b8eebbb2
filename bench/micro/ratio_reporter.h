// RatioReporter: Google Benchmark's console output, then one line per pair
// (benchmark, reference) giving the benchmark's time per item as a multiple
// of the reference's (CPU time per item), both measured in this run: on a shared machine the
// ratio is the figure to compare between runs, not the absolute time.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace walguard::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // `pairs`: (benchmark name, reference name) as Google Benchmark names
  // them (aggregates: "<name>_median" when run with repetitions).
  explicit RatioReporter(std::vector<std::pair<std::string, std::string>> pairs) : pairs_(std::move(pairs)) {}

  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::map<std::string, double>::const_iterator Find(const std::string& name) const;

  std::vector<std::pair<std::string, std::string>> pairs_;
  std::map<std::string, double> ns_per_item_;  // by benchmark name
};

}  // namespace walguard::bench

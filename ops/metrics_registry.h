// MetricRegistry: the metrics one scrape exposes, as plain values: families
// of counters, gauges and histograms, each sample told apart by its labels.
//
// A registry is built afresh from a snapshot of the process's figures for
// every scrape (ops/exposition.h renders it), so it holds no locks and no
// process-wide state: `walguard run` and `walguard worker` each fill one
// from their own snapshot.
//
// Names follow Prometheus' naming guide: `walguard_` prefix, base units
// (`_seconds`, `_bytes`), `_total` on counters. The registry asserts the
// name's shape; it does not rename.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace walguard {

enum class MetricType { kCounter, kGauge, kHistogram };

// Label name -> value, in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Cumulative-on-render histogram: counts[i] are the observations in
// (bounds[i-1], bounds[i]]; the last count is those above every bound (+Inf).
struct Histogram {
  std::vector<double> bounds;    // ascending upper bounds, +Inf not included
  std::vector<uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  uint64_t count = 0;

  explicit Histogram(std::vector<double> upper_bounds = {});
  void Observe(double value);
};

struct Sample {
  Labels labels;
  double value = 0;     // counters and gauges
  Histogram histogram;  // histograms
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;

  MetricFamily& Set(Labels labels, double value);
  MetricFamily& Set(double value) { return Set({}, value); }
  MetricFamily& SetHistogram(Labels labels, const Histogram& histogram);
};

class MetricRegistry {
 public:
  // A new family; names are unique within a registry. A family with no
  // sample is still rendered (HELP and TYPE), so a scrape shows what exists.
  MetricFamily& Counter(std::string_view name, std::string_view help);
  MetricFamily& Gauge(std::string_view name, std::string_view help);
  MetricFamily& Histogram(std::string_view name, std::string_view help);

  const std::vector<MetricFamily>& families() const { return families_; }

 private:
  MetricFamily& Add(std::string_view name, std::string_view help, MetricType type);
  std::vector<MetricFamily> families_;
};

// [a-zA-Z_:][a-zA-Z0-9_:]* (metric names) and [a-zA-Z_][a-zA-Z0-9_]* (label names).
bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);

}  // namespace walguard

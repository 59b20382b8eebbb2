#include "ops/metrics_registry.h"

#include <algorithm>
#include <cassert>

namespace walguard {

namespace {
bool NameChar(char c, bool first, bool colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool ValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}
}  // namespace

bool ValidMetricName(std::string_view name) {
  return ValidName(name, /*colon=*/true);
}

bool ValidLabelName(std::string_view name) {
  return ValidName(name, /*colon=*/false) && !name.starts_with("__");
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds(std::move(upper_bounds)), counts(bounds.size() + 1) {
  assert(std::is_sorted(bounds.begin(), bounds.end()));
}

void Histogram::Observe(double value) {
  // The first bound >= value: buckets are "less than or equal".
  const size_t bucket = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  ++counts[bucket];
  sum += value;
  ++count;
}

MetricFamily& MetricFamily::Set(Labels labels, double value) {
  assert(type != MetricType::kHistogram);
  for ([[maybe_unused]] const auto& [label, unused] : labels) assert(ValidLabelName(label));
  samples.push_back(Sample{std::move(labels), value, walguard::Histogram()});
  return *this;
}

MetricFamily& MetricFamily::SetHistogram(Labels labels, const walguard::Histogram& histogram) {
  assert(type == MetricType::kHistogram);
  assert(histogram.counts.size() == histogram.bounds.size() + 1);
  samples.push_back(Sample{std::move(labels), 0, histogram});
  return *this;
}

MetricFamily& MetricRegistry::Counter(std::string_view name, std::string_view help) {
  assert(name.ends_with("_total"));
  return Add(name, help, MetricType::kCounter);
}

MetricFamily& MetricRegistry::Gauge(std::string_view name, std::string_view help) {
  return Add(name, help, MetricType::kGauge);
}

MetricFamily& MetricRegistry::Histogram(std::string_view name, std::string_view help) {
  return Add(name, help, MetricType::kHistogram);
}

MetricFamily& MetricRegistry::Add(std::string_view name, std::string_view help, MetricType type) {
  assert(ValidMetricName(name));
  assert(std::none_of(families_.begin(), families_.end(), [&](const MetricFamily& f) { return f.name == name; }));
  families_.push_back(MetricFamily{std::string(name), std::string(help), type, {}});
  return families_.back();
}

}  // namespace walguard

#include "ops/exposition.h"

#include <charconv>
#include <cmath>

namespace walguard {

namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"}`, with `extra` (the histogram's le) last; "" without labels.
std::string LabelSet(const Labels& labels, std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out.push_back(',');
    out.append(name).append("=\"").append(EscapeLabelValue(value)).push_back('"');
  }
  if (!extra_name.empty()) {
    if (out.size() > 1) out.push_back(',');
    out.append(extra_name).append("=\"").append(extra_value).push_back('"');
  }
  out.push_back('}');
  return out;
}

void Line(std::string* out, std::string_view name, const std::string& labels, std::string_view value) {
  out->append(name).append(labels).push_back(' ');
  out->append(value).push_back('\n');
}

void RenderHistogram(const std::string& name, const Sample& sample, std::string* out) {
  const Histogram& h = sample.histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    Line(out, name + "_bucket", LabelSet(sample.labels, "le", FormatSampleValue(h.bounds[i])),
         std::to_string(cumulative));
  }
  Line(out, name + "_bucket", LabelSet(sample.labels, "le", "+Inf"), std::to_string(h.count));
  Line(out, name + "_sum", LabelSet(sample.labels), FormatSampleValue(h.sum));
  Line(out, name + "_count", LabelSet(sample.labels), std::to_string(h.count));
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Exact integers (every counter) print without an exponent or fraction.
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) return std::to_string(static_cast<int64_t>(value));
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string RenderPrometheusText(const MetricRegistry& registry) {
  std::string out;
  for (const MetricFamily& family : registry.families()) {
    out.append("# HELP ").append(family.name).append(" ").append(EscapeHelp(family.help)).push_back('\n');
    out.append("# TYPE ").append(family.name).append(" ").append(TypeName(family.type)).push_back('\n');
    for (const Sample& sample : family.samples) {
      if (family.type == MetricType::kHistogram) {
        RenderHistogram(family.name, sample, &out);
      } else {
        Line(&out, family.name, LabelSet(sample.labels), FormatSampleValue(sample.value));
      }
    }
  }
  return out;
}

}  // namespace walguard

// The Prometheus text exposition format, version 0.0.4: what /metrics
// answers (Content-Type kPrometheusContentType).
//
//   # HELP walguard_changes_applied_total Row changes applied, by table.
//   # TYPE walguard_changes_applied_total counter
//   walguard_changes_applied_total{table="ticketing.ticket_holds"} 42
//
// Histograms render their buckets cumulatively with `le`, ending with
// le="+Inf" (equal to _count), then _sum and _count.
#pragma once

#include <string>
#include <string_view>

#include "ops/metrics_registry.h"

namespace walguard {

inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderPrometheusText(const MetricRegistry& registry);

// A label value with backslash, double quote and newline escaped.
std::string EscapeLabelValue(std::string_view value);
// HELP text: backslash and newline escaped (quotes stay).
std::string EscapeHelp(std::string_view help);
// Integers without a fraction, "+Inf", "-Inf", "NaN", else the shortest round-trip form.
std::string FormatSampleValue(double value);

}  // namespace walguard

#include "ops/exposition.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace walguard {
namespace {

using ::testing::HasSubstr;

TEST(Exposition, CounterWithLabelsHasHelpTypeAndSamples) {
  MetricRegistry r;
  r.Counter("walguard_changes_applied_total", "Row changes applied, by table.")
      .Set({{"table", "ticketing.ticket_holds"}}, 42)
      .Set({{"table", "ticketing.orders"}}, 7);
  EXPECT_EQ(RenderPrometheusText(r),
            "# HELP walguard_changes_applied_total Row changes applied, by table.\n"
            "# TYPE walguard_changes_applied_total counter\n"
            "walguard_changes_applied_total{table=\"ticketing.ticket_holds\"} 42\n"
            "walguard_changes_applied_total{table=\"ticketing.orders\"} 7\n");
}

TEST(Exposition, GaugeWithoutLabelsAndEmptyFamily) {
  MetricRegistry r;
  r.Gauge("walguard_replication_lag_seconds", "Age of the last applied commit while behind.").Set(1.5);
  r.Gauge("walguard_firing_alerts", "Alerts firing now.");
  EXPECT_EQ(RenderPrometheusText(r),
            "# HELP walguard_replication_lag_seconds Age of the last applied commit while behind.\n"
            "# TYPE walguard_replication_lag_seconds gauge\n"
            "walguard_replication_lag_seconds 1.5\n"
            "# HELP walguard_firing_alerts Alerts firing now.\n"
            "# TYPE walguard_firing_alerts gauge\n");
}

TEST(Exposition, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)"
                             "\n"
                             "d"),
            R"(a\\b\"c\nd)");
  MetricRegistry r;
  r.Gauge("walguard_x", "help with \\ and\nnewline, \"quotes\" kept").Set({{"v", "say \"hi\"\n"}}, 1);
  const std::string text = RenderPrometheusText(r);
  EXPECT_THAT(text, HasSubstr("# HELP walguard_x help with \\\\ and\\nnewline, \"quotes\" kept\n"));
  EXPECT_THAT(text, HasSubstr("walguard_x{v=\"say \\\"hi\\\"\\n\"} 1\n"));
}

TEST(Exposition, SeveralLabelsKeepTheirOrder) {
  MetricRegistry r;
  r.Gauge("walguard_firing_alerts", "h").Set({{"type", "stuck_holds"}, {"severity", "P3"}}, 2);
  EXPECT_THAT(RenderPrometheusText(r), HasSubstr("walguard_firing_alerts{type=\"stuck_holds\",severity=\"P3\"} 2\n"));
}

TEST(Exposition, HistogramBucketsAreCumulativeAndEndWithInf) {
  Histogram h({0.1, 1, 10});
  h.Observe(0.05);
  h.Observe(0.1);  // on the bound: counted in le="0.1"
  h.Observe(0.5);
  h.Observe(20);
  MetricRegistry r;
  r.Histogram("walguard_commit_to_publish_seconds", "Latency.").SetHistogram({{"topic", "alerts"}}, h);
  EXPECT_EQ(RenderPrometheusText(r),
            "# HELP walguard_commit_to_publish_seconds Latency.\n"
            "# TYPE walguard_commit_to_publish_seconds histogram\n"
            "walguard_commit_to_publish_seconds_bucket{topic=\"alerts\",le=\"0.1\"} 2\n"
            "walguard_commit_to_publish_seconds_bucket{topic=\"alerts\",le=\"1\"} 3\n"
            "walguard_commit_to_publish_seconds_bucket{topic=\"alerts\",le=\"10\"} 3\n"
            "walguard_commit_to_publish_seconds_bucket{topic=\"alerts\",le=\"+Inf\"} 4\n"
            "walguard_commit_to_publish_seconds_sum{topic=\"alerts\"} 20.65\n"
            "walguard_commit_to_publish_seconds_count{topic=\"alerts\"} 4\n");
}

TEST(Exposition, HistogramWithoutLabels) {
  Histogram h({1});
  h.Observe(3);
  MetricRegistry r;
  r.Histogram("walguard_h_seconds", "h").SetHistogram({}, h);
  const std::string text = RenderPrometheusText(r);
  EXPECT_THAT(text, HasSubstr("walguard_h_seconds_bucket{le=\"1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("walguard_h_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("walguard_h_seconds_sum 3\n"));
  EXPECT_THAT(text, HasSubstr("walguard_h_seconds_count 1\n"));
}

TEST(Exposition, SampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(123456789012), "123456789012");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
}

TEST(MetricNames, FollowPrometheusRules) {
  EXPECT_TRUE(ValidMetricName("walguard_outbox_messages"));
  EXPECT_TRUE(ValidMetricName("a:b_c1"));
  EXPECT_FALSE(ValidMetricName("1abc"));
  EXPECT_FALSE(ValidMetricName("walguard-lag"));
  EXPECT_FALSE(ValidMetricName(""));
  EXPECT_TRUE(ValidLabelName("severity"));
  EXPECT_FALSE(ValidLabelName("a:b"));
  EXPECT_FALSE(ValidLabelName("__reserved"));
}

}  // namespace
}  // namespace walguard

#include "config/thresholds.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace walguard {
namespace {

constexpr char kExample[] = WALGUARD_SOURCE_DIR "/config/walguard.example.toml";
constexpr char kBegin[] = "# BEGIN GENERATED thresholds\n";
constexpr char kEnd[] = "# END GENERATED thresholds\n";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/walguard-thresholds-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

Status LoadText(const std::string& text, Config* config) {
  const std::string path = WriteTemp(text);
  Status s = LoadConfigFile(path, config);
  std::remove(path.c_str());
  return s;
}

// The example file's [rules.*] block is the rendering of the threshold
// table; WALGUARD_UPDATE_GOLDEN=1 rewrites it instead of comparing.
TEST(Thresholds, TheExampleFileHasTheRenderedRulesSections) {
  std::string file = ReadAll(kExample);
  const size_t begin = file.find(kBegin);
  const size_t end = file.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << kExample << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << kExample << " lacks " << kEnd;
  ASSERT_LT(begin, end);
  const size_t from = begin + sizeof(kBegin) - 1;
  const std::string rendered = RenderThresholdsToml();
  if (const char* update = std::getenv("WALGUARD_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    file.replace(from, end - from, rendered);
    std::ofstream(kExample) << file;
    GTEST_SKIP() << "rewrote " << kExample;
  }
  EXPECT_EQ(file.substr(from, end - from), rendered)
      << kExample << " is out of date with config/thresholds.cc: rerun with WALGUARD_UPDATE_GOLDEN=1 to rewrite it";
}

TEST(Thresholds, EveryDefinitionIsUniqueAndItsDefaultWithinBounds) {
  const Thresholds defaults;
  std::set<std::string> names;
  for (const ThresholdDef& def : ThresholdDefs()) {
    EXPECT_TRUE(names.insert(ThresholdName(def)).second) << ThresholdName(def);
    EXPECT_EQ(FindThreshold(def.field), &def) << ThresholdName(def) << " reads a field another reads";
    EXPECT_LE(def.min, def.max) << ThresholdName(def);
    EXPECT_TRUE(CheckThreshold(def, WrittenValue(def, defaults)).ok()) << ThresholdName(def);
    EXPECT_NE(std::string(def.doc), "") << ThresholdName(def);
    if (def.unit == ThresholdUnit::kPercent) {
      EXPECT_EQ(def.min, 0) << ThresholdName(def);
      EXPECT_EQ(def.max, 100) << ThresholdName(def);
    }
    const std::string key = def.key;
    const bool says_seconds = key.size() > 8 && key.substr(key.size() - 8) == "_seconds";
    EXPECT_EQ(says_seconds, def.unit == ThresholdUnit::kSeconds) << ThresholdName(def);
  }
  // Thresholds holds int64 fields, one per definition, and the rule settings
  // that are not numbers (business_timezone, benign_error_codes, historical_alerts).
  EXPECT_EQ(sizeof(Thresholds), ThresholdDefs().size() * sizeof(int64_t) + sizeof(std::string) +
                                    sizeof(std::vector<std::string>) + sizeof(HistoricalAlerts));
  EXPECT_TRUE(ValidateThresholds(defaults).ok());
}

TEST(Thresholds, EverySettingIsReadFromItsSection) {
  for (const ThresholdDef& def : ThresholdDefs()) {
    Config config;
    const std::string text = std::string("[rules.") + def.section + "]\n" + def.key + " = 7\n";
    ASSERT_TRUE(LoadText(text, &config).ok()) << text;
    const int64_t stored = def.unit == ThresholdUnit::kSeconds ? 7 * kMicrosPerSecond : 7;
    EXPECT_EQ(config.thresholds.*def.field, stored) << ThresholdName(def);
    EXPECT_EQ(WrittenValue(def, config.thresholds), 7) << ThresholdName(def);
  }
}

TEST(Thresholds, ValuesOutsideTheBoundsAreRejectedNamingTheKey) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"[rules.ticketing]\nhigh_reserved_percent = 101\n", "rules.ticketing.high_reserved_percent must be <= 100"},
      {"[rules.ticketing]\nrevenue_excess_percent = -1\n", "rules.ticketing.revenue_excess_percent must be >= 0"},
      {"[rules.ticketing]\nstuck_hold_after_seconds = -5\n", "rules.ticketing.stuck_hold_after_seconds must be >= 0"},
      {"[rules.reserve]\npix_pending_after_seconds = 99999999999\n",
       "rules.reserve.pix_pending_after_seconds must be <= 31536000"},
      {"[rules.reserve]\npayment_rate_min_settled = 0\n", "rules.reserve.payment_rate_min_settled must be >= 1"},
      {"[rules.reserve]\nwebhook_failures_threshold = 0\n", "rules.reserve.webhook_failures_threshold must be >= 1"},
      {"[rules.walguard]\nreplication_lag_bytes = -1\n", "rules.walguard.replication_lag_bytes must be >= 0"},
  };
  for (const Case& c : cases) {
    Config config;
    Status s = LoadText(c.text, &config);
    EXPECT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.message(), std::string("config: ") + c.message) << c.text;
  }
  // The same bounds hold for settings made in code, when walguard starts.
  Config config;
  config.postgres.conninfo = "dbname=app";
  config.sink = "jsonl";
  ASSERT_TRUE(ValidateForRun(config).ok());
  config.thresholds.payment_success_rate_percent = 120;
  EXPECT_EQ(ValidateForRun(config).message(), "rules.reserve.payment_success_rate_percent must be <= 100");
}

TEST(Thresholds, UnknownKeysAndWrongTypesStayErrors) {
  Config config;
  Status s = LoadText("[rules.reserve]\nwebhook_window = 5\n", &config);
  EXPECT_EQ(s.message(), "config: unknown setting rules.reserve.webhook_window");
  s = LoadText("[rules.walguard]\nreplication_lag_seconds = \"5m\"\n", &config);
  EXPECT_EQ(s.message(), "config: rules.walguard.replication_lag_seconds has the wrong type");
  s = LoadText("[rules.nightly]\nslow_seconds = 5\n", &config);
  EXPECT_EQ(s.message(), "config: unknown setting rules.nightly");
  // [rules.cron] is a section now (cron_slow_after_seconds); other keys in it are not.
  s = LoadText("[rules.cron]\nslow_seconds = 5\n", &config);
  EXPECT_EQ(s.message(), "config: unknown setting rules.cron.slow_seconds");
}

TEST(Thresholds, HistoricalAlertsIsReadFromTheAlertsSection) {
  for (HistoricalAlerts mode : {HistoricalAlerts::kReport, HistoricalAlerts::kSuppress, HistoricalAlerts::kPage}) {
    Config config;
    config.thresholds.historical_alerts =
        mode == HistoricalAlerts::kPage ? HistoricalAlerts::kReport : HistoricalAlerts::kPage;
    const std::string text =
        std::string("[rules.alerts]\nhistorical_alerts = \"") + std::string(HistoricalAlertsName(mode)) + "\"\n";
    const std::string path = ::testing::TempDir() + "/historical_alerts.toml";
    std::ofstream(path) << text;
    ASSERT_TRUE(LoadConfigFile(path, &config).ok()) << text;
    EXPECT_EQ(config.thresholds.historical_alerts, mode) << text;
  }
  Config config;
  const std::string path = ::testing::TempDir() + "/historical_alerts_bad.toml";
  std::ofstream(path) << "[rules.alerts]\nhistorical_alerts = \"ignore\"\n";
  const Status s = LoadConfigFile(path, &config);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("rules.alerts.historical_alerts"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace walguard

// [alertmanager]: URLs and bounds are checked when the file loads, the
// defaults hold without the table, and check-config prints the table.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/effective_config.h"
#include "tests/support/status_assert.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

Status Load(const std::string& toml, Config* config) {
  TempDir tmp("wg-am-config");
  return LoadConfigFile(tmp.Write("c.toml", toml), config);
}

TEST(AlertmanagerConfigTest, DefaultsAreOffWithAMinuteResend) {
  Config config;
  ASSERT_OK(Load("", &config));
  EXPECT_TRUE(config.alertmanager.urls.empty());
  EXPECT_EQ(config.alertmanager.resend_interval_s, 60);
  EXPECT_EQ(config.alertmanager.timeout_ms, 5000);
  EXPECT_EQ(config.alertmanager.max_queued, 10'000);
}

TEST(AlertmanagerConfigTest, ReadsEveryKey) {
  Config config;
  ASSERT_OK(
      Load("[alertmanager]\nurls = [\"http://am1:9093\", \"https://am2.example.com/am\"]\n"
           "resend_interval_s = 30\ntimeout_ms = 2000\nmax_queued = 50\n"
           "generator_url = \"http://walguard:9187/\"\n",
           &config));
  const AlertmanagerConfig& am = config.alertmanager;
  ASSERT_EQ(am.urls.size(), 2u);
  EXPECT_EQ(am.urls[1], "https://am2.example.com/am");
  EXPECT_EQ(am.resend_interval_s, 30);
  EXPECT_EQ(am.timeout_ms, 2000);
  EXPECT_EQ(am.max_queued, 50);
  EXPECT_EQ(am.generator_url, "http://walguard:9187/");
  const std::string printed = RenderEffectiveConfig(config, {"", false});
  EXPECT_NE(printed.find("[alertmanager]\nurls = [\"http://am1:9093\", \"https://am2.example.com/am\"]\n"),
            std::string::npos)
      << printed;
}

TEST(AlertmanagerConfigTest, RejectsBadValuesNamingTheKey) {
  const char* bad[] = {
      "[alertmanager]\nurls = \"http://am1:9093\"\n",            // not an array
      "[alertmanager]\nurls = [\"am1:9093\"]\n",                 // no scheme
      "[alertmanager]\nurls = [\"http://user:pw@am1:9093\"]\n",  // credentials
      "[alertmanager]\nurls = [\"http://\"]\n",                  // no host
      "[alertmanager]\nresend_interval_s = 0\n",
      "[alertmanager]\ntimeout_ms = 0\n",
      "[alertmanager]\nmax_queued = 0\n",
      "[alertmanager]\nurl = [\"http://am1:9093\"]\n",  // a typo
  };
  for (const char* toml : bad) {
    Config config;
    Status s = Load(toml, &config);
    EXPECT_FALSE(s.ok()) << toml;
    EXPECT_NE(s.message().find("alertmanager."), std::string::npos) << s.ToString();
  }
}

TEST(AlertmanagerConfigTest, RunChecksUrlsGivenOnTheCommandLine) {
  Config config;
  config.postgres.conninfo = "host=db";
  config.kafka.brokers = "k:9092";
  ASSERT_OK(ValidateForRun(config));
  config.alertmanager.urls = {"am1:9093"};
  EXPECT_FALSE(ValidateForRun(config).ok());
}

}  // namespace
}  // namespace walguard

#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace walguard {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/walguard-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, ExampleFileLoadsAndKeepsDefaults) {
  Config config;
  Status s = LoadConfigFile(std::string(WALGUARD_SOURCE_DIR) + "/config/walguard.example.toml", &config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(config.postgres.slot, "walguard");
  EXPECT_EQ(config.kafka.alerts_topic, "walguard.alerts");
  EXPECT_EQ(config.thresholds.stuck_hold_after, 5 * kMicrosPerMinute);
  EXPECT_EQ(config.thresholds.paid_without_tickets_after, 2 * kMicrosPerMinute);
  EXPECT_EQ(config.thresholds.stale_pending_after, 30 * kMicrosPerMinute);
  EXPECT_EQ(config.thresholds.high_reserved_percent, 30);
}

TEST(ConfigTest, SettingsOverrideDefaults) {
  std::string path = WriteTemp(R"(
state_dir = "/var/lib/walguard"
[postgres]
conninfo = "host=db dbname=app"
slot = "wg2"
[kafka]
brokers = "k1:9092,k2:9092"
[kafka.properties]
"security.protocol" = "SASL_SSL"
[rules.ticketing]
stuck_hold_after_seconds = 60
high_reserved_percent = 50
)");
  Config config;
  ASSERT_TRUE(LoadConfigFile(path, &config).ok());
  EXPECT_EQ(config.state_dir, "/var/lib/walguard");
  EXPECT_EQ(config.postgres.slot, "wg2");
  EXPECT_EQ(config.kafka.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(config.kafka.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config.thresholds.stuck_hold_after, kMicrosPerMinute);
  EXPECT_EQ(config.thresholds.high_reserved_percent, 50);
  EXPECT_TRUE(ValidateForRun(config).ok());
  std::remove(path.c_str());
}

TEST(ConfigTest, UnknownKeyIsAnErrorNamingIt) {
  std::string path = WriteTemp("[rules.ticketing]\nstuck_hold_minutes = 5\n");
  Config config;
  Status s = LoadConfigFile(path, &config);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rules.ticketing.stuck_hold_minutes"), std::string::npos) << s.message();
  std::remove(path.c_str());
}

TEST(ConfigTest, WrongTypeAndSyntaxErrorsAreReported) {
  std::string path = WriteTemp("[postgres]\nslot = 5\n");
  Config config;
  Status s = LoadConfigFile(path, &config);
  EXPECT_NE(s.message().find("postgres.slot"), std::string::npos) << s.message();
  std::string bad = WriteTemp("[postgres\n");
  EXPECT_NE(LoadConfigFile(bad, &config).message().find("line"), std::string::npos);
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

TEST(ConfigTest, RunNeedsConnectionAndBrokers) {
  Config config;
  EXPECT_NE(ValidateForRun(config).message().find("--pg"), std::string::npos);
  config.postgres.conninfo = "dbname=app";
  EXPECT_NE(ValidateForRun(config).message().find("--brokers"), std::string::npos);
  config.sink = "jsonl";
  EXPECT_TRUE(ValidateForRun(config).ok());
  config.sink = "s3";
  EXPECT_FALSE(ValidateForRun(config).ok());
}

TEST(ConfigTest, ReliabilitySettings) {
  Config defaults;
  EXPECT_EQ(defaults.outbox_max_messages, 100000);
  EXPECT_EQ(defaults.postgres.heartbeat_interval_s, 0);
  EXPECT_EQ(defaults.thresholds.replication_lag_after, 5 * kMicrosPerMinute);
  std::string path = WriteTemp(R"(
outbox_max_messages = 250
[postgres]
monitor_interval_s = 2
heartbeat_interval_s = 5
[rules.walguard]
replication_lag_bytes = 65536
replication_lag_seconds = 0
)");
  Config config;
  ASSERT_TRUE(LoadConfigFile(path, &config).ok());
  EXPECT_EQ(config.outbox_max_messages, 250);
  EXPECT_EQ(config.postgres.monitor_interval_s, 2);
  EXPECT_EQ(config.postgres.heartbeat_interval_s, 5);
  EXPECT_EQ(config.thresholds.replication_lag_bytes, 65536);
  EXPECT_EQ(config.thresholds.replication_lag_after, 0);
  config.postgres.conninfo = "dbname=app";
  config.kafka.brokers = "k:9092";
  EXPECT_TRUE(ValidateForRun(config).ok());
  config.outbox_max_messages = 0;
  EXPECT_NE(ValidateForRun(config).message().find("outbox_max_messages"), std::string::npos);
  std::remove(path.c_str());
}

TEST(ConfigTest, ArchiveSettingsDefaultOnAndLoad) {
  Config defaults;
  EXPECT_TRUE(defaults.archive.enabled);
  EXPECT_EQ(defaults.archive.dir, "");
  EXPECT_EQ(defaults.archive.max_age_days, 7);
  EXPECT_EQ(defaults.archive.max_bytes, 10737418240);
  EXPECT_EQ(defaults.archive.segment_bytes, 8388608);
  EXPECT_EQ(defaults.archive.seal_interval_s, 60);
  Config example;
  ASSERT_TRUE(LoadConfigFile(std::string(WALGUARD_SOURCE_DIR) + "/config/walguard.example.toml", &example).ok());
  EXPECT_TRUE(example.archive.enabled);
  EXPECT_EQ(example.archive.max_bytes, defaults.archive.max_bytes);
  EXPECT_EQ(example.archive.segment_bytes, defaults.archive.segment_bytes);
  std::string path = WriteTemp(R"(
[archive]
enabled = false
dir = "/var/lib/walguard-archive"
max_age_days = 0
max_bytes = 0
segment_bytes = 65536
seal_interval_s = 5
)");
  Config config;
  ASSERT_TRUE(LoadConfigFile(path, &config).ok());
  EXPECT_FALSE(config.archive.enabled);
  EXPECT_EQ(config.archive.dir, "/var/lib/walguard-archive");
  EXPECT_EQ(config.archive.max_age_days, 0);
  EXPECT_EQ(config.archive.max_bytes, 0);
  EXPECT_EQ(config.archive.segment_bytes, 65536);
  EXPECT_EQ(config.archive.seal_interval_s, 5);
  config.postgres.conninfo = "dbname=app";
  config.kafka.brokers = "k:9092";
  EXPECT_TRUE(ValidateForRun(config).ok());
  std::remove(path.c_str());
}

TEST(ConfigTest, ArchiveSettingsAreValidatedByName) {
  Config base;
  base.postgres.conninfo = "dbname=app";
  base.kafka.brokers = "k:9092";
  auto message = [&](auto change) {
    Config config = base;
    change(&config.archive);
    return ValidateForRun(config).message();
  };
  using ::testing::HasSubstr;
  EXPECT_THAT(message([](ArchiveConfig* a) { a->max_age_days = -1; }), HasSubstr("archive.max_age_days"));
  EXPECT_THAT(message([](ArchiveConfig* a) { a->max_bytes = -1; }), HasSubstr("archive.max_bytes"));
  EXPECT_THAT(message([](ArchiveConfig* a) { a->segment_bytes = 0; }), HasSubstr("archive.segment_bytes"));
  EXPECT_THAT(message([](ArchiveConfig* a) { a->max_bytes = 1000; }), HasSubstr("archive.max_bytes"));
  EXPECT_THAT(message([](ArchiveConfig* a) { a->seal_interval_s = 0; }), HasSubstr("archive.seal_interval_s"));
  EXPECT_EQ(message([](ArchiveConfig* a) { a->max_bytes = 0; }), "");
}

TEST(ConfigTest, UnknownArchiveKeyIsAnError) {
  std::string path = WriteTemp("[archive]\nsegment_size = 1\n");
  Config config;
  EXPECT_NE(LoadConfigFile(path, &config).message().find("archive.segment_size"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace walguard

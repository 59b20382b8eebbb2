// check-config's printout: every setting of the example file appears, what it
// prints loads back to the same settings, and secret Kafka properties are masked.
#include "config/effective_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/config.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// "table.key" for every uncommented key line of a TOML text (bare or quoted keys).
std::set<std::string> KeysOf(const std::string& toml) {
  std::set<std::string> keys;
  std::istringstream in(toml);
  std::string line, table;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ' ') continue;
    if (line[0] == '[') {
      table = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    keys.insert(table.empty() ? key : table + "." + key);
  }
  return keys;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(EffectiveConfigTest, PrintsEverySettingOfTheExampleFile) {
  Config config;
  Status s = LoadConfigFile(std::string(WALGUARD_SOURCE_DIR) + "/config/walguard.example.toml", &config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const std::set<std::string> example =
      KeysOf(ReadFile(std::string(WALGUARD_SOURCE_DIR) + "/config/walguard.example.toml"));
  const std::set<std::string> printed = KeysOf(RenderEffectiveConfig(config, {config.postgres.conninfo, false}));
  ASSERT_GT(example.size(), 40u);  // the scan found the file's keys, not nothing
  for (const std::string& key : example) EXPECT_EQ(printed.count(key), 1u) << key << " is not printed";
}

TEST(EffectiveConfigTest, PrintoutLoadsBackToTheSameSettings) {
  TempDir tmp("wg-effective-config");
  Config config;
  config.state_dir = "/var/lib/walguard \"quoted\"";
  config.sink = "jsonl";
  config.http_address = "0.0.0.0:9187";
  config.postgres.conninfo = "host=db dbname=app user=walguard";
  config.postgres.heartbeat_interval_s = 30;
  config.kafka.brokers = "k1:9092,k2:9092";
  config.kafka.properties["linger.ms"] = "5";
  config.archive.enabled = false;
  config.archive.max_age_days = 3;
  config.thresholds.high_reserved_percent = 45;
  config.thresholds.stuck_hold_after = 7 * kMicrosPerMinute;
  const std::string printed = RenderEffectiveConfig(config, {config.postgres.conninfo, false});

  Config loaded;
  Status s = LoadConfigFile(tmp.Write("printed.toml", printed), &loaded);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << printed;
  EXPECT_EQ(loaded.state_dir, config.state_dir);
  EXPECT_EQ(loaded.http_address, "0.0.0.0:9187");
  EXPECT_EQ(loaded.kafka.properties.at("linger.ms"), "5");
  EXPECT_FALSE(loaded.archive.enabled);
  EXPECT_EQ(loaded.thresholds.stuck_hold_after, 7 * kMicrosPerMinute);
  EXPECT_EQ(RenderEffectiveConfig(loaded, {loaded.postgres.conninfo, false}), printed);
}

TEST(EffectiveConfigTest, MasksSecretKafkaPropertiesAndShowsTheRest) {
  Config config;
  config.kafka.properties = {{"sasl.password", "hunter2"},
                             {"sasl.username", "walguard"},
                             {"ssl.key.pem", "-----BEGIN PRIVATE KEY-----"},
                             {"ssl.key.location", "/etc/walguard/client.key"}};
  const std::string printed = RenderEffectiveConfig(config, {"host=db", false});
  EXPECT_THAT(printed, HasSubstr("\"sasl.password\" = \"********\""));
  EXPECT_THAT(printed, HasSubstr("\"ssl.key.pem\" = \"********\""));
  EXPECT_THAT(printed, HasSubstr("\"sasl.username\" = \"walguard\""));
  EXPECT_THAT(printed, HasSubstr("\"ssl.key.location\" = \"/etc/walguard/client.key\""));
  EXPECT_THAT(printed, Not(HasSubstr("hunter2")));
  EXPECT_THAT(printed, Not(HasSubstr("PRIVATE KEY")));
}

TEST(EffectiveConfigTest, ShowsTheConninfoAsGivenAndSaysWhenAPasswordWasRemoved) {
  Config config;
  config.postgres.conninfo = "host=db password=s3cret";
  const std::string printed = RenderEffectiveConfig(config, {"host=db", true});
  EXPECT_THAT(printed, HasSubstr("conninfo = \"host=db\""));
  EXPECT_THAT(printed, HasSubstr("# conninfo carries a password"));
  EXPECT_THAT(printed, Not(HasSubstr("s3cret")));
  EXPECT_THAT(RenderEffectiveConfig(config, {"host=db", false}), Not(HasSubstr("carries a password")));
}

TEST(EffectiveConfigTest, SecretPropertyNames) {
  for (const char* name :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config", "sasl.jaas.config", "ssl_key", "SASL.PASSWORD", "my.api.token", "aws.credentials"}) {
    EXPECT_TRUE(IsSecretProperty(name)) << name;
  }
  for (const char* name : {"sasl.username", "security.protocol", "sasl.mechanism", "ssl.ca.location",
                           "ssl.key.location", "ssl.keystore.location", "linger.ms", "ssl.certificate.location"}) {
    EXPECT_FALSE(IsSecretProperty(name)) << name;
  }
}

TEST(EffectiveConfigTest, HttpAddressIsCheckedWhenLoaded) {
  TempDir tmp("wg-effective-config");
  for (const char* good : {"0.0.0.0:9187", "127.0.0.1:1", "[::1]:65535", "walguard:9187"}) {
    Config config;
    Status s = LoadConfigFile(tmp.Write("good.toml", std::string("http_address = \"") + good + "\"\n"), &config);
    EXPECT_TRUE(s.ok()) << good << ": " << s.ToString();
    EXPECT_EQ(config.http_address, good);
  }
  for (const char* bad : {"9187", ":9187", "host:", "host:0", "host:65536", "host:http", "host:123456"}) {
    Config config;
    Status s = LoadConfigFile(tmp.Write("bad.toml", std::string("http_address = \"") + bad + "\"\n"), &config);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.message(), HasSubstr("http_address")) << bad;
  }
}

}  // namespace
}  // namespace walguard

// The rule settings that are not thresholds (CONTRACT 3.1): business_timezone
// and benign_error_codes, read from the top level of the config file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/effective_config.h"

namespace walguard {
namespace {

Status LoadText(const std::string& text, Config* config) {
  char path[] = "/tmp/wg_rule_settings_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << text;
  Status s = LoadConfigFile(path, config);
  std::remove(path);
  return s;
}

TEST(RuleSettings, DefaultsAreTheContracts) {
  Config config;
  ASSERT_TRUE(LoadText("", &config).ok());
  EXPECT_EQ(config.thresholds.business_timezone, "UTC");
  EXPECT_EQ(config.thresholds.benign_error_codes,
            (std::vector<std::string>{"card_declined", "expired_card", "insufficient_funds"}));
}

TEST(RuleSettings, ReadFromTheTopLevel) {
  Config config;
  Status s = LoadText("business_timezone = \"America/Sao_Paulo\"\nbenign_error_codes = [\"do_not_honor\"]\n", &config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(config.thresholds.business_timezone, "America/Sao_Paulo");
  EXPECT_EQ(config.thresholds.benign_error_codes, std::vector<std::string>{"do_not_honor"});
  // An empty list: every failure counts.
  ASSERT_TRUE(LoadText("benign_error_codes = []\n", &config).ok());
  EXPECT_TRUE(config.thresholds.benign_error_codes.empty());
}

TEST(RuleSettings, AnUnknownZoneIsRejectedAtLoad) {
  for (const char* zone : {"Mars/Olympus_Mons", "../../etc/passwd", ""}) {
    Config config;
    Status s = LoadText(std::string("business_timezone = \"") + zone + "\"\n", &config);
    EXPECT_FALSE(s.ok()) << zone;
    EXPECT_NE(s.message().find("business_timezone"), std::string::npos) << s.ToString();
  }
}

TEST(RuleSettings, BenignCodesMustBeStrings) {
  for (const char* text :
       {"benign_error_codes = \"card_declined\"\n", "benign_error_codes = [1, 2]\n", "benign_error_codes = [\"\"]\n"}) {
    Config config;
    Status s = LoadText(text, &config);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find("benign_error_codes"), std::string::npos) << s.ToString();
  }
}

TEST(RuleSettings, CheckConfigPrintsThemAndReadsThemBack) {
  Config config;
  ASSERT_TRUE(LoadText("business_timezone = \"Asia/Kolkata\"\nbenign_error_codes = [\"a\", \"b\"]\n", &config).ok());
  const std::string text = RenderEffectiveConfig(config, ShownConninfo{});
  EXPECT_NE(text.find("business_timezone = \"Asia/Kolkata\""), std::string::npos) << text;
  Config again;
  Status s = LoadText(text, &again);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << text;
  EXPECT_EQ(again.thresholds.business_timezone, "Asia/Kolkata");
  EXPECT_EQ(again.thresholds.benign_error_codes, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace walguard

// [state]: how often the state's checksums are read at open, and where
// state_disk_low fires.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "config/config.h"
#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

TEST(StateConfig, DefaultsVerifyChangedAndDeriveTheDiskThreshold) {
  const Config config;
  EXPECT_EQ(config.state.verify_on_open, "changed");
  EXPECT_EQ(config.state.disk_low_bytes, 0);
}

TEST(StateConfig, ReadsTheStateTable) {
  TempDir tmp;
  Config config;
  const std::string path = tmp.Write("w.toml", "[state]\nverify_on_open = \"daily\"\ndisk_low_bytes = 8388608\n");
  Status s = LoadConfigFile(path, &config);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(config.state.verify_on_open, "daily");
  EXPECT_EQ(config.state.disk_low_bytes, 8388608);
}

TEST(StateConfig, RefusesWhatItCannotMean) {
  TempDir tmp;
  for (const char* text :
       {"[state]\nverify_on_open = \"weekly\"\n", "[state]\ndisk_low_bytes = -1\n", "[state]\nverify = \"always\"\n"}) {
    Config config;
    Status s = LoadConfigFile(tmp.Write("w.toml", text), &config);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_THAT(s.message(), HasSubstr("state.")) << text;
  }
}

TEST(StateConfig, TransactionSpillBytesDefaultsTo8MiBAndZeroMeansNever) {
  EXPECT_EQ(Config().state.transaction_spill_bytes, int64_t{8} << 20);
  TempDir tmp;
  for (const auto& [text, want] : {std::pair{"[state]\ntransaction_spill_bytes = 4194304\n", int64_t{4194304}},
                                   std::pair{"[state]\ntransaction_spill_bytes = 0\n", int64_t{0}}}) {
    Config config;
    Status s = LoadConfigFile(tmp.Write("w.toml", text), &config);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(config.state.transaction_spill_bytes, want);
  }
  Config config;
  Status s = LoadConfigFile(tmp.Write("w.toml", "[state]\ntransaction_spill_bytes = -1\n"), &config);
  EXPECT_THAT(s.message(), HasSubstr("state.transaction_spill_bytes"));
  Config example;
  ASSERT_TRUE(LoadConfigFile(std::string(WALGUARD_SOURCE_DIR) + "/config/walguard.example.toml", &example).ok());
  EXPECT_EQ(example.state.transaction_spill_bytes, Config().state.transaction_spill_bytes);
}

}  // namespace
}  // namespace walguard

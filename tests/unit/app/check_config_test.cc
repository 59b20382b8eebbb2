// `walguard check-config`: exit 0 and the effective settings with secrets
// masked, or exit 1 naming the key that is wrong.
#include "app/check_config_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/support/temp_dir.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CheckConfigTest : public ::testing::Test {
 protected:
  // Runs the command on `toml`; its stdout and stderr land in out_ and err_.
  int Check(const std::string& toml) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    EXPECT_NE(out, nullptr);
    EXPECT_NE(err, nullptr);
    int code = CheckConfigCommand(tmp_.Write("walguard.toml", toml), out, err);
    out_ = Slurp(out);
    err_ = Slurp(err);
    return code;
  }

  static std::string Slurp(std::FILE* f) {
    std::string text;
    std::rewind(f);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    return text;
  }

  TempDir tmp_{"wg-check-config"};
  std::string out_, err_;
};

constexpr char kValid[] = R"(
[postgres]
conninfo = "host=db dbname=app user=walguard password=pg-s3cret"
[kafka]
brokers = "kafka:9092"
[kafka.properties]
"security.protocol" = "SASL_SSL"
"sasl.username" = "walguard"
"sasl.password" = "kafka-s3cret"
)";

TEST_F(CheckConfigTest, ValidFilePrintsEverySettingWithSecretsMasked) {
  ASSERT_EQ(Check(kValid), 0) << err_;
  EXPECT_EQ(err_, "");
  EXPECT_THAT(out_, HasSubstr("conninfo = \"host=db dbname=app user=walguard\""));
  EXPECT_THAT(out_, HasSubstr("# conninfo carries a password"));
  EXPECT_THAT(out_, HasSubstr("\"sasl.password\" = \"********\""));
  EXPECT_THAT(out_, HasSubstr("\"sasl.username\" = \"walguard\""));
  EXPECT_THAT(out_, Not(HasSubstr("pg-s3cret")));
  EXPECT_THAT(out_, Not(HasSubstr("kafka-s3cret")));
  // Defaults filled in: settings the file does not name.
  EXPECT_THAT(out_, HasSubstr("slot = \"walguard\""));
  EXPECT_THAT(out_, HasSubstr("stuck_hold_after_seconds = 300"));
}

TEST_F(CheckConfigTest, MasksAUriPassword) {
  ASSERT_EQ(Check(R"(
[postgres]
conninfo = "postgresql://walguard:uri-s3cret@db:5432/app?sslmode=require"
[kafka]
brokers = "kafka:9092"
)"),
            0)
      << err_;
  EXPECT_THAT(out_, Not(HasSubstr("uri-s3cret")));
  EXPECT_THAT(out_, HasSubstr("db:5432/app"));
  EXPECT_THAT(out_, HasSubstr("# conninfo carries a password"));
}

TEST_F(CheckConfigTest, BadFileExitsOneNamingTheKey) {
  EXPECT_EQ(Check("[kafka]\nbrokers = \"kafka:9092\"\nbrokerz = \"x\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("kafka.brokerz"));
  EXPECT_EQ(out_, "");

  EXPECT_EQ(Check("[postgres]\nconninfo = \"host=db\"\nslot = 7\n[kafka]\nbrokers = \"k:9092\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("postgres.slot"));

  EXPECT_EQ(Check("[postgres]\nconninfo = \"host=db\"\n[kafka]\nbrokers = \"k:9092\"\n"
                  "[rules.ticketing]\nhigh_reserved_percent = 101\n"),
            1);
  EXPECT_THAT(err_, HasSubstr("rules.ticketing.high_reserved_percent"));

  EXPECT_EQ(Check("[postgres]\nconninfo = \"host=db\"\n[kafka]\nbrokers = \"k:9092\"\n[archive]\nsegment_bytes = 1\n"),
            1);
  EXPECT_THAT(err_, HasSubstr("archive.segment_bytes"));

  EXPECT_EQ(Check("http_address = \"nope\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("http_address"));
}

TEST_F(CheckConfigTest, MissingConnectionSettingsAreNamed) {
  EXPECT_EQ(Check("[kafka]\nbrokers = \"kafka:9092\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("postgres.conninfo"));
  EXPECT_EQ(Check("[postgres]\nconninfo = \"host=db\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("kafka.brokers"));
}

TEST_F(CheckConfigTest, UnparsableFileExitsOneWithTheLine) {
  EXPECT_EQ(Check("[postgres\nconninfo = \"host=db\"\n"), 1);
  EXPECT_THAT(err_, HasSubstr("line 1"));
}

}  // namespace
}  // namespace walguard

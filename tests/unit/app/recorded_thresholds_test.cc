// The rule settings as the archive records them (app/recorded_thresholds.h):
// every setting that changes alerts survives the round trip, the settings
// that are not numbers included; an earlier walguard's text (a setting
// missing) reads as the defaults, a later one's (a setting unknown, of any
// form) is skipped.
#include <gtest/gtest.h>

#include <string>

#include "app/recorded_thresholds.h"
#include "config/thresholds.h"

namespace walguard {
namespace {

// Every setting away from its default.
Thresholds NonDefault() {
  Thresholds t;
  for (const ThresholdDef& def : ThresholdDefs()) {
    const int64_t moved = WrittenValue(def, t) == def.max ? def.max - 1 : WrittenValue(def, t) + 1;
    SetWrittenValue(def, moved, &t);
  }
  t.business_timezone = "America/Sao_Paulo";
  t.benign_error_codes = {"do_not_honor", R"(odd "quoted\code", too)"};
  t.historical_alerts = HistoricalAlerts::kSuppress;
  return t;
}

TEST(RecordedThresholds, EverySettingRoundTrips) {
  const Thresholds t = NonDefault();
  const Thresholds defaults;
  Thresholds back;
  ASSERT_TRUE(ParseRecordedThresholds(RecordThresholds(t), &back).ok());
  EXPECT_EQ(RecordThresholds(back), RecordThresholds(t));
  for (const ThresholdDef& def : ThresholdDefs()) {
    EXPECT_EQ(back.*def.field, t.*def.field) << ThresholdName(def);
    EXPECT_NE(back.*def.field, defaults.*def.field) << ThresholdName(def);
  }
  EXPECT_EQ(back.business_timezone, "America/Sao_Paulo");
  EXPECT_EQ(back.benign_error_codes, t.benign_error_codes);
  EXPECT_EQ(back.historical_alerts, HistoricalAlerts::kSuppress);

  Thresholds none;
  none.benign_error_codes.clear();
  ASSERT_TRUE(ParseRecordedThresholds(RecordThresholds(none), &back).ok());
  EXPECT_TRUE(back.benign_error_codes.empty()) << "an empty list is not the default list";
}

TEST(RecordedThresholds, TheSettingsThatAreNotNumbersAreWrittenAsTheConfigFileNamesThem) {
  const std::string text = RecordThresholds(NonDefault());
  EXPECT_NE(text.find("\nbusiness_timezone = \"America/Sao_Paulo\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbenign_error_codes = [\"do_not_honor\", \"odd \\\"quoted\\\\code\\\", too\"]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nrules.alerts.historical_alerts = \"suppress\"\n"), std::string::npos) << text;
}

TEST(RecordedThresholds, AnEarlierWalguardsTextKeepsTheDefaultsOfWhatItLacks) {
  // As the walguard before these settings were recorded wrote it: numbers only.
  Thresholds numbers_only;
  numbers_only.high_reserved_percent = 9;
  std::string text = RecordThresholds(numbers_only);
  text = text.substr(0, text.find("business_timezone"));
  Thresholds back = NonDefault();
  ASSERT_TRUE(ParseRecordedThresholds(text, &back).ok());
  const Thresholds defaults;
  EXPECT_EQ(back.high_reserved_percent, 9);
  EXPECT_EQ(back.business_timezone, defaults.business_timezone);
  EXPECT_EQ(back.benign_error_codes, defaults.benign_error_codes);
  EXPECT_EQ(back.historical_alerts, defaults.historical_alerts);
}

TEST(RecordedThresholds, ALaterWalguardsSettingIsSkippedWhateverItsForm) {
  Thresholds back;
  ASSERT_TRUE(ParseRecordedThresholds("rules.later.setting = 3\nrules.later.mode = \"x\"\nrules.later.list = [1]\n"
                                      "rules.ticketing.high_reserved_percent = 9\n",
                                      &back)
                  .ok());
  EXPECT_EQ(back.high_reserved_percent, 9);
  EXPECT_EQ(back.stuck_hold_after, Thresholds().stuck_hold_after);
}

TEST(RecordedThresholds, AMalformedKnownSettingIsCorruption) {
  Thresholds back;
  for (const char* text : {
           "rules.ticketing.high_reserved_percent = x\n",
           "rules.ticketing.high_reserved_percent = -1\n",
           "no equals sign\n",
           "business_timezone = UTC\n",
           "business_timezone = \"UTC\n",
           "benign_error_codes = \"card_declined\"\n",
           "benign_error_codes = [\"a\",\"b\"]\n",
           "rules.alerts.historical_alerts = \"sometimes\"\n",
       }) {
    EXPECT_EQ(ParseRecordedThresholds(text, &back).code(), Status::Code::kCorruption) << text;
  }
  EXPECT_EQ(ParseRecordedThresholds("business_timezone = \"Nowhere/Atlantis\"\n", &back).code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace walguard

// AmAlert: an alert message as Alertmanager's v2 API takes it. Labels are
// the same for firing and resolve, times are RFC 3339, a resolve carries
// endsAt, and the saved form reads back.
#include "sinks/alertmanager_alert.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/status_assert.h"

namespace walguard {
namespace {

constexpr char kFiring[] =
    R"({"alert_id":"a1b2","fingerprint":"stuck_holds:tier:t-9","type":"stuck_holds","severity":"P3",)"
    R"("state":"firing","entity":{"kind":"tier","id":"t-9"},"event_id":"e-1","lsn":"0/16B3748",)"
    R"("commit_time":"2026-11-21T16:33:53.001193Z","detected_at":"2026-11-21T16:33:53.010000Z",)"
    R"("details":{"stuck_holds":2, "oldest":"x"},"runbook":"000 section 3"})";

constexpr char kResolved[] =
    R"({"alert_id":"a1b2","fingerprint":"stuck_holds:tier:t-9","type":"stuck_holds","severity":"P3",)"
    R"("state":"resolved","entity":{"kind":"tier","id":"t-9"},"event_id":"e-1","lsn":"0/16B9000",)"
    R"("commit_time":"2026-11-21T16:40:00.000000Z","detected_at":"2026-11-21T16:40:00.500000Z",)"
    R"("details":{},"runbook":"000 section 3"})";

Micros At(const char* text) {
  Micros t = 0;
  EXPECT_TRUE(ParseTimestamp(text, &t)) << text;
  return t;
}

TEST(AmAlertTest, FiringMessageBecomesLabelsAndAnnotations) {
  AmAlert a;
  ASSERT_OK(AmAlertFromMessage(kFiring, "http://walguard:9187/", &a));
  const AmAlert::Pairs labels = {{"alertname", "stuck_holds"},
                                 {"entity_id", "t-9"},
                                 {"entity_kind", "tier"},
                                 {"event_id", "e-1"},
                                 {"fingerprint", "stuck_holds:tier:t-9"},
                                 {"runbook", "000 section 3"},
                                 {"severity", "P3"}};
  EXPECT_EQ(a.labels, labels);
  EXPECT_EQ(a.alert_id(), "a1b2");
  EXPECT_EQ(a.Annotation("details"), R"({"stuck_holds":2,"oldest":"x"})");
  EXPECT_EQ(a.Annotation("summary"), "stuck_holds on tier t-9 (P3), runbook 000 section 3");
  EXPECT_EQ(a.starts_at, At("2026-11-21T16:33:53.010000Z"));
  EXPECT_FALSE(a.resolved());
  EXPECT_EQ(a.generator_url, "http://walguard:9187/");
}

TEST(AmAlertTest, ResolveHasTheSameLabelsAndEndsAtTheResolveTime) {
  AmAlert firing;
  AmAlert resolved;
  ASSERT_OK(AmAlertFromMessage(kFiring, "", &firing));
  ASSERT_OK(AmAlertFromMessage(kResolved, "", &resolved));
  EXPECT_EQ(resolved.labels, firing.labels);  // Alertmanager matches them by label set
  ASSERT_TRUE(resolved.resolved());
  EXPECT_EQ(resolved.ends_at, At("2026-11-21T16:40:00.500000Z"));
}

TEST(AmAlertTest, NoEventIdNoLabel) {
  std::string msg = kFiring;
  const std::string event = R"("event_id":"e-1",)";
  msg.erase(msg.find(event), event.size());
  AmAlert a;
  ASSERT_OK(AmAlertFromMessage(msg, "", &a));
  EXPECT_EQ(a.labels.size(), 6u);
  EXPECT_EQ(a.Label("event_id"), "");
}

TEST(AmAlertTest, RejectsWhatIsNotAnAlertMessage) {
  AmAlert a;
  EXPECT_TRUE(AmAlertFromMessage("[1,2]", "", &a).IsCorruption());
  EXPECT_TRUE(AmAlertFromMessage(R"({"command_id":"c","type":"x","args":{}})", "", &a).IsCorruption());
  std::string no_time = kFiring;
  no_time.replace(no_time.find("2026-11-21T16:33:53.010000Z"), 27, "yesterday");
  EXPECT_TRUE(AmAlertFromMessage(no_time, "", &a).IsCorruption());
}

TEST(AmAlertTest, JsonIsTheV2ApiBodyWithRfc3339Times) {
  AmAlert firing;
  AmAlert resolved;
  ASSERT_OK(AmAlertFromMessage(kFiring, "http://walguard:9187/", &firing));
  ASSERT_OK(AmAlertFromMessage(kResolved, "", &resolved));
  const std::string json = AmAlertsJson({&firing, &resolved}, At("2026-11-21T16:37:53Z"));
  const std::string labels = R"({"alertname":"stuck_holds","entity_id":"t-9","entity_kind":"tier","event_id":"e-1",)"
                             R"("fingerprint":"stuck_holds:tier:t-9","runbook":"000 section 3","severity":"P3"})";
  const std::string expected = R"([{"labels":)" + labels +
                               R"(,"annotations":{"alert_id":"a1b2","details":"{\"stuck_holds\":2,\"oldest\":\"x\"}",)"
                               R"("summary":"stuck_holds on tier t-9 (P3), runbook 000 section 3"},)"
                               R"("startsAt":"2026-11-21T16:33:53.010000Z","endsAt":"2026-11-21T16:37:53.000000Z",)"
                               R"("generatorURL":"http://walguard:9187/"},)"
                               R"({"labels":)" +
                               labels +
                               R"(,"annotations":{"alert_id":"a1b2","details":"{}",)"
                               R"("summary":"stuck_holds on tier t-9 (P3), runbook 000 section 3"},)"
                               R"("startsAt":"2026-11-21T16:40:00.500000Z","endsAt":"2026-11-21T16:40:00.500000Z"}])";
  EXPECT_EQ(json, expected);
}

TEST(AmAlertTest, FiringWithoutHorizonHasNoEndsAt) {
  AmAlert firing;
  ASSERT_OK(AmAlertFromMessage(kFiring, "", &firing));
  const std::string json = AmAlertsJson({&firing}, 0);
  EXPECT_EQ(json.find("endsAt"), std::string::npos) << json;
  EXPECT_EQ(AmAlertsJson({}, 0), "[]");
}

TEST(AmAlertTest, ResolveNeverEndsBeforeItStarts) {
  AmAlert a;
  ASSERT_OK(AmAlertFromMessage(kResolved, "", &a));
  a.starts_at = a.ends_at + kMicrosPerSecond;  // a clock step back between firing and resolve
  const std::string json = AmAlertsJson({&a}, 0);
  EXPECT_NE(json.find(R"("endsAt":"2026-11-21T16:40:01.500000Z")"), std::string::npos) << json;
}

TEST(AmAlertTest, SavedFormReadsBack) {
  AmAlert firing;
  AmAlert resolved;
  ASSERT_OK(AmAlertFromMessage(kFiring, "http://walguard:9187/", &firing));
  ASSERT_OK(AmAlertFromMessage(kResolved, "", &resolved));
  std::vector<AmAlert> back;
  ASSERT_OK(ParseAmAlerts(AmAlertsJson({&firing, &resolved}, 0), &back));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].labels, firing.labels);
  EXPECT_EQ(back[0].annotations, firing.annotations);
  EXPECT_EQ(back[0].starts_at, firing.starts_at);
  EXPECT_FALSE(back[0].resolved());
  EXPECT_EQ(back[0].generator_url, "http://walguard:9187/");
  EXPECT_EQ(back[1].ends_at, resolved.ends_at);
  EXPECT_TRUE(ParseAmAlerts("{}", &back).IsCorruption());
  EXPECT_TRUE(ParseAmAlerts(R"([{"labels":{"a":1},"annotations":{}}])", &back).IsCorruption());
}

}  // namespace
}  // namespace walguard

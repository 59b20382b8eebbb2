#include "worker/messages.h"

#include <gtest/gtest.h>

#include "worker/json_fields.h"

namespace walguard {
namespace {

TEST(MessagesTest, OutcomeJsonIsTheContractsShape) {
  Outcome o;
  o.command_id = "c1";
  o.type = "cleanup_expired_ticket_holds";
  o.status = OutcomeStatus::kApplied;
  o.report_json = R"({"holds_affected":17})";
  o.attempts = 2;
  o.worker = "w1";
  ParseTimestamp("2026-12-03T07:00:00Z", &o.at);
  EXPECT_EQ(OutcomeJson(o),
            R"({"command_id":"c1","type":"cleanup_expired_ticket_holds","status":"applied",)"
            R"("report":{"holds_affected":17},"attempts":2,"worker":"w1","at":"2026-12-03T07:00:00.000000Z"})");
}

TEST(MessagesTest, EveryStatusRoundTrips) {
  for (OutcomeStatus s :
       {OutcomeStatus::kDryRun, OutcomeStatus::kApplied, OutcomeStatus::kSkipped, OutcomeStatus::kRefused,
        OutcomeStatus::kAwaitingApproval, OutcomeStatus::kExpired, OutcomeStatus::kFailed}) {
    Outcome o;
    o.command_id = "c";
    o.status = s;
    o.reason = "why";
    o.command_json = R"({"command_id":"c","type":"t"})";
    Outcome back;
    ASSERT_TRUE(ParseOutcome(OutcomeJson(o), &back).ok()) << OutcomeJson(o);
    EXPECT_EQ(back.status, s);
    EXPECT_EQ(back.reason, "why");
    EXPECT_EQ(back.command_json, o.command_json);
  }
  OutcomeStatus s;
  EXPECT_FALSE(ParseOutcomeStatus("done", &s));
}

TEST(MessagesTest, ACommandAsWalguardIssuesIt) {
  Command c;
  ASSERT_TRUE(ParseCommand(R"({"command_id":"c1","type":"refund_duplicate_charge",)"
                           R"("args":{"booking_intent_id":"b1","payment_id":"p2"},"dry_run":false,)"
                           R"("requires_approval":true,"caused_by":"a1","lsn":"0/1","issued_at":"x"})",
                           &c)
                  .ok());
  EXPECT_EQ(c.type, "refund_duplicate_charge");
  EXPECT_TRUE(c.requires_approval);
  EXPECT_EQ(c.caused_by, "a1");
  EXPECT_EQ(c.args.at("payment_id"), "p2");
  EXPECT_EQ(c.args_json, R"({"booking_intent_id":"b1","payment_id":"p2"})");
  EXPECT_FALSE(ParseCommand(R"({"type":"x"})", &c).ok());
  EXPECT_FALSE(ParseCommand("[]", &c).ok());
}

TEST(MessagesTest, ApprovalRoundTrips) {
  Approval a{"c1", "alice", "checked with finance", 0};
  ParseTimestamp("2026-12-03T07:00:00Z", &a.at);
  Approval back;
  ASSERT_TRUE(ParseApproval(ApprovalJson(a), &back).ok());
  EXPECT_EQ(back.command_id, "c1");
  EXPECT_EQ(back.by, "alice");
  EXPECT_EQ(back.reason, "checked with finance");
  EXPECT_EQ(back.at, a.at);
  EXPECT_FALSE(ParseApproval(R"({"command_id":"c1"})", &back).ok());
}

TEST(MessagesTest, EscalationIsAStableP1OnTheOriginalsEntity) {
  Command c;
  c.command_id = "cmd-1";
  c.type = "reconcile_event_tickets";
  AlertMessage a;
  a.alert_id = "a1";
  a.type = "tier_reserved_drift";
  a.entity_kind = "tier";
  a.entity_id = "t1";
  a.event_id = "e1";
  JsonFields f;
  ASSERT_TRUE(JsonFields::Parse(EscalationAlertJson(c, a, true, "still firing", 0), &f).ok());
  EXPECT_EQ(f.Str("type"), "fix_did_not_resolve");
  EXPECT_EQ(f.Str("severity"), "P1");
  EXPECT_EQ(f.Str("state"), "firing");
  EXPECT_EQ(f.Str("caused_by"), "cmd-1");
  EXPECT_EQ(f.Str("fingerprint"), "fix_did_not_resolve:tier:t1");
  EXPECT_EQ(f.Raw("entity"), R"({"kind":"tier","id":"t1"})");
  JsonFields resolved;
  ASSERT_TRUE(JsonFields::Parse(EscalationAlertJson(c, a, false, "resolved", 1), &resolved).ok());
  EXPECT_EQ(resolved.Str("alert_id"), f.Str("alert_id"));
  EXPECT_EQ(resolved.Str("state"), "resolved");
  c.command_id = "cmd-2";
  EXPECT_NE(EscalationIds(c, a).alert_id, f.Str("alert_id"));
}

}  // namespace
}  // namespace walguard

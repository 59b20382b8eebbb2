#include "worker/dry_run_check.h"

#include <gtest/gtest.h>

#include "worker/command_types.h"

namespace walguard {
namespace {

AlertMessage Alert(const std::string& type, const std::string& kind, const std::string& id, const std::string& event,
                   const std::string& details) {
  AlertMessage a;
  a.alert_id = type + "/" + id;
  a.type = type;
  a.state = "firing";
  a.entity_kind = kind;
  a.entity_id = id;
  a.event_id = event;
  a.details_json = details;
  return a;
}

TEST(DryRunCheckTest, HoldsWithinTheEventsStuckAlertsPass) {
  AlertMessage t1 = Alert("stuck_holds", "tier", "t1", "e1", R"({"stuck_holds":17,"active_holds":17})");
  AlertMessage t2 = Alert("stuck_holds", "tier", "t2", "e1", R"({"stuck_holds":2,"active_holds":3})");
  AlertMessage other = Alert("stuck_holds", "tier", "t9", "e2", R"({"stuck_holds":50,"active_holds":50})");
  std::vector<const AlertMessage*> firing = {&t1, &t2, &other};
  EXPECT_TRUE(CheckDryRun("cleanup_expired_ticket_holds", R"({"holds_affected":20,"tiers_updated":2})", t1, firing).ok);
  DryRunVerdict v =
      CheckDryRun("cleanup_expired_ticket_holds", R"({"holds_affected":21,"tiers_updated":2})", t1, firing);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("holds_affected 21 > 20"), std::string::npos) << v.reason;
  v = CheckDryRun("cleanup_expired_ticket_holds", R"({"holds_affected":3,"tiers_updated":3})", t1, firing);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.reason.find("tiers_updated 3 > 2"), std::string::npos) << v.reason;
}

TEST(DryRunCheckTest, ReconcileCountsTheEventsTiersWithAnyDriftAlert) {
  AlertMessage drift = Alert("tier_reserved_drift", "tier", "t2", "e1", R"({"difference":12})");
  AlertMessage negative = Alert("negative_available", "tier", "t2", "e1", R"({"available":-2})");
  AlertMessage issued = Alert("tier_issued_drift", "tier", "t3", "e1", R"({"difference":3})");
  std::vector<const AlertMessage*> firing = {&drift, &negative, &issued};
  EXPECT_TRUE(CheckDryRun("reconcile_event_tickets", R"({"tiers_updated":2})", drift, firing).ok);
  EXPECT_FALSE(CheckDryRun("reconcile_event_tickets", R"({"tiers_updated":3})", drift, firing).ok);
}

TEST(DryRunCheckTest, EntityScopedFiguresAndConstants) {
  AlertMessage stale = Alert("stale_pending_orders", "event", "e1", "e1", R"({"stale_pending_orders":2})");
  std::vector<const AlertMessage*> firing = {&stale};
  EXPECT_TRUE(CheckDryRun("expire_pending_orders", R"({"orders_affected":2})", stale, firing).ok);
  EXPECT_FALSE(CheckDryRun("expire_pending_orders", R"({"orders_affected":3})", stale, firing).ok);
  AlertMessage dc = Alert("double_charge", "booking_intent", "b1", "", R"({"succeeded_payments":2})");
  EXPECT_TRUE(CheckDryRun("refund_duplicate_charge", R"({"payments_refunded":1})", dc, {&dc}).ok);
  EXPECT_FALSE(CheckDryRun("refund_duplicate_charge", R"({"payments_refunded":2})", dc, {&dc}).ok);
}

TEST(DryRunCheckTest, AResolvedCauseAccountsForNothing) {
  AlertMessage stale = Alert("stale_pending_orders", "event", "e1", "e1", R"({"stale_pending_orders":2})");
  EXPECT_FALSE(CheckDryRun("expire_pending_orders", R"({"orders_affected":1})", stale, {}).ok);
  EXPECT_TRUE(CheckDryRun("expire_pending_orders", R"({"orders_affected":0})", stale, {}).ok);
}

TEST(DryRunCheckTest, FiguresTheReportLacksAreNotCheckedAndGarbageIsRefused) {
  AlertMessage a = Alert("paid_without_tickets", "order", "o1", "e1", R"({"items_quantity":2})");
  EXPECT_TRUE(CheckDryRun("ensure_tickets", R"({"something_else":99})", a, {&a}).ok);
  EXPECT_FALSE(CheckDryRun("ensure_tickets", "not json", a, {&a}).ok);
}

TEST(DryRunCheckTest, EveryRowNamesAKnownCommandType) {
  for (const DryRunBound& b : DryRunBounds()) EXPECT_NE(FindCommandType(b.command_type), nullptr) << b.command_type;
}

}  // namespace
}  // namespace walguard

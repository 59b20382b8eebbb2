#include "app/status_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "app/run_board.h"
#include "app/run_metrics.h"
#include "core/entity_kind.h"
#include "core/key_layout.h"
#include "ops/exposition.h"
#include "processors/aggregates.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "tests/support/memory_kv.h"

namespace walguard {
namespace {

using ::testing::HasSubstr;

constexpr char kEventA[] = "e0000000-0000-4000-8000-00000000000a";
constexpr char kEventB[] = "e0000000-0000-4000-8000-00000000000b";

void PutRow(MemoryKv* kv, TableId table, const std::string& key, const std::vector<std::string>& cells) {
  RowImage image = EmptyImage(Spec(table));
  for (size_t i = 0; i < cells.size(); ++i) image.cells[i] = Cell{true, false, cells[i]};
  kv->Put(ImageKey(table, key), EncodeImage(image));
}

// A tier of `event` with the given figures; its aggregate says `active_holds`
// are held and `tickets` issued.
void PutTier(MemoryKv* kv, const std::string& id, const std::string& event, int quantity, int reserved, int issued,
             int active_holds, int tickets) {
  PutRow(kv, TableId::kTicketTiers, id,
         {id, event, std::to_string(quantity), std::to_string(reserved), std::to_string(issued)});
  TierAgg agg;
  agg.v[TierAgg::kActiveQty] = active_holds;
  agg.v[TierAgg::kUnexpiredQty] = active_holds;
  agg.v[TierAgg::kTickets] = tickets;
  Store(kv, EntityKind::kTier, id, agg);
}

void PutFiring(MemoryKv* kv, const std::string& fingerprint, const std::string& alert_id) {
  kv->Put(std::string(1, keys::kFiring) + fingerprint, alert_id);
}

std::string OverbookedKey(const std::string& unit, const std::string& date) {
  int32_t days = 0;
  EXPECT_TRUE(ParseDate(date, &days));
  std::string key(1, keys::kOverbooked);
  key += unit + "/";
  const uint32_t flipped = static_cast<uint32_t>(days) ^ 0x80000000u;
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((flipped >> shift) & 0xff));
  return key;
}

// Event A: a tier whose reserved_quantity drifted from its holds (and is
// over 30 % of capacity), a healthy one, a paid order without tickets and
// two stale pending orders. Event B: healthy, sold out.
class StatusModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PutTier(&kv_, "t-a1", kEventA, 100, 40, 10, /*active_holds=*/5, /*tickets=*/10);
    PutTier(&kv_, "t-a2", kEventA, 50, 0, 20, 0, 20);
    PutTier(&kv_, "t-b1", kEventB, 10, 0, 10, 0, 10);
    PutRow(&kv_, TableId::kOrders, "o-1", {"o-1", kEventA, "paid", "1000", "2026-11-21 16:00:00+00", ""});
    EventAgg stale;
    stale.v[EventAgg::kStalePending] = 2;
    Store(&kv_, EntityKind::kEvent, kEventA, stale);
    PutFiring(&kv_, "tier_reserved_drift:tier:t-a1", "alert-1");
    PutFiring(&kv_, "paid_without_tickets:order:o-1", "alert-2");
    kv_.Put(OverbookedKey("u-1", "2026-12-24"), "");
    kv_.Put(OverbookedKey("u-1", "2026-12-25"), "");
    kv_.Put(OverbookedKey("u-2", "2027-01-01"), "");
  }
  MemoryKv kv_;
};

TEST_F(StatusModelTest, EventHealthCountsTheRunbooksCounters) {
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, StatusQuery{}, &m).ok());
  ASSERT_EQ(m.events_total, 2u);
  ASSERT_EQ(m.events.size(), 2u);
  const EventHealth& a = m.events[0];  // worst first
  EXPECT_EQ(a.event_id, kEventA);
  EXPECT_EQ(a.suspicious_high_reserved_tiers, 1);
  EXPECT_EQ(a.drifted_tiers, 1);
  EXPECT_EQ(a.stale_pending_orders, 2);
  EXPECT_EQ(a.paid_orders_missing_tickets, 1);
  EXPECT_EQ(a.negative_available_tiers, 0);
  EXPECT_EQ(a.health_score, 1 + 1 + 2 + 1);
  ASSERT_EQ(a.tiers.size(), 2u);
  const TierStatus& t = a.tiers[0];
  EXPECT_EQ(t.id, "t-a1");
  EXPECT_EQ(t.capacity, 100);
  EXPECT_EQ(t.reserved, 40);
  EXPECT_EQ(t.issued, 10);
  EXPECT_EQ(t.available, 50);
  EXPECT_DOUBLE_EQ(t.percent_sold, 10.0);
  EXPECT_EQ(t.status, "HIGH_RESERVED");
  EXPECT_EQ(t.active_hold_quantity, 5);
  const EventHealth& b = m.events[1];
  EXPECT_EQ(b.event_id, kEventB);
  EXPECT_EQ(b.health_score, 0);
  EXPECT_EQ(b.tiers[0].status, "SOLD_OUT");
  EXPECT_DOUBLE_EQ(b.tiers[0].percent_sold, 100.0);
}

TEST_F(StatusModelTest, TheFixBringsTheScoreToZero) {
  PutTier(&kv_, "t-a1", kEventA, 100, 5, 10, 5, 10);  // reserved_quantity reconciled with the holds
  kv_.Delete(std::string(1, keys::kFiring) + "tier_reserved_drift:tier:t-a1");
  kv_.Delete(std::string(1, keys::kFiring) + "paid_without_tickets:order:o-1");
  kv_.Delete(AggregateKey(EntityKind::kEvent, kEventA));
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, StatusQuery{}, &m).ok());
  for (const EventHealth& e : m.events) EXPECT_EQ(e.health_score, 0) << e.event_id;
  EXPECT_TRUE(m.firing.empty());
}

TEST_F(StatusModelTest, FiringAlertsCarrySeverityRunbookAndEvent) {
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, StatusQuery{}, &m).ok());
  ASSERT_EQ(m.firing_total, 2u);
  const FiringStatus& order = m.firing[0];  // fingerprint order
  EXPECT_EQ(order.type, "paid_without_tickets");
  EXPECT_EQ(order.entity_kind, "order");
  EXPECT_EQ(order.entity_id, "o-1");
  EXPECT_EQ(order.event_id, kEventA);
  EXPECT_EQ(order.severity, "P1");
  EXPECT_FALSE(order.runbook.empty());
  const FiringStatus& tier = m.firing[1];
  EXPECT_EQ(tier.type, "tier_reserved_drift");
  EXPECT_EQ(tier.event_id, kEventA);
  EXPECT_EQ(tier.alert_id, "alert-1");
}

TEST_F(StatusModelTest, OverbookedNightsPerUnit) {
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, StatusQuery{}, &m).ok());
  EXPECT_EQ(m.overbooked_nights_total, 3u);
  ASSERT_EQ(m.units.size(), 2u);
  EXPECT_EQ(m.units[0].unit_id, "u-1");
  EXPECT_EQ(m.units[0].dates, (std::vector<std::string>{"2026-12-24", "2026-12-25"}));
  EXPECT_EQ(m.units[1].dates, (std::vector<std::string>{"2027-01-01"}));
}

TEST_F(StatusModelTest, PagesAreBounded) {
  StatusQuery q;
  q.event_offset = 1;
  q.event_limit = 1;
  q.alert_limit = 1;
  q.unit_limit = 1;
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, q, &m).ok());
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0].event_id, kEventB);
  EXPECT_EQ(m.events_total, 2u);
  EXPECT_EQ(m.firing.size(), 1u);
  EXPECT_EQ(m.firing_total, 2u);
  EXPECT_EQ(m.units.size(), 1u);
  q.event_offset = 5;
  ASSERT_TRUE(BuildStatusModel(&kv_, q, &m).ok());
  EXPECT_TRUE(m.events.empty());
}

TEST_F(StatusModelTest, JsonNamesTheRunbooksColumns) {
  StatusModel m;
  ASSERT_TRUE(BuildStatusModel(&kv_, StatusQuery{}, &m).ok());
  const std::string json = StatusModelJson(m);
  EXPECT_THAT(json, HasSubstr("\"health_score\":5"));
  EXPECT_THAT(json, HasSubstr("\"total_capacity\":100,\"reserved\":40,\"issued\":10,\"available\":50,"
                              "\"percent_sold\":10.0,\"health_status\":\"HIGH_RESERVED\""));
  EXPECT_THAT(json, HasSubstr("\"overbooked_dates\":[\"2026-12-24\",\"2026-12-25\"]"));
  EXPECT_THAT(json, HasSubstr("\"wal_clock\":null"));
}

TEST(TierHealthStatus, FollowsTheRunbooksCaseOrder) {
  EXPECT_EQ(TierHealthStatus(100, 31, 0), "HIGH_RESERVED");
  EXPECT_EQ(TierHealthStatus(100, 30, 0), "OK");
  EXPECT_EQ(TierHealthStatus(10, 2, 9), "NEGATIVE_AVAILABLE");
  EXPECT_EQ(TierHealthStatus(10, 0, 10), "SOLD_OUT");
}

TEST(RunReadiness, SnapshotStreamAndLag) {
  RunFigures f;
  EXPECT_FALSE(RunReadiness(f, 0, 60).ready);
  f.phase = RunPhase::kSnapshot;
  EXPECT_EQ(RunReadiness(f, 0, 60).reason, "snapshot in progress");
  f.snapshot_done = true;
  f.phase = RunPhase::kReconnecting;
  EXPECT_EQ(RunReadiness(f, 0, 60).reason, "not streaming: reconnecting");
  f.phase = RunPhase::kStreaming;
  EXPECT_TRUE(RunReadiness(f, 0, 60).ready);
  // Behind the server, with the last applied commit 90 s old.
  f.applied = 100;
  f.server = 200;
  f.last_commit_time = 10 * kMicrosPerSecond;
  const Readiness lagging = RunReadiness(f, 100 * kMicrosPerSecond, 60);
  EXPECT_FALSE(lagging.ready);
  EXPECT_THAT(lagging.reason, HasSubstr("replication lag 90 s"));
  EXPECT_TRUE(RunReadiness(f, 100 * kMicrosPerSecond, 120).ready);
  f.acked = 200;  // the server's keepalive said nothing more is ours: no lag
  EXPECT_TRUE(RunReadiness(f, 100 * kMicrosPerSecond, 60).ready);
  EXPECT_EQ(LagBytes(f), 0u);
  f.acked = 0;
  f.server = 100;  // caught up: no lag, however old the last commit
  EXPECT_TRUE(RunReadiness(f, 100 * kMicrosPerSecond, 60).ready);
}

TEST(RunMetrics, NamesLabelsAndValues) {
  RunFigures f;
  f.snapshot_done = true;
  f.phase = RunPhase::kStreaming;
  f.applied = 1000;
  f.server = 1500;
  f.last_commit_time = 8 * kMicrosPerSecond;
  f.outbox = 3;
  f.outbox_bound = 100;
  f.dead_letters = 1;
  f.tables = {{"ticketing.ticket_holds", 7, 3}};
  f.delivery.fired_by_type["stuck_holds"] = 2;
  f.delivery.resolved_by_type["stuck_holds"] = 1;
  f.delivery.commit_to_publish.Observe(0.02);
  std::vector<FiringStatus> firing(2);
  firing[0].type = firing[1].type = "stuck_holds";
  firing[0].severity = firing[1].severity = "P3";
  MetricRegistry r;
  BuildRunMetrics(f, firing, DiskSizes{4096, 8192}, 10 * kMicrosPerSecond, &r);
  const std::string text = RenderPrometheusText(r);
  EXPECT_THAT(text, HasSubstr("walguard_replication_lag_bytes 500\n"));
  EXPECT_THAT(text, HasSubstr("walguard_replication_lag_seconds 2\n"));
  EXPECT_THAT(text, HasSubstr("walguard_changes_applied_total{table=\"ticketing.ticket_holds\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("walguard_transactions_applied_total{table=\"ticketing.ticket_holds\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("walguard_firing_alerts{type=\"stuck_holds\",severity=\"P3\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("walguard_alerts_fired_total{type=\"stuck_holds\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("walguard_alerts_resolved_total{type=\"stuck_holds\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("walguard_outbox_messages 3\n"));
  EXPECT_THAT(text, HasSubstr("walguard_outbox_bound_messages 100\n"));
  EXPECT_THAT(text, HasSubstr("walguard_dead_letters_total 1\n"));
  EXPECT_THAT(text, HasSubstr("walguard_commit_to_publish_seconds_bucket{le=\"0.025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("walguard_state_size_bytes 4096\n"));
  EXPECT_THAT(text, HasSubstr("walguard_archive_size_bytes 8192\n"));
  EXPECT_THAT(text, HasSubstr("walguard_snapshot_in_progress 0\n"));
  EXPECT_THAT(text, HasSubstr("walguard_last_applied_lsn 1000\n"));
}

// walguard_changes_applied_total / walguard_transactions_applied_total: a
// transaction applied in parts counts as the same transaction applied whole.
TEST(RunMetrics, ATransactionInPartsCountsAsTheWholeOne) {
  auto change = [](std::string table) {
    Change c;
    c.schema = "ticketing";
    c.table = std::move(table);
    return c;
  };
  const std::vector<Change> txn = {change("ticket_holds"), change("ticket_holds"), change("ticket_tiers"),
                                   change("ticket_holds"), change("ticket_holds")};
  std::vector<TableCount> whole, parts;
  std::vector<bool> touched;
  CountByTable(txn, &whole, &touched);
  touched.clear();
  const std::span<const Change> all(txn);
  CountByTable(all.subspan(0, 2), &parts, &touched);
  CountByTable(all.subspan(2, 2), &parts, &touched);
  CountByTable(all.subspan(4), &parts, &touched);
  touched.clear();
  ASSERT_EQ(whole.size(), 2u);
  ASSERT_EQ(parts.size(), 2u);
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(parts[i].table, whole[i].table);
    EXPECT_EQ(parts[i].changes, whole[i].changes) << whole[i].table;
    EXPECT_EQ(parts[i].transactions, whole[i].transactions) << whole[i].table;
  }
  EXPECT_EQ(whole[0].table, "ticketing.ticket_holds");
  EXPECT_EQ(whole[0].changes, 4u);
  EXPECT_EQ(whole[0].transactions, 1u);
  EXPECT_EQ(whole[1].changes, 1u);
  // The next transaction counts again.
  CountByTable(all.subspan(0, 1), &parts, &touched);
  EXPECT_EQ(parts[0].transactions, 2u);
  EXPECT_EQ(parts[0].changes, 5u);
}

}  // namespace
}  // namespace walguard

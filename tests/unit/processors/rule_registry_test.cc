#include "processors/rule_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "processors/replication_lag.h"
#include "processors/reserve_rules.h"
#include "processors/rule_docs.h"
#include "processors/schema_guard.h"
#include "processors/state_disk_low.h"
#include "processors/ticketing_rules.h"
#include "tests/unit/processors/rule_test_util.h"

namespace walguard {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Types(const std::vector<const AlertType*>& rules) {
  std::vector<std::string> out;
  for (const AlertType* rule : rules) out.emplace_back(rule->type);
  return out;
}

std::vector<std::string> Split(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t comma = list.find(", ");
    out.emplace_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
  }
  return out;
}

// The map the schema guard disabled rules by before the registry, pinned: the
// derivation from the rows' reads must give exactly these lists, in this
// order (the order of the rule_disabled alerts one schema change emits).
TEST(RuleRegistry, RulesReadingIsTodaysMap) {
  EXPECT_THAT(Types(RulesReading(TableId::kTicketTiers)),
              ElementsAre("stuck_holds", "tier_reserved_drift", "tier_issued_drift", "high_reserved", "false_sold_out",
                          "negative_available"));
  EXPECT_THAT(Types(RulesReading(TableId::kTicketHolds)),
              ElementsAre("stuck_holds", "tier_reserved_drift", "false_sold_out"));
  EXPECT_THAT(Types(RulesReading(TableId::kOrders)),
              ElementsAre("paid_without_tickets", "order_overissued", "revenue_mismatch", "stale_pending_orders"));
  EXPECT_THAT(Types(RulesReading(TableId::kOrderItems)), ElementsAre("order_overissued", "revenue_mismatch"));
  EXPECT_THAT(Types(RulesReading(TableId::kTickets)),
              ElementsAre("tier_issued_drift", "paid_without_tickets", "order_overissued"));
  EXPECT_THAT(Types(RulesReading(TableId::kPayments)),
              ElementsAre("payment_without_reservation", "stuck_payment", "pix_pending", "double_charge",
                          "failed_payment_rate", "webhook_silence"));
  EXPECT_THAT(Types(RulesReading(TableId::kReservations)),
              ElementsAre("payment_without_reservation", "overbooking", "calendar_drift"));
  EXPECT_THAT(Types(RulesReading(TableId::kLedgerEntries)), ElementsAre("ledger_imbalance"));
  EXPECT_THAT(Types(RulesReading(TableId::kAvailabilityCalendar)),
              ElementsAre("overbooking", "calendar_drift", "calendar_overcommitted"));
  EXPECT_THAT(Types(RulesReading(TableId::kProcessedWebhooks)), ElementsAre("webhook_failures", "webhook_silence"));
  EXPECT_THAT(Types(RulesReading(TableId::kCronJob)),
              ElementsAre("cron_job_failed", "cron_job_slow", "cron_job_missed"));
  EXPECT_THAT(Types(RulesReading(TableId::kCronJobRunDetails)),
              ElementsAre("cron_job_failed", "cron_job_slow", "cron_job_missed"));
}

// The rows agree with the contract's table (rule_test_util.h) and with the
// name table, and walguard's own two alerts are rows too.
TEST(RuleRegistry, RowsAreTheContractsRulesAndWalguardsOwn) {
  std::vector<std::string> contract;
  for (const auto* rules : {&rule_test::TicketingRules(), &rule_test::ReserveRules(), &rule_test::CronRules()}) {
    for (const rule_test::RuleInfo& info : *rules) {
      contract.emplace_back(info.type);
      const Rule* rule = RuleOfType(info.type);
      ASSERT_NE(rule, nullptr) << info.type;
      EXPECT_EQ(rule->alert.severity, info.severity) << info.type;
      EXPECT_EQ(rule->alert.entity_kind, info.entity_kind) << info.type;
      EXPECT_EQ(rule->alert.command == nullptr ? "" : rule->alert.command, info.command) << info.type;
      EXPECT_EQ(rule->alert.requires_approval, info.requires_approval) << info.type;
    }
  }
  std::set<std::string> types;
  for (const Rule& rule : Rules()) EXPECT_TRUE(types.insert(rule.alert.type).second) << rule.alert.type;
  EXPECT_EQ(types.size(), contract.size() + 3);  // replication_lag, state_disk_low, rule_disabled
  EXPECT_EQ(Rules().size(), 27u);
  EXPECT_EQ(RuleOfType("no_such_rule"), nullptr);
  EXPECT_EQ(&kStuckHolds, &RuleOfType("stuck_holds")->alert);
  EXPECT_EQ(&kWebhookFailures, &RuleOfType("webhook_failures")->alert);
  EXPECT_EQ(&kWebhookSilence, &RuleOfType("webhook_silence")->alert);
  EXPECT_EQ(&kCalendarOvercommitted, &RuleOfType("calendar_overcommitted")->alert);
  EXPECT_EQ(&kReplicationLag, &RuleOfType("replication_lag")->alert);
  EXPECT_EQ(&kRuleDisabled, &RuleOfType("rule_disabled")->alert);
  EXPECT_EQ(&kStateDiskLow, &RuleOfType("state_disk_low")->alert);
  EXPECT_EQ(std::string(kStateDiskLow.severity), "P2");
  EXPECT_EQ(std::string(kStateDiskLow.entity_kind), "state_dir");
  EXPECT_FALSE(EvaluatedFor(*RuleOfType("state_disk_low")).has_value());
  EXPECT_FALSE(EvaluatedFor(*RuleOfType("replication_lag")).has_value());
  EXPECT_FALSE(EvaluatedFor(*RuleOfType("rule_disabled")).has_value());
  EXPECT_EQ(EvaluatedFor(*RuleOfType("stuck_holds")), EntityKind::kTier);
}

// An entity rule's entity kind is the one its predicate's facts are for, by
// core/entity_kind.h's name; walguard's own alerts use kinds no rule is
// evaluated for. Every kind with an entity (all but kProviderWebhooks) has rules.
TEST(RuleRegistry, EntityKindsComeFromThePredicates) {
  std::set<EntityKind> evaluated;
  for (const Rule& rule : Rules()) {
    const std::optional<EntityKind> kind = EvaluatedFor(rule);
    if (kind) {
      evaluated.insert(*kind);
      EXPECT_EQ(rule.alert.entity_kind, EntityKindName(*kind)) << rule.alert.type;
    } else {
      EXPECT_FALSE(EntityKindFromName(rule.alert.entity_kind).has_value()) << rule.alert.type;
    }
  }
  const std::set<EntityKind> all = {EntityKind::kTier,     EntityKind::kOrder,         EntityKind::kEvent,
                                    EntityKind::kPayment,  EntityKind::kBookingIntent, EntityKind::kUnit,
                                    EntityKind::kUnitDate, EntityKind::kProvider,      EntityKind::kLedgerTransaction,
                                    EntityKind::kCronJob};
  EXPECT_EQ(evaluated, all);
}

TEST(RuleRegistry, ReadsNameColumnsOfTheirTables) {
  for (const Rule& rule : Rules()) {
    std::set<TableId> tables;
    for (const TableRead& read : rule.reads) {
      if (read.table == TableId::kCount) continue;
      EXPECT_TRUE(tables.insert(read.table).second) << rule.alert.type << " reads a table twice";
      const std::vector<std::string>& columns = Spec(read.table).columns;
      EXPECT_FALSE(Split(read.columns).empty()) << rule.alert.type;
      for (const std::string& column : Split(read.columns)) {
        EXPECT_THAT(columns, ::testing::Contains(column))
            << rule.alert.type << " reads " << Spec(read.table).QualifiedName() << "." << column;
      }
    }
    EXPECT_EQ(tables.empty(), std::holds_alternative<OwnCheck>(rule.predicate)) << rule.alert.type;
  }
}

// Every rule's thresholds are defined (config/thresholds.h) and named in its
// "fires when"; every defined threshold is used by some rule.
TEST(RuleRegistry, ThresholdsAndRulesNameEachOther) {
  std::set<const ThresholdDef*> used;
  for (const Rule& rule : Rules()) {
    for (ThresholdField field : rule.thresholds) {
      if (field == nullptr) continue;
      const ThresholdDef* def = FindThreshold(field);
      ASSERT_NE(def, nullptr) << rule.alert.type << " uses a threshold without a definition";
      used.insert(def);
      EXPECT_THAT(rule.fires_when, ::testing::HasSubstr(std::string("`") + def->key + "`")) << rule.alert.type;
    }
  }
  for (const ThresholdDef& def : ThresholdDefs()) {
    EXPECT_TRUE(used.count(&def)) << ThresholdName(def) << " is used by no rule";
  }
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// docs/rules.md holds the rendering of the registry between its markers;
// WALGUARD_UPDATE_GOLDEN=1 rewrites it instead of comparing.
TEST(RuleRegistry, DocsRulesMdIsTheRenderedRegistry) {
  const std::string path = std::string(WALGUARD_SOURCE_DIR) + "/docs/rules.md";
  const std::string begin_marker = "<!-- BEGIN GENERATED rules -->\n";
  const std::string end_marker = "<!-- END GENERATED rules -->\n";
  std::string file = ReadAll(path);
  const size_t begin = file.find(begin_marker);
  const size_t end = file.find(end_marker);
  ASSERT_NE(begin, std::string::npos) << path << " lacks " << begin_marker;
  ASSERT_NE(end, std::string::npos) << path << " lacks " << end_marker;
  ASSERT_LT(begin, end);
  const size_t from = begin + begin_marker.size();
  const std::string rendered = RenderRulesMarkdown();
  if (const char* update = std::getenv("WALGUARD_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    file.replace(from, end - from, rendered);
    std::ofstream(path) << file;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(file.substr(from, end - from), rendered)
      << path << " is out of date with the rule registry: rerun with WALGUARD_UPDATE_GOLDEN=1 to rewrite it";
}

}  // namespace
}  // namespace walguard

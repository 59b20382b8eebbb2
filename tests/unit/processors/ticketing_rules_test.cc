// The ten ticketing rules (docs/reference.md section 3), table-driven: each case is a
// sequence of steps (source transactions or WAL-clock ticks) with the exact
// alert transitions, commands and dead letters each step must emit.
//
// Besides the listed expectations, every case is checked against the message
// contract by the harness (fingerprint, severity, firing/resolved pairing with
// one alert_id, command caused_by = alert_id, ...) and replayed on a fresh
// MemoryKv, which must give byte-identical messages (stable ids).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/processors/ticketing_cases.h"

namespace walguard::rule_test::ticketing {
namespace {

std::vector<RuleCase> AllCases() {
  std::vector<RuleCase> all = TierRuleCases();
  for (auto& c : OrderRuleCases()) all.push_back(std::move(c));
  return all;
}

class TicketingRulesTest : public testing::TestWithParam<RuleCase> {};

TEST_P(TicketingRulesTest, EmitsExactlyTheExpectedTransitions) {
  RunCase(GetParam(), [](const Message& m) {
    // Every entity of these cases belongs to a known event, so a firing names it.
    if (m.topic == Topic::kAlerts && m.json.Str("state") == "firing") {
      const std::string event_id = m.json.Str("event_id");
      EXPECT_TRUE(event_id == E1 || event_id == E2) << "event_id missing or wrong: " << m.payload;
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Cases, TicketingRulesTest, testing::ValuesIn(AllCases()),
                         [](const testing::TestParamInfo<RuleCase>& info) { return info.param.name; });

// Every rule of the contract's ticketing table is exercised above, firing and resolving.
TEST(TicketingRulesCoverage, EveryRuleFiresAndResolves) {
  std::set<std::string> fired, resolved;
  for (const RuleCase& c : AllCases()) {
    for (const StepCase& s : c.steps) {
      for (const Expect& e : s.expect) {
        if (e.summary.starts_with("firing ")) fired.insert(e.key.substr(0, e.key.find(':')));
        if (e.summary.starts_with("resolved ")) resolved.insert(e.key.substr(0, e.key.find(':')));
      }
    }
  }
  for (const RuleInfo& r : TicketingRules()) {
    EXPECT_TRUE(fired.count(std::string(r.type))) << r.type << " never fires in the cases";
    EXPECT_TRUE(resolved.count(std::string(r.type))) << r.type << " never resolves in the cases";
  }
}

}  // namespace
}  // namespace walguard::rule_test::ticketing

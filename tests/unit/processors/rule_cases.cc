#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/processors/rule_test_util.h"

namespace walguard::rule_test::cases {

Expect Fires(const std::string& type, const std::string& entity_id, Figures details) {
  std::string fp = Fingerprint(type, entity_id);
  return {fp, "firing " + fp, std::move(details), ""};
}

Expect Resolves(const std::string& type, const std::string& entity_id) {
  std::string fp = Fingerprint(type, entity_id);
  return {fp, "resolved " + fp, {}, ""};
}

Expect Command(const std::string& command, const std::string& alert_type, const std::string& entity_id, Figures args) {
  std::string fp = Fingerprint(alert_type, entity_id);
  std::sort(args.begin(), args.end());
  std::string s = "command " + command + " {";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? "," : "") + args[i].first + "=" + args[i].second;
  return {fp, s + "} <- " + fp, {}, ""};
}

Expect DeadLetter(const std::string& qualified_table, std::string reason) {
  return {qualified_table, "deadletter " + qualified_table, {}, std::move(reason)};
}

void PrintTo(const RuleCase& c, std::ostream* os) {
  *os << c.name;
}

std::string Describe(const Step& s) {
  if (s.kind == Step::Kind::kClock) return "clock tick to " + FormatTimestamp(s.at);
  std::string d = "transaction at " + FormatTimestamp(s.at) + ":";
  for (const Change& c : s.changes) {
    d += " ";
    d += static_cast<char>(c.action);
    d += " " + c.schema + "." + c.table;
  }
  return d;
}

namespace {

template <typename T, typename KeyOf, typename SummaryOf>
std::vector<std::string> PerKeyOrder(const std::vector<T>& items, KeyOf key_of, SummaryOf summary_of) {
  std::vector<const T*> sorted;
  for (const T& item : items) sorted.push_back(&item);
  std::stable_sort(sorted.begin(), sorted.end(), [&](const T* a, const T* b) { return key_of(*a) < key_of(*b); });
  std::vector<std::string> out;
  for (const T* item : sorted) out.push_back(summary_of(*item));
  return out;
}

}  // namespace

void ExpectMessages(const std::vector<Message>& got, const std::vector<Expect>& want) {
  std::vector<std::string> got_summaries = PerKeyOrder(
      got, [](const Message& m) { return m.key; }, [](const Message& m) { return m.Summary(); });
  std::vector<std::string> want_summaries = PerKeyOrder(
      want, [](const Expect& e) { return e.key; }, [](const Expect& e) { return e.summary; });
  EXPECT_THAT(got_summaries, ::testing::ElementsAreArray(want_summaries));

  for (const Expect& e : want) {
    const Message* match = nullptr;
    for (const Message& m : got) {
      if (m.Summary() == e.summary) match = &m;
    }
    if (match == nullptr) continue;  // already reported above
    if (!e.details.empty()) {
      const Json* details = match->json.Find("details");
      ASSERT_NE(details, nullptr) << match->payload;
      for (const auto& [name, value] : e.details) {
        EXPECT_EQ(details->Str(name), value) << "details." << name << " of " << match->payload;
      }
    }
    if (!e.reason.empty()) {
      EXPECT_NE(match->json.Str("reason").find(e.reason), std::string::npos)
          << "reason should mention '" << e.reason << "': " << match->payload;
    }
  }
}

void RunCase(const RuleCase& c, const std::function<void(const Message&)>& check) {
  RuleHarness harness(c.thresholds);
  std::vector<std::vector<std::string>> payloads;
  for (size_t i = 0; i < c.steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + Describe(c.steps[i].step));
    std::vector<Message> got = harness.Run(c.steps[i].step);
    ExpectMessages(got, c.steps[i].expect);
    if (check) {
      for (const Message& m : got) check(m);
    }
    payloads.emplace_back();
    for (const Message& m : got) payloads.back().push_back(m.payload);
  }
  EXPECT_THAT(harness.violations(), ::testing::IsEmpty());

  RuleHarness again(c.thresholds);
  for (size_t i = 0; i < c.steps.size(); ++i) {
    std::vector<std::string> second;
    for (const Message& m : again.Run(c.steps[i].step)) second.push_back(m.payload);
    EXPECT_EQ(second, payloads[i]) << "step " << i + 1 << " is not deterministic";
  }
}

void CoveredTypes(const std::vector<RuleCase>& all, std::set<std::string>* fired, std::set<std::string>* resolved) {
  for (const RuleCase& c : all) {
    for (const StepCase& s : c.steps) {
      for (const Expect& e : s.expect) {
        if (e.summary.starts_with("firing ")) fired->insert(e.key.substr(0, e.key.find(':')));
        if (e.summary.starts_with("resolved ")) resolved->insert(e.key.substr(0, e.key.find(':')));
      }
    }
  }
}

Thresholds With(void (*set)(Thresholds*)) {
  Thresholds t;
  set(&t);
  return t;
}

std::vector<Change> Cat(std::initializer_list<std::vector<Change>> parts) {
  std::vector<Change> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace walguard::rule_test::cases

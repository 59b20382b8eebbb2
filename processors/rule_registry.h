// The rule registry: one row per alert type walguard emits, and everything
// that is per rule derives from it - the entity evaluation (EvaluateEntity),
// which rules a schema change disables (schema_guard.h, RulesReading), the
// name table (the kStuckHolds... constants of ticketing_rules.h,
// reserve_rules.h), and docs/rules.md (rule_docs.h).
//
// A rule = its row below (in rule_registry.cc) + its predicate, a pure
// function of the facts its entity's loader read once (ticketing_facts.h,
// reserve_facts.h) and the thresholds (config/thresholds.h). Within an entity,
// rules are evaluated in registry order, which is part of the output
// (messages of one step keep that order).
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/thresholds.h"
#include "core/entity_kind.h"
#include "processors/alerts.h"
#include "processors/apply_context.h"
#include "processors/cron_facts.h"
#include "processors/monitored_tables.h"
#include "processors/reserve_facts.h"
#include "processors/rule_util.h"
#include "processors/ticketing_facts.h"
#include "util/status.h"

namespace walguard {

template <typename Facts>
using Predicate = Verdict (*)(const Facts&, const Thresholds&);

// walguard's own alerts (replication_lag, rule_disabled): raised by its own
// checks, not by an entity's facts.
struct OwnCheck {
  const char* by;  // the code that raises it, for the docs
};

// The alternative says which entity the rule is evaluated for (Facts::kKind).
using RulePredicate =
    std::variant<OwnCheck, Predicate<TierFacts>, Predicate<OrderFacts>, Predicate<EventFacts>, Predicate<PaymentFacts>,
                 Predicate<BookingIntentFacts>, Predicate<UnitFacts>, Predicate<UnitDateFacts>,
                 Predicate<ProviderFacts>, Predicate<LedgerTransactionFacts>, Predicate<CronJobFacts>>;

// A table whose rows decide the rule, directly or through an aggregate.
struct TableRead {
  TableId table = TableId::kCount;  // kCount: an unused slot
  const char* columns = "";         // "event_id, reserved_quantity": the columns of Spec(table) it reads
};

struct Rule {
  AlertType alert;  // entity_kind is EntityKindName(*EvaluatedFor(rule)) for entity rules
  std::array<TableRead, 3> reads;
  std::array<ThresholdField, 4> thresholds;  // nullptr: an unused slot
  const char* fires_when;                    // one line for the docs
  RulePredicate predicate;
};

// Every rule: the ticketing rules, the reserve rules, the pg_cron rules, walguard's own.
std::span<const Rule> Rules();

// nullptr for an unknown type.
const Rule* RuleOfType(std::string_view type);

// The entity kind the rule is evaluated for; nullopt for an OwnCheck.
std::optional<EntityKind> EvaluatedFor(const Rule& rule);

// Loads the facts of entity (kind, id) once and reconciles every rule of the
// kind with them, in registry order. Nothing for a kind without rules.
Status EvaluateEntity(ApplyContext* ctx, EntityKind kind, const std::string& id);

// What the rules of an entity read and conclude, for `walguard inspect`.
struct EntityVerdicts {
  std::string figures = "{}";  // a JSON object: the numeric facts the rules read
  // A JSON object: the context an alert of the entity carries (CONTRACT 3.1;
  // docs/reference.md 4.1.1) as the state stands, without the fields one
  // rule adds to its own alerts; "{}" for walguard's own checks.
  std::string context = "{}";
  std::vector<std::pair<const AlertType*, bool>> rules;  // every rule of the kind, in registry order: holds?
};

// Loads the facts of entity (kind, id) like EvaluateEntity and asks every
// rule of the kind, but reconciles nothing: no alert fires or resolves, no
// message is emitted. A rule the schema guard disabled is still asked.
Status ExplainEntity(ApplyContext* ctx, EntityKind kind, const std::string& id, EntityVerdicts* out);

}  // namespace walguard

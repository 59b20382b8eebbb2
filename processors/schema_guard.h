// Schema guard: notices an ALTER TABLE on a monitored table from the first
// row written after it, and stops the rules that read the table rather than
// let them guess.
//
// Only changes that carry column types are judged (the live stream asks
// wal2json for type oids; snapshot rows and hand-built changes have none).
// Such a change does not fit when
//  - a column the rules read is absent from an INSERT (dropped or renamed;
//    a context-only column, not TableSpec::Required, may be absent),
//  - it is absent from an UPDATE although it cannot be an unchanged TOASTed
//    value (wal2json leaves those out): its type has a fixed length, or the
//    stored value is null or too short ever to be moved out of line,
//  - a column is present with a type family the rules cannot read
//    (monitored_tables.h, ExpectedTypes).
// Then the row is dead-lettered with the reason, an error is logged once per
// (table, column, problem), and every rule that reads the table is disabled:
// it neither fires nor resolves any more (its open alerts stay as they are),
// and a `rule_disabled` alert (P1, entity {kind:"rule", id:<rule type>})
// says so once. Disabling is stored in the state, so a restart keeps it;
// `walguard run --resnapshot` (which wipes the state) is the way back, once
// the schema is fixed.
//
// Which rules read which table: the `reads` of their rows in the rule
// registry (rule_registry.cc; listed in docs/rules.md).
//
// State: 'D' | rule type -> the details of its rule_disabled alert.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/change.h"
#include "core/kv.h"
#include "processors/alerts.h"
#include "processors/apply_context.h"
#include "processors/monitored_tables.h"
#include "processors/row_image.h"
#include "util/status.h"

namespace walguard {

extern const AlertType& kRuleDisabled;  // its row: rule_registry.cc

// The rules that read `table`'s rows, in registry order (rule_registry.h).
const std::vector<const AlertType*>& RulesReading(TableId table);

struct SchemaProblem {
  TableId table = TableId::kCount;
  int column = -1;      // in Spec(table).columns
  std::string problem;  // "missing (dropped or renamed?)", "has type text, expected integer or numeric"

  // "column reserve.payments.status missing (dropped or renamed?)"
  std::string Reason() const;
};

// The types of every column the change carries, and an INSERT's
// completeness. False (nothing wrong) for a change without types.
bool CheckColumns(TableId table, const Change& change, SchemaProblem* out);

// An UPDATE's completeness against the stored row it changes.
bool CheckUpdate(TableId table, const Change& change, const RowImage& stored, SchemaProblem* out);

using RuleSet = std::set<std::string, std::less<>>;

class SchemaGuard {
 public:
  // Reads the disabled rules from the state (none on a fresh state).
  Status Load(KvTxn* kv);

  const RuleSet& disabled() const { return disabled_; }

  // Disables every rule that reads problem.table, found in the change at
  // `lsn`: stored in ctx->kv, one rule_disabled alert per newly disabled rule.
  Status Disable(ApplyContext* ctx, const SchemaProblem& problem, Lsn lsn);

 private:
  RuleSet disabled_;
  std::set<std::string> logged_;  // reasons already logged by this process
};

}  // namespace walguard

// Golden alert and command ids. Consumers deduplicate on them and a restart
// must reproduce them, so the hash (util/hash.h) and what goes into it
// (processors/alerts.h: fingerprint, LSN, commit time; the command type) are
// frozen: a change to either fails here instead of passing unnoticed.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "processors/engine.h"
#include "tests/support/memory_kv.h"
#include "util/hash.h"
#include "util/time.h"

namespace walguard {
namespace {

// The value of a string field in a compact JSON payload, or "<absent>".
std::string Field(const std::string& json, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  size_t start = json.find(key);
  if (start == std::string::npos) return "<absent>";
  start += key.size();
  return json.substr(start, json.find('"', start) - start);
}

Datum Col(std::string name, std::string text) {
  return Datum{std::move(name), std::move(text), false};
}

const std::string kTier = "7a7a7a7a-0000-4000-8000-000000000001";
const std::string kFingerprint = "tier_reserved_drift:tier:" + kTier;
const std::string kAlertId = "c272a046-9c00-8170-a92d-21c0a3a8bdb0";
const std::string kCommandId = "864628d6-6c10-8913-b1fc-8b4e42abe6d0";

// The hash itself, and the id inputs spelled out: "<fingerprint>@<LSN>@<commit
// time in µs>" for an alert, "<alert_id>/<command type>" for its command.
TEST(AlertIdGolden, StableUuidIsFrozen) {
  EXPECT_EQ(StableUuid(""), "cbf29ce4-8422-8325-95c5-e55dfb685f30");
  EXPECT_EQ(StableUuid(kFingerprint + "@0/16B374D8@1795276800000000"), kAlertId);
  EXPECT_EQ(StableUuid(kAlertId + "/reconcile_event_tickets"), kCommandId);
}

// A tier whose reserved_quantity (7) has no active holds behind it: drift
// fires at the commit, with its corrective command.
TEST(AlertIdGolden, AFiringAndItsCommandHaveFrozenIds) {
  Change insert;
  insert.action = Action::kInsert;
  insert.schema = "ticketing";
  insert.table = "ticket_tiers";
  insert.columns = {Col("id", kTier), Col("event_id", "e0e0e0e0-0000-4000-8000-000000000001"), Col("quantity", "100"),
                    Col("reserved_quantity", "7"), Col("issued_quantity", "0")};
  Transaction txn;
  txn.end_lsn = 0x16B374D8;
  txn.commit_time = 1'795'276'800LL * kMicrosPerSecond;
  txn.changes = {insert};

  MemoryKv kv;
  Engine engine{Thresholds()};
  ASSERT_TRUE(engine.Load(&kv).ok());
  std::vector<OutMessage> out;
  ASSERT_TRUE(engine.ApplyTransaction(txn, &kv, txn.commit_time, &out).ok());

  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].topic, Topic::kAlerts);
  EXPECT_EQ(out[0].key, kFingerprint);
  EXPECT_EQ(Field(out[0].payload, "alert_id"), kAlertId);
  EXPECT_EQ(out[1].topic, Topic::kCommands);
  EXPECT_EQ(out[1].key, kFingerprint);
  EXPECT_EQ(Field(out[1].payload, "command_id"), kCommandId);
  EXPECT_EQ(Field(out[1].payload, "caused_by"), kAlertId);
}

}  // namespace
}  // namespace walguard

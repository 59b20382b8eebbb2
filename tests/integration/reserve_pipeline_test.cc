// End to end for the Reserve Connect rules (runbook 002): real Postgres 15 +
// wal2json -> `walguard run` -> embedded broker -> a real consumer.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/integration/reserve_scenarios.h"
#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"

namespace walguard::testing {
namespace {

std::string ReserveSchema() {
  std::ifstream in(std::string(WALGUARD_SOURCE_DIR) + "/sql/reserve_schema.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Published* Find(const std::vector<Published>& all, const std::string& type, const std::string& state) {
  for (const Published& p : all) {
    if (p.type == type && p.state == state) return &p;
  }
  return nullptr;
}

const Published* FindCommand(const std::vector<Published>& all, const std::string& type) {
  for (const Published& p : all) {
    if (p.topic == "walguard.commands" && p.command_type == type) return &p;
  }
  return nullptr;
}

// A payment's alert carries its gateway id and, from reserve.booking_intents,
// the stay it pays for (CONTRACT 3.1).
TEST(ReservePipelineTest, PaymentAlertsCarryTheGatewayIdAndTheStay) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(ReserveSchema()));
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(R"SQL(
INSERT INTO reserve.booking_intents (id, unit_id, check_in, check_out, status)
VALUES ('b1000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', '2027-01-10', '2027-01-13',
        'confirmed');
INSERT INTO reserve.payments (id, booking_intent_id, provider, method, status, amount, gateway_payment_id,
                              created_at, succeeded_at)
VALUES ('9a100000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000001', 'stripe', 'card',
        'succeeded', 450.00, 'pi_3QxYz', now() - interval '12 minutes', now() - interval '10 minutes');
)SQL"));
  std::vector<Published> fired = h.WaitFor("payment_without_reservation", "firing", 1);
  ASSERT_EQ(fired.size(), 1u) << h.WalguardLog();
  EXPECT_NE(fired[0].payload.find(R"("context":{"provider":"stripe","method":"card","amount":"450.00",)"
                                  R"("gateway_payment_id":"pi_3QxYz",)"
                                  R"("booking_intent_id":"b1000000-0000-4000-8000-000000000001",)"
                                  R"("unit_id":"a1000000-0000-4000-8000-000000000001","check_in":"2027-01-10",)"
                                  R"("check_out":"2027-01-13","error_code":null})"),
            std::string::npos)
      << fired[0].payload;
  EXPECT_EQ(h.StopWalguard(), 0);
}

TEST(ReservePipelineTest, EveryReserveRuleFiresAndResolves) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(ReserveSchema()));
  ASSERT_OK(h.StartWalguard());
  ASSERT_OK(h.Sql(kReserveIncident));
  for (const char* type : kAllReserveRules) {
    size_t expected = type == std::string("webhook_failures") ? 2 : type == std::string("ledger_imbalance") ? 2 : 1;
    EXPECT_EQ(h.WaitFor(type, "firing", expected).size(), expected) << type << "\n" << h.WalguardLog();
  }
  std::vector<Published> all = h.All();
  const Published* overbooking = Find(all, "overbooking", "firing");
  ASSERT_NE(overbooking, nullptr);
  EXPECT_EQ(overbooking->entity_id, "a1000000-0000-4000-8000-000000000001");
  const Published* block = FindCommand(all, "block_unit_availability");
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->args, R"({"unit_id":"a1000000-0000-4000-8000-000000000001","from_date":"2027-01-12"})");
  const Published* drift = Find(all, "calendar_drift", "firing");
  ASSERT_NE(drift, nullptr);
  EXPECT_EQ(drift->entity_id, "a2000000-0000-4000-8000-000000000002/2027-02-01");
  for (const Published& p : all) {
    if (p.type != "ledger_imbalance" || p.state != "firing") continue;
    if (p.entity_id == "1e100000-0000-4000-8000-000000000001") {
      EXPECT_NE(p.details.find(R"("difference":"0.10")"), std::string::npos) << p.details;
      EXPECT_NE(p.details.find(R"("diagnosis":"missing_entry")"), std::string::npos) << p.details;
    } else {
      EXPECT_NE(p.details.find(R"("difference":"-25.00")"), std::string::npos) << p.details;
      EXPECT_NE(p.details.find(R"("entry_id":"1d000000-0000-4000-8000-0000000000dd")"), std::string::npos) << p.details;
    }
  }
  const Published* refund = FindCommand(all, "refund_duplicate_charge");
  ASSERT_NE(refund, nullptr);
  EXPECT_NE(refund->payload.find(R"("requires_approval":true)"), std::string::npos);
  EXPECT_NE(refund->args.find(R"("booking_intent_id":"b4000000-0000-4000-8000-000000000004")"), std::string::npos);
  ASSERT_NE(FindCommand(all, "finalize_reservation"), nullptr);
  EXPECT_EQ(FindCommand(all, "finalize_reservation")->args, R"({"payment_id":"9a100000-0000-4000-8000-000000000001"})");

  for (const char* fix : kReserveFixes) ASSERT_OK(h.Sql(fix));
  for (const char* type : kAllReserveRules) {
    size_t fired = h.WaitFor(type, "firing", 1).size();
    EXPECT_EQ(h.WaitFor(type, "resolved", fired).size(), fired) << type << " did not resolve\n" << h.WalguardLog();
  }
  const std::vector<Published> final_messages = h.All();
  for (const Published& p : final_messages) {
    EXPECT_NE(p.topic, "walguard.deadletter") << p.payload;
    if (p.state != "resolved") continue;
    const Published* firing = nullptr;
    for (const Published& q : final_messages) {
      if (q.fingerprint == p.fingerprint && q.state == "firing") firing = &q;
    }
    ASSERT_NE(firing, nullptr) << p.payload;
    EXPECT_EQ(firing->alert_id, p.alert_id) << p.fingerprint;
  }
  EXPECT_EQ(h.StopWalguard(), 0);
}

}  // namespace
}  // namespace walguard::testing

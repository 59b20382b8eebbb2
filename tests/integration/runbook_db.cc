#include "tests/integration/runbook_db.h"

#include "tests/integration/environment.h"
#include "tests/integration/sql_oracle.h"

namespace walguard::testing {

namespace {

constexpr char kDigest[] = R"SQL(
SELECT md5(string_agg(r, E'\n' ORDER BY r)) FROM (
  SELECT 'tier ' || x::text AS r FROM ticketing.ticket_tiers x UNION ALL
  SELECT 'hold ' || x::text FROM ticketing.ticket_holds x UNION ALL
  SELECT 'order ' || x::text FROM ticketing.orders x UNION ALL
  SELECT 'item ' || x::text FROM ticketing.order_items x UNION ALL
  SELECT 'ticket ' || x::text FROM ticketing.tickets x UNION ALL
  SELECT 'intent ' || x::text FROM reserve.booking_intents x UNION ALL
  SELECT 'payment ' || x::text FROM reserve.payments x UNION ALL
  SELECT 'reservation ' || x::text FROM reserve.reservations x UNION ALL
  SELECT 'ledger ' || x::text FROM reserve.ledger_entries x UNION ALL
  SELECT 'calendar ' || x::text FROM reserve.availability_calendar x UNION ALL
  SELECT 'webhook ' || x::text FROM reserve.processed_webhooks x UNION ALL
  SELECT 'check ' || x::text FROM walguard_worker.provider_checks x) s
)SQL";

}  // namespace

Status RunbookDb::SetUp() {
  name_ = CreateTestDatabase();
  const std::string conninfo = SharedCluster().ConnInfo(name_);
  WG_RETURN_IF_ERROR(admin_.Connect(conninfo));
  WG_RETURN_IF_ERROR(admin_.ExecScript(ReadSourceFile("sql/ticketing_schema.sql")));
  WG_RETURN_IF_ERROR(admin_.ExecScript(ReadSourceFile("sql/reserve_schema.sql")));
  WG_RETURN_IF_ERROR(Install().WithContext("first install"));
  WG_RETURN_IF_ERROR(Install().WithContext("second install"));
  WG_RETURN_IF_ERROR(worker_.Connect(conninfo));
  return worker_.Exec("SET ROLE walguard_worker");
}

Status RunbookDb::Install() {
  const std::string sql = ReadSourceFile("sql/runbook/install.sql");
  if (sql.empty()) return Status::IOError("sql/runbook/install.sql is missing or empty");
  return admin_.ExecScript(sql).WithContext("sql/runbook/install.sql");
}

Status RunbookDb::Call(const std::string& call, const std::vector<std::string>& params, Report* out) {
  workload::Rows rows;
  // In FROM, the function runs once; jsonb_each_text splits its report.
  WG_RETURN_IF_ERROR(
      worker_.Exec("SELECT e.key, e.value FROM " + call + " AS r(doc), jsonb_each_text(r.doc) e", params, &rows)
          .WithContext(call));
  out->clear();
  for (size_t i = 0; i < rows.size(); ++i) (*out)[rows.at(i, 0)] = rows.at(i, 1);
  return Status::OK();
}

Status RunbookDb::Value(const std::string& sql, const std::vector<std::string>& params, std::string* out) {
  workload::Rows rows;
  WG_RETURN_IF_ERROR(admin_.Exec(sql, params, &rows));
  *out = rows.empty() ? "" : rows.at(0, 0);
  return Status::OK();
}

Status RunbookDb::Digest(std::string* out) {
  return Value(kDigest, {}, out);
}

Status RunbookDb::Firing(const std::string& fingerprint, bool* firing) {
  std::map<std::string, std::string> expected;
  WG_RETURN_IF_ERROR(ExpectedFiring(SharedCluster(), name_, &expected));
  *firing = expected.count(fingerprint) > 0;
  return Status::OK();
}

}  // namespace walguard::testing

// Runbook depth end to end (CONTRACT 3.1), the reserve-rules part: a
// calendar date passing (the WAL clock crossing midnight in the business
// time zone) resolves an overbooking with details.reason "date_passed".
//
// The WAL clock is the database's real clock, so the test cannot wait for
// a real midnight: it writes a time zone of its own (a TZif file with a
// fixed offset chosen so that local midnight falls a few seconds ahead) in
// a directory it points TZDIR at, and starts walguard with that zone.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/walguard_harness.h"
#include "tests/support/status_assert.h"
#include "util/time.h"

namespace walguard::testing {
namespace {

std::string ReadSource(const std::string& path) {
  std::ifstream in(std::string(WALGUARD_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PutBe32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

// A version-1 TZif file: no transitions, one local time type `offset_s` east of UTC.
std::string FixedOffsetTzif(int32_t offset_s) {
  std::string f = "TZif";
  f.append(16, '\0');                                          // version 1, 15 unused bytes
  for (uint32_t n : {0u, 0u, 0u, 0u, 1u, 4u}) PutBe32(&f, n);  // isut, isstd, leap, time, type, char counts
  PutBe32(&f, static_cast<uint32_t>(offset_s));
  f.push_back('\0');  // isdst
  f.push_back('\0');  // designation index
  f.append("TST", 4);
  return f;
}

// Sets TZDIR for this process (and so for the walguard it starts) while alive.
class ScopedTzDir {
 public:
  explicit ScopedTzDir(std::string dir) : dir_(std::move(dir)) { setenv("TZDIR", dir_.c_str(), 1); }
  ~ScopedTzDir() { unsetenv("TZDIR"); }

 private:
  std::string dir_;
};

constexpr int64_t kDay = 86'400;

TEST(RunbookDepth, ACalendarDatePassingResolvesAnOverbookingWithDatePassed) {
  WalguardHarness h;
  ASSERT_OK(h.SetUp());
  ASSERT_OK(h.Sql(ReadSource("sql/reserve_schema.sql")));

  // Local midnight of the test zone lands `kAhead` seconds after the database's now().
  constexpr int64_t kAhead = 40;
  std::string now_text;
  ASSERT_OK(h.Sql("SELECT extract(epoch FROM now())::bigint", &now_text));
  const int64_t now = std::stoll(now_text);
  int64_t offset = ((-(now + kAhead)) % kDay + kDay) % kDay;  // (now + kAhead + offset) % kDay == 0
  if (offset > kDay / 2) offset -= kDay;
  const int64_t local_today = (now + offset) / kDay;  // the local date until midnight
  const std::string today = FormatDate(static_cast<int32_t>(local_today));

  const std::string zone_dir = h.work_dir() + "/zoneinfo";
  std::filesystem::create_directories(zone_dir + "/Test");
  std::ofstream(zone_dir + "/Test/Midnight", std::ios::binary) << FixedOffsetTzif(static_cast<int32_t>(offset));
  ScopedTzDir tzdir(zone_dir);
  ASSERT_OK(h.StartWalguard("business_timezone = \"Test/Midnight\""));

  // Two confirmed stays on tonight's one night of a unit without a calendar row (allotment 1).
  ASSERT_OK(
      h.Sql("INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES "
            "('d1000000-0000-4000-8000-000000000001', 'd2000000-0000-4000-8000-000000000001', "
            "'d3000000-0000-4000-8000-000000000001', '" +
            today + "', '" + today +
            "'::date + 1, 'confirmed'), ('d1000000-0000-4000-8000-000000000002', "
            "'d2000000-0000-4000-8000-000000000002', 'd3000000-0000-4000-8000-000000000001', '" +
            today + "', '" + today + "'::date + 1, 'confirmed')"));
  std::vector<Published> fired = h.WaitFor("overbooking", "firing", 1);
  ASSERT_EQ(fired.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(fired[0].entity_id, "d3000000-0000-4000-8000-000000000001");
  EXPECT_NE(fired[0].details.find("\"first_overbooked_date\":\"" + today + "\""), std::string::npos)
      << fired[0].details;

  // The keepalives carry the clock over local midnight, with nothing written.
  std::vector<Published> resolved = h.WaitFor("overbooking", "resolved", 1, std::chrono::seconds(kAhead + 30));
  ASSERT_EQ(resolved.size(), 1u) << h.WalguardLog();
  EXPECT_EQ(resolved[0].alert_id, fired[0].alert_id);
  EXPECT_NE(resolved[0].details.find(R"("reason":"date_passed")"), std::string::npos) << resolved[0].details;
  std::string after;
  ASSERT_OK(h.Sql("SELECT extract(epoch FROM now())::bigint", &after));
  EXPECT_GE(std::stoll(after), now + kAhead) << "resolved before local midnight";

  // A stay on a night that has already passed never pages.
  ASSERT_OK(
      h.Sql("INSERT INTO reserve.reservations (id, booking_intent_id, unit_id, check_in, check_out, status) VALUES "
            "('d1000000-0000-4000-8000-000000000003', 'd2000000-0000-4000-8000-000000000003', "
            "'d3000000-0000-4000-8000-000000000001', '" +
            today + "', '" + today + "'::date + 1, 'confirmed')"));
  ASSERT_OK(h.CatchUp());
  EXPECT_EQ(h.WaitFor("overbooking", "firing", 2, std::chrono::seconds(2)).size(), 1u);
  EXPECT_EQ(h.StopWalguard(), 0);
  ASSERT_OK(h.DropSlot());
}

}  // namespace
}  // namespace walguard::testing

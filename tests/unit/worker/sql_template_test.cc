#include "worker/sql_template.h"

#include <gtest/gtest.h>

namespace walguard {
namespace {

TEST(SqlTemplateTest, NamesBecomeNumberedParametersInOrderOfFirstUse) {
  SqlTemplate t;
  ASSERT_TRUE(ParseSqlTemplate("SELECT f($event_id, $dry_run, $event_id)", &t).ok());
  EXPECT_EQ(t.text, "SELECT f($1, $2, $1)");
  EXPECT_EQ(t.names, (std::vector<std::string>{"event_id", "dry_run"}));
}

TEST(SqlTemplateTest, QuotedTextPositionalAndDollarQuotesAreLeftAlone) {
  SqlTemplate t;
  ASSERT_TRUE(ParseSqlTemplate("SELECT f('$not_a_name', $1, $$x$$, $dry_run)", &t).ok());
  EXPECT_EQ(t.text, "SELECT f('$not_a_name', $1, $$x$$, $1)");
  EXPECT_EQ(t.names, (std::vector<std::string>{"dry_run"}));
}

TEST(SqlTemplateTest, WithoutDryRunIsRefused) {
  SqlTemplate t;
  Status s = ParseSqlTemplate("SELECT f($event_id)", &t);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("$dry_run"), std::string::npos);
}

TEST(SqlTemplateTest, ValuesAreBoundNeverSpliced) {
  SqlTemplate t;
  ASSERT_TRUE(ParseSqlTemplate("SELECT f($unit_id, $date, $dry_run)", &t).ok());
  std::vector<std::string> values;
  const std::string hostile = "x'); DROP TABLE reserve.units; --";
  ASSERT_TRUE(BindSqlTemplate(t, {{"unit_id", hostile}, {"date", "2026-12-24"}}, true, &values).ok());
  EXPECT_EQ(values, (std::vector<std::string>{hostile, "2026-12-24", "true"}));
  EXPECT_EQ(t.text.find("DROP"), std::string::npos);
  ASSERT_TRUE(BindSqlTemplate(t, {{"unit_id", "u"}, {"date", "d"}}, false, &values).ok());
  EXPECT_EQ(values.back(), "false");
}

TEST(SqlTemplateTest, AMissingArgumentIsNamed) {
  SqlTemplate t;
  ASSERT_TRUE(ParseSqlTemplate("SELECT f($booking_intent_id, $payment_id, $dry_run)", &t).ok());
  std::vector<std::string> values;
  Status s = BindSqlTemplate(t, {{"booking_intent_id", "b"}}, true, &values);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("payment_id"), std::string::npos);
}

}  // namespace
}  // namespace walguard

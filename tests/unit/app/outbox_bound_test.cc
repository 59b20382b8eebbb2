#include "app/outbox_bound.h"

#include <gtest/gtest.h>

namespace walguard {
namespace {

TEST(OutboxBoundTest, ResumesAtNinetyPercentOrAtZeroForSmallBounds) {
  EXPECT_EQ(ResumeAt(100'000), 90'000u);
  EXPECT_EQ(ResumeAt(10), 9u);
  EXPECT_EQ(ResumeAt(9), 8u);
  EXPECT_EQ(ResumeAt(1), 0u);  // a bound of 1 must resume at all
}

TEST(OutboxBoundTest, PausesAtTheBoundAndResumesOnlyWhenDrained) {
  OutboxBound bound(100);
  EXPECT_FALSE(bound.Update(99, 0, 0));
  EXPECT_TRUE(bound.Update(100, 0, 1));
  EXPECT_TRUE(bound.Update(95, 0, 2));  // not toggling per confirmed message
  EXPECT_TRUE(bound.Update(91, 0, 3));
  EXPECT_FALSE(bound.Update(90, 0, 4));
  EXPECT_FALSE(bound.paused());
  EXPECT_FALSE(bound.Update(99, 0, 5));
}

}  // namespace
}  // namespace walguard

// gtest assertions on walguard::Status: the failure names the expression
// and the status, not just "false".
#pragma once

#include <gtest/gtest.h>

#include "util/status.h"

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    ::walguard::Status _s = (expr);                         \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

#define EXPECT_OK(expr)                                     \
  do {                                                      \
    ::walguard::Status _s = (expr);                         \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)

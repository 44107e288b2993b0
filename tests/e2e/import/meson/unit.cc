// SPDX-License-Identifier: MIT
// A GoogleTest binary run whole by Meson's gtest protocol: one case fails.
#include <gtest/gtest.h>

TEST(Math, Add) { EXPECT_EQ(2 + 2, 4); }
TEST(Math, Div) { EXPECT_EQ(7 / 2, 4) << "integer division"; }

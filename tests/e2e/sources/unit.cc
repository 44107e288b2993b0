// SPDX-License-Identifier: MIT
// A GoogleTest suite for tests/e2e/sources.sh: plain, typed and parameterised cases, a failing
// one, disabled ones, one that crashes, and one that reads its environment.
#include <gtest/gtest.h>
#include <cstdlib>
#include <cstring>

TEST(Math, Add) { EXPECT_EQ(2, 1 + 1); }
TEST(Math, Fails) { EXPECT_EQ(3, 1 + 1); }
TEST(Math, DISABLED_Later) { FAIL() << "a disabled case ran"; }
TEST(Crash, Aborts) { std::abort(); }
TEST(Env, Seen)
{
	const char *v = std::getenv("SEEN");
	ASSERT_NE(v, nullptr);
	EXPECT_STREQ(v, "yes");
}

template <typename T> class Typed : public ::testing::Test {};
using Types = ::testing::Types<int, long>;
TYPED_TEST_SUITE(Typed, Types);
TYPED_TEST(Typed, Zero) { EXPECT_EQ(TypeParam(0), 0); }

class Param : public ::testing::TestWithParam<int> {};
TEST_P(Param, Even) { EXPECT_EQ(GetParam() % 2, 0); }
INSTANTIATE_TEST_SUITE_P(Nums, Param, ::testing::Values(2, 3));

// Disabled by its suite's name after the instantiation's prefix: Inst/DISABLED_Q.
class DISABLED_Q : public ::testing::TestWithParam<int> {};
TEST_P(DISABLED_Q, Fails) { FAIL() << "a disabled case ran"; }
INSTANTIATE_TEST_SUITE_P(Inst, DISABLED_Q, ::testing::Values(1));

// SPDX-License-Identifier: MIT
// A Catch2 (v2, as Debian 12 has it) suite for tests/e2e/sources.sh: a name with the characters
// a test spec treats specially, a failing case, a hidden one, one that crashes, one that
// Catch2 lists in quotes; built with -DUNSELECTABLE, one it cannot select alone.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <cstdlib>

TEST_CASE("adds, with a comma [not a tag]", "[math]") { REQUIRE(1 + 1 == 2); }
TEST_CASE("fails", "[math]") { REQUIRE(1 + 1 == 3); }
TEST_CASE("crashes") { std::abort(); }
TEST_CASE("hidden", "[.]") { FAIL("a hidden case ran"); }
TEST_CASE("#hash, listed in quotes") { REQUIRE(1 + 1 == 3); }
#ifdef UNSELECTABLE
TEST_CASE("*star") { REQUIRE(true); }
#endif

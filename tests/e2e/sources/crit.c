/* SPDX-License-Identifier: MIT */
/* A Criterion suite for tests/e2e/sources.sh: passing, failing and disabled tests. */
#include <criterion/criterion.h>

Test(math, add) { cr_assert_eq(1 + 1, 2); }
Test(math, fails) { cr_assert_eq(1 + 1, 3); }
Test(misc, later, .disabled = true) { cr_assert_fail("a disabled test ran"); }
Test(misc, slow) { cr_assert_eq(2 * 2, 4); }

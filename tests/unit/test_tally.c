/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the tally (src/sched/tally.c), which decides every test's result for isola run
 * and isola merge: runs and retries, FLAKY, --flaky-result fail, --repeat's many runs, attempts
 * stopped by Ctrl-C, the flake table's reasons, the slowest tests; and the Wilson interval the
 * flake table prints (src/report/report-record.c), against values worked out by hand.
 */
#include "unit.h"

#include <math.h>

#include "report/report-record.h"
#include "sched/scheduler.h"
#include "sched/tally.h"

static struct testlist list(size_t n)
{
	struct testlist tl = {.v = xcalloc(n, sizeof(struct test)), .n = n, .cap = n};
	for (size_t i = 0; i < n; i++)
		tl.v[i].name = xasprintf("t%zu", i);
	return tl;
}

/* An attempt of run `run` that took ms milliseconds; result filled in if it ends the run. */
static struct attempt att(unsigned run, unsigned number, enum outcome o, const char *reason,
                          bool retried, unsigned failed_before, int64_t ms)
{
	struct attempt a = {.run = run, .number = number, .outcome = o, .reason = (char *)reason,
	                    .retried = retried, .failed_before = failed_before,
	                    .exec_ns = 0, .end_ns = ms * NSEC_PER_MSEC, .owner = "pid namespace"};
	if (!retried)
		a.result = tally_run_result(o, failed_before);
	return a;
}

static void summarise(struct tally *t, struct testlist *tl, struct run_summary *sum)
{
	if (!sum->slow_ns)
		sum->slow_ns = NSEC_PER_SEC;
	tally_summarise(t, tl, sum);
}

static void release(struct tally *t, struct testlist *tl, struct run_summary *sum)
{
	tally_release(t);
	run_summary_release(sum);
	testlist_release(tl);
}

static void test_run_results(void **state)
{
	(void)state;
	assert_int_equal(tally_run_result(OUT_PASS, 0), OUT_PASS);
	assert_int_equal(tally_run_result(OUT_PASS, 2), OUT_FLAKY);
	assert_int_equal(tally_run_result(OUT_FAIL, 2), OUT_FAIL);
	assert_int_equal(tally_run_result(OUT_SKIP, 1), OUT_SKIP);
	assert_true(outcome_ok(OUT_FLAKY));
	assert_string_equal(outcome_name(OUT_FLAKY), "FLAKY");
}

static void test_flaky_counts_as_passed_or_failed(void **state)
{
	(void)state;
	for (int fails = 0; fails < 2; fails++) {
		struct testlist tl = list(3);
		struct tally t;
		tally_init(&t, tl.n);
		struct attempt a;
		/* t0: FAIL, then PASS on retry: FLAKY. t1: PASS. t2: never started. */
		a = att(1, 1, OUT_FAIL, "exit 1", true, 0, 5);
		tally_attempt(&t, 0, &a);
		a = att(1, 2, OUT_PASS, NULL, false, 1, 5);
		tally_attempt(&t, 0, &a);
		a = att(1, 1, OUT_PASS, NULL, false, 0, 5);
		tally_attempt(&t, 1, &a);
		struct run_summary sum = {.flaky_fails = fails};
		summarise(&t, &tl, &sum);
		assert_int_equal(sum.counts[OUT_FLAKY], 1);
		assert_int_equal(sum.counts[OUT_PASS], 1);
		assert_int_equal(sum.flaky, 1);
		assert_int_equal(sum.not_run, 1);
		assert_int_equal(sum.passed, fails ? 1 : 2);
		assert_int_equal(sum.failed, fails ? 1 : 0);
		if (fails)
			assert_string_equal(sum.failed_names.v[0], "t0 (FLAKY)");
		assert_int_equal(sum.nflakes, 1);
		assert_string_equal(sum.flakes[0].name, "t0");
		assert_int_equal(sum.flakes[0].attempts, 2);
		assert_int_equal(sum.flakes[0].failures, 1);
		assert_int_equal(sum.flakes[0].flaky_runs, 1);
		assert_int_equal(sum.flakes[0].nreasons, 1);
		assert_string_equal(sum.flakes[0].reasons[0].reason, "exit 1");
		/* Durations: the mean of the passing attempts. */
		assert_true(fabs(sum.durations[0] - 0.005) < 1e-9);
		assert_true(sum.durations[2] < 0);
		release(&t, &tl, &sum);
		/* An attempt whose program never started (its setup or staging failed) took no
		 * time of its own: no duration is recorded for it. */
		tl = list(1);
		tally_init(&t, tl.n);
		a = att(1, 1, OUT_ERROR, "setup db failed: exit 3", false, 0, 5);
		a.owner = NULL;
		tally_attempt(&t, 0, &a);
		sum = (struct run_summary){0};
		summarise(&t, &tl, &sum);
		assert_true(sum.durations[0] < 0);
		assert_int_equal(sum.failed, 1);
		release(&t, &tl, &sum);
	}
}

static void test_repeated_runs(void **state)
{
	(void)state;
	struct testlist tl = list(2);
	struct tally t;
	tally_init(&t, tl.n);
	struct attempt a;
	/* t0: 10 runs, runs 3 and 7 fail (for different reasons, run 7 twice over), the others
	 * pass; t1: every run skips. */
	for (unsigned r = 1; r <= 10; r++) {
		const char *why = r == 3 ? "exit 1" : "timed out after 1s";
		a = att(r, 1, r == 3 || r == 7 ? (r == 3 ? OUT_FAIL : OUT_TIMEOUT) : OUT_PASS,
		        r == 3 || r == 7 ? why : NULL, false, 0, 10);
		tally_attempt(&t, 0, &a);
		a = att(r, 1, OUT_SKIP, NULL, false, 0, 1);
		tally_attempt(&t, 1, &a);
	}
	struct run_summary sum = {0};
	summarise(&t, &tl, &sum);
	/* A test that failed any run failed: the last such run's result. */
	assert_int_equal(sum.counts[OUT_TIMEOUT], 1);
	assert_int_equal(sum.counts[OUT_SKIP], 1);
	assert_int_equal(sum.failed, 1);
	assert_int_equal(sum.skipped, 1);
	assert_int_equal(sum.runs, 10);
	assert_int_equal(sum.nflakes, 1);
	assert_int_equal(sum.flakes[0].attempts, 10);
	assert_int_equal(sum.flakes[0].failures, 2);
	assert_int_equal(sum.flakes[0].nreasons, 2);
	assert_string_equal(sum.flakes[0].reasons[1].reason, "timed out after 1s");
	release(&t, &tl, &sum);
}

static void test_interrupted_and_unfinished(void **state)
{
	(void)state;
	struct testlist tl = list(2);
	struct tally t;
	tally_init(&t, tl.n);
	/* t0: stopped by Ctrl-C: an ERROR, but no evidence of flakiness. */
	struct attempt a = att(1, 1, OUT_ERROR, "interrupted", false, 0, 5);
	a.interrupted = true;
	tally_attempt(&t, 0, &a);
	/* t1: failed, its retry queued, and the run stopped before it started: the run failed. */
	a = att(1, 1, OUT_CRASH, "killed by SIGSEGV", true, 0, 5);
	tally_attempt(&t, 1, &a);
	struct run_summary sum = {0};
	summarise(&t, &tl, &sum);
	assert_int_equal(sum.counts[OUT_ERROR], 1);
	assert_int_equal(sum.counts[OUT_CRASH], 1);
	assert_int_equal(sum.failed, 2);
	assert_int_equal(sum.nflakes, 1); /* t1 only */
	assert_string_equal(sum.flakes[0].name, "t1");
	release(&t, &tl, &sum);
}

static void test_reasons_are_bounded(void **state)
{
	(void)state;
	struct testlist tl = list(1);
	struct tally t;
	tally_init(&t, tl.n);
	char why[32];
	for (unsigned r = 1; r <= 7; r++) {
		snprintf(why, sizeof(why), "exit %u", r);
		struct attempt a = att(r, 1, OUT_FAIL, why, false, 0, 1);
		tally_attempt(&t, 0, &a);
	}
	struct run_summary sum = {0};
	summarise(&t, &tl, &sum);
	assert_int_equal(sum.flakes[0].nreasons, FLAKE_REASONS_MAX);
	assert_int_equal(sum.flakes[0].other_reasons, 7 - FLAKE_REASONS_MAX);
	release(&t, &tl, &sum);
}

static void test_slowest(void **state)
{
	(void)state;
	/* t_i takes i * 400 ms. Over the 1 s bar (the default) are t3 (1.2 s) .. t7 (2.8 s): the
	 * five slowest are kept; over --slow 2s, only t5 .. t7. */
	static const struct {
		int64_t bar;
		size_t n;
		const char *last;
	} cases[] = {{0, SLOWEST_MAX, "t3"}, {2 * NSEC_PER_SEC, 3, "t5"}};
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct testlist tl = list(8);
		struct tally t;
		tally_init(&t, tl.n);
		for (size_t i = 0; i < tl.n; i++) {
			struct attempt a = att(1, 1, OUT_PASS, NULL, false, 0, (int64_t)i * 400);
			tally_attempt(&t, i, &a);
		}
		struct run_summary sum = {.slow_ns = cases[c].bar};
		summarise(&t, &tl, &sum);
		assert_int_equal(sum.nslowest, cases[c].n);
		assert_string_equal(sum.slowest[0].name, "t7");
		assert_string_equal(sum.slowest[cases[c].n - 1].name, cases[c].last);
		release(&t, &tl, &sum);
	}
}

static void test_wilson(void **state)
{
	(void)state;
	double lo, hi;
	/* 1 of 2: centre 0.5, half-width 1.96 sqrt(0.125 + 0.24) / 2.92 = 0.4055. */
	wilson_interval(1, 2, &lo, &hi);
	assert_true(fabs(lo - 0.0945) < 0.001 && fabs(hi - 0.9055) < 0.001);
	/* 20 of 100: [0.1333, 0.2888]. */
	wilson_interval(20, 100, &lo, &hi);
	assert_true(fabs(lo - 0.1333) < 0.001 && fabs(hi - 0.2888) < 0.001);
	/* None failed: the lower bound is 0 exactly, and the upper one is not (3/n-ish). */
	wilson_interval(0, 50, &lo, &hi);
	assert_true(lo == 0 && hi > 0.05 && hi < 0.08);
	wilson_interval(4, 4, &lo, &hi);
	assert_true(hi == 1 && fabs(lo - 0.5101) < 0.001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_results),
	    cmocka_unit_test(test_flaky_counts_as_passed_or_failed),
	    cmocka_unit_test(test_repeated_runs),
	    cmocka_unit_test(test_interrupted_and_unfinished),
	    cmocka_unit_test(test_reasons_are_bounded),
	    cmocka_unit_test(test_slowest),
	    cmocka_unit_test(test_wilson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The tally: from the attempts that ended to each test's result and the run's summary. One
 * place decides what a test's result is, for isola run (the scheduler) and isola merge (the
 * shards' reports) alike:
 *
 *   - a run of a test is its first attempt and the retries that follow it; it ends with the
 *     attempt that is not retried (attempt.retried), and its result is that attempt's outcome,
 *     or FLAKY if an attempt before it failed and it passed;
 *   - a test that ran more than once (--repeat, --stress, --until-fail) failed if any run
 *     failed (the result is that run's, the last such), else is FLAKY if any run was, else SKIP
 *     if every run skipped, else PASS;
 *   - FLAKY counts as passed, or as failed under --flaky-result fail.
 *
 * It also keeps, per test, what the flake table shows (attempts, failures, the distinct
 * reasons) and its longest attempt (the slowest tests of the summary).
 */
#ifndef ISOLA_TALLY_H
#define ISOLA_TALLY_H

#include "sched/attempt.h"
#include "testlist/testlist.h"

struct test_tally;

struct tally {
	struct test_tally *v;
	size_t n;
};

void tally_init(struct tally *t, size_t ntests);

/*
 * The run result of an attempt that ends its run (not retried): its outcome, or FLAKY if it
 * passed and failed_before attempts of its run did not.
 */
enum outcome tally_run_result(enum outcome o, unsigned failed_before);

/* Attempt a of test `test` ended; a->retried and (when not retried) a->result are set. */
void tally_attempt(struct tally *t, size_t test, const struct attempt *a);

/*
 * Fill in sum's counts, passed/failed/skipped/flaky/not_run, failed_names, the flake table, the
 * slowest tests (over sum->slow_ns) and the durations for the tests of tl. sum->flaky_fails and
 * sum->slow_ns are read, so set them first. What it allocates (flakes, failed_names, durations)
 * is sum's: run_summary_release() frees it. Names are borrowed from tl.
 */
void tally_summarise(const struct tally *t, const struct testlist *tl, struct run_summary *sum);

void tally_release(struct tally *t);

#endif

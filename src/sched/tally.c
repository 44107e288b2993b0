/* SPDX-License-Identifier: MIT */
#include "sched/tally.h"

#include <stdlib.h>
#include <string.h>

struct test_tally {
	unsigned attempts; /* that ended with a verdict */
	unsigned failures; /* ... that did not pass */
	unsigned runs;     /* runs that ended */
	unsigned skips;    /* runs that ended SKIP */
	unsigned flaky_runs;
	unsigned open;          /* runs whose retry is queued: they end with it */
	bool started;           /* an attempt of it ended, interrupted or not */
	bool failed;            /* a run ended without passing */
	enum outcome fail;      /* the last such run's result */
	enum outcome open_fail; /* the last retried attempt's outcome */
	int64_t longest_ns;
	int64_t sum_ns, pass_sum_ns; /* of the attempts with a verdict, and of those that passed */
	unsigned passes, timed;      /* attempts that passed, that started a program */
	struct flake_reason reasons[FLAKE_REASONS_MAX];
	size_t nreasons;
	unsigned other_reasons;
};

void tally_init(struct tally *t, size_t ntests)
{
	t->n = ntests;
	t->v = xcalloc(ntests ? ntests : 1, sizeof(*t->v));
}

enum outcome tally_run_result(enum outcome o, unsigned failed_before)
{
	return o == OUT_PASS && failed_before ? OUT_FLAKY : o;
}

static void note_reason(struct test_tally *tt, const char *reason)
{
	if (!reason)
		reason = "failed";
	for (size_t i = 0; i < tt->nreasons; i++)
		if (strcmp(tt->reasons[i].reason, reason) == 0) {
			tt->reasons[i].count++;
			return;
		}
	if (tt->nreasons == FLAKE_REASONS_MAX) {
		tt->other_reasons++;
		return;
	}
	tt->reasons[tt->nreasons++] = (struct flake_reason){.reason = xstrdup(reason), .count = 1};
}

void tally_attempt(struct tally *t, size_t test, const struct attempt *a)
{
	struct test_tally *tt = &t->v[test];
	tt->started = true;
	/* An attempt stopped by Ctrl-C or --fail-fast says nothing about the test. */
	if (!a->interrupted) {
		tt->attempts++;
		if (!outcome_ok(a->outcome)) {
			tt->failures++;
			note_reason(tt, a->reason);
		}
		/* Durations only of programs that ran (owner is set when one was started): a test
		 * whose staging or setup failed took no time of its own. */
		int64_t took = a->end_ns - a->exec_ns;
		if (a->owner && took > tt->longest_ns)
			tt->longest_ns = took;
		if (a->owner) {
			tt->timed++;
			tt->sum_ns += took;
		}
		if (a->owner && outcome_ok(a->outcome)) {
			tt->passes++;
			tt->pass_sum_ns += took;
		}
	}
	if (a->number > 1 && tt->open)
		tt->open--; /* the retry a run waited for */
	if (a->retried) {
		tt->open++;
		tt->open_fail = a->outcome;
		return;
	}
	tt->runs++;
	if (a->result == OUT_FLAKY)
		tt->flaky_runs++;
	else if (a->result == OUT_SKIP)
		tt->skips++;
	else if (!outcome_ok(a->result)) {
		tt->failed = true;
		tt->fail = a->result;
	}
}

/* The test's result; *ran false if no attempt of it ended. */
static enum outcome result_of(const struct test_tally *tt, bool *ran)
{
	*ran = tt->started;
	if (tt->failed)
		return tt->fail;
	if (tt->open)
		return tt->open_fail; /* a retry that never started: the run ended failing */
	if (tt->flaky_runs)
		return OUT_FLAKY;
	if (tt->runs && tt->skips == tt->runs)
		return OUT_SKIP;
	return OUT_PASS;
}

static void add_slow(struct run_summary *sum, const char *name, int64_t ns)
{
	if (ns < sum->slow_ns)
		return;
	size_t i = sum->nslowest;
	if (i == SLOWEST_MAX) {
		if (ns <= sum->slowest[SLOWEST_MAX - 1].ns)
			return;
		i--;
	} else {
		sum->nslowest++;
	}
	/* Insertion into the few kept, slowest first (ties: the earlier test first). */
	while (i > 0 && sum->slowest[i - 1].ns < ns) {
		sum->slowest[i] = sum->slowest[i - 1];
		i--;
	}
	sum->slowest[i] = (struct slow_test){.name = name, .ns = ns};
}

void tally_summarise(const struct tally *t, const struct testlist *tl, struct run_summary *sum)
{
	sum->durations = xmalloc((t->n ? t->n : 1) * sizeof(*sum->durations));
	for (size_t i = 0; i < t->n; i++) {
		const struct test_tally *tt = &t->v[i];
		const char *name = tl->v[i].name;
		sum->durations[i] = tt->passes  ? (double)tt->pass_sum_ns / tt->passes / 1e9
		                    : tt->timed ? (double)tt->sum_ns / tt->timed / 1e9
		                                : -1;
		bool ran;
		enum outcome oc = result_of(tt, &ran);
		if (!ran) {
			sum->not_run++;
			continue;
		}
		sum->counts[oc]++;
		if (tt->runs > sum->runs)
			sum->runs = tt->runs;
		if (oc == OUT_FLAKY)
			sum->flaky++;
		if (oc == OUT_SKIP)
			sum->skipped++;
		else if (oc == OUT_PASS || (oc == OUT_FLAKY && !sum->flaky_fails))
			sum->passed++;
		else {
			sum->failed++;
			strv_push_take(&sum->failed_names,
			               xasprintf("%s (%s)", name, outcome_name(oc)));
		}
		add_slow(sum, name, tt->longest_ns);
		if (!tt->failures)
			continue;
		sum->flakes = xrealloc(sum->flakes, (sum->nflakes + 1) * sizeof(*sum->flakes));
		struct flake *f = &sum->flakes[sum->nflakes++];
		*f = (struct flake){
		    .name = name,
		    .attempts = tt->attempts,
		    .failures = tt->failures,
		    .flaky_runs = tt->flaky_runs,
		    .nreasons = tt->nreasons,
		    .other_reasons = tt->other_reasons,
		};
		for (size_t k = 0; k < tt->nreasons; k++)
			f->reasons[k] =
			    (struct flake_reason){.reason = xstrdup(tt->reasons[k].reason),
			                          .count = tt->reasons[k].count};
	}
}

void tally_release(struct tally *t)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t k = 0; k < t->v[i].nreasons; k++)
			free(t->v[i].reasons[k].reason);
	free(t->v);
	*t = (struct tally){0};
}

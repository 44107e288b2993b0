/* SPDX-License-Identifier: MIT */
/*
 * The scheduler: one event loop that starts attempts into free slots, takes signals only through
 * a signalfd, enforces absolute monotonic deadlines, reaps, hunts leaked processes, and hands
 * every event to the reporters.
 */
#ifndef ISOLA_SCHEDULER_H
#define ISOLA_SCHEDULER_H

#include "config/settings.h"
#include "protocol/protocol.h"
#include "report/report.h"
#include "sandbox/sandbox.h"
#include "sched/jobserver.h"
#include "spawn/keeper.h"
#include "testlist/testlist.h"

struct deps;

struct sched_opts {
	/* What each test starts after (after =, order_deps() of this list, circles refused);
	 * NULL: no order between tests. */
	const struct deps *deps;
	unsigned jobs;
	enum keep_mode keep;
	unsigned retries;
	struct rundir *rd;
	const char *source_dir;
	struct reporters *rep;
	struct keeper *keeper; /* prepared; started for the first init that needs one (keeper.h) */
	/* --fail-fast=N: after N tests failed (retries spent), start no new test; with
	 * stop_running, stop the running ones too (as Ctrl-C would, as ERRORs that say why). */
	unsigned fail_fast;
	bool stop_running;
	/* Hunting: each test `repeat` times (0: once; with until_fail or stress_ns, no bound);
	 * until_fail: no new run after the first failure (fail_fast is 1 then); stress_ns: new
	 * runs start until that long after the start. */
	unsigned repeat;
	bool until_fail;
	int64_t stress_ns;
	bool flaky_fails;  /* --flaky-result fail */
	int64_t slow_ns;   /* --slow DUR: say when a test runs longer; 0: not given */
	/* The [lock NAME] sections: how many tests may hold each lock at once; a lock not
	 * declared holds one. */
	const struct lock_decl *locks;
	size_t nlocks;
	/* Processes of isola's own that outlive the run (the fixtures' inits, with what their
	 * setups started): the end of the run leaves them and their descendants alone. */
	const pid_t *keep_pids;
	size_t nkeep_pids;
	/* A stopping signal that came before the run (while the setups ran): nothing starts, every
	 * test is not run, and the run is reported as interrupted by it. 0: none. */
	int stopped_by;
	/* Reads the JUnit XML of tests whose protocol is gtest or junit (the JUnit plugin's, which
	 * the caller loaded); NULL: such a test's XML is an ERROR. */
	junit_parse_fn *parse_junit;
	/* make's jobserver, opened (sched/jobserver.h), or NULL: then `jobs` tests run at once.
	 * With it, `jobs` is the most, and every job beyond the first takes a token from make's
	 * pool while it runs; all are given back by the time sched_run returns. */
	struct jobserver *js;
	/* The environment tests start from (before the contract and their env/unset); NULL: isola's
	 * own. isola repro gives the kept attempt's. */
	char *const *base_env;
	/* isola repro --shell: the test (a shell) gets the terminal (stdin, stdout, stderr, the
	 * foreground) and no deadline. For one job. */
	bool interactive;
	int *exit_status; /* interactive: gets the test's exit status (128 + N: killed by signal N) */
	/* --shared-writes fail: a test that passed but wrote into a tree outside its --share
	 * paths is FAIL. */
	bool shared_writes_fail;
};

/*
 * Run every test of tl. The caller has blocked the signals sched_signals() lists (so that they
 * arrive only through the loop). Fills *sum. Returns 0, or -1 on an internal error (*e).
 */
int sched_run(const struct testlist *tl, const struct sched_opts *o, struct run_summary *sum,
	      struct isola_error *e);

/* The signals the scheduler takes: block them before starting anything. */
void sched_signals(sigset_t *set);

void run_summary_release(struct run_summary *rs);

#endif

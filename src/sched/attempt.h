/* SPDX-License-Identifier: MIT */
/*
 * The result model: one struct attempt per run of a test (a retried test has several), plus the
 * run's identity and its summary. Reporters read these; only the scheduler writes them.
 */
#ifndef ISOLA_ATTEMPT_H
#define ISOLA_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"
#include "stage/tree.h"
#include "stage/writes.h"
#include "testlist/testlist.h"

enum outcome {
	OUT_PASS,    /* exit 0 */
	OUT_FAIL,    /* any other exit */
	OUT_SKIP,    /* exit 77 (automake's convention) */
	OUT_ERROR,   /* exit 99, or isola could not stage or start it, or it was interrupted */
	OUT_TIMEOUT, /* isola stopped it at its deadline */
	OUT_CRASH,   /* killed by a signal isola did not send */
	OUT_LEAK,    /* passed, but left processes behind under --leak fail */
	OUT_FLAKY,   /* a test's result, never an attempt's: it failed, then passed on retry */
	OUT__COUNT
};

/* What a report shows for an attempt: its outcome, or, if it ended its run, the run's result
 * (FLAKY for a pass after failures). */
#define attempt_shown(a) ((a)->retried ? (a)->outcome : (a)->result)

/* Is there something to say of what --isolate gave it (the reports' "isolated")? It asked
 * for some kind, and started. */
#define attempt_isolation_known(a) \
	((a)->owner && ((a)->isolated || (a)->isolate_reason || (a)->trees.n))

/* "PASS", "FAIL", ... */
const char *outcome_name(enum outcome o);
/* The outcome outcome_name() calls s. Returns 0, or -1 if s names none. */
int outcome_parse(const char *s, enum outcome *out);
/* Does this outcome count as passed (PASS, SKIP, FLAKY)? */
bool outcome_ok(enum outcome o);

#define SKIP_EXIT_CODE  77
#define ERROR_EXIT_CODE 99

/*
 * A result inside a test: a subtest of a test that speaks TAP, a test case of the JUnit XML it
 * wrote (settings "protocol"; protocol/protocol.h reads them). Its outcome is PASS, FAIL, SKIP or
 * ERROR (a JUnit <error>); a TAP TODO's failure is FAIL with todo set, and fails nothing.
 */
struct subresult {
	char *name;    /* "Math.Div", the TAP description (or "#N" if it has none) */
	enum outcome outcome;
	bool todo;     /* TAP # TODO */
	char *message; /* why it failed or was skipped, or its diagnostics; NULL if none */
	int64_t ns;    /* its own time; -1: unknown */
};

/* What a test said of its insides, capped (a hostile test may print a million results): the
 * first SUBS_MAX, and past them only failures, up to SUBS_FAILED_MAX of those in all. */
struct subresults {
	struct subresult *v;
	size_t n, cap;
	size_t total;  /* found; total - n of them are not kept */
	size_t failed; /* found that failed (not TODO), kept or not */
	size_t kept_failed;
};
#define SUBS_MAX        1000
#define SUBS_FAILED_MAX 100

enum attempt_state {
	ATT_PENDING,     /* its sandbox is being made and staged */
	ATT_RUNNING,
	ATT_TERMINATING, /* SIGTERM sent, waiting out the grace period */
	ATT_KILLED,      /* SIGKILL sent */
	ATT_CLEANING,    /* ended; its sandbox is being removed */
	ATT_DONE,
};

struct attempt {
	const struct test *test;
	unsigned seq;     /* 1, 2, ... across the run: the sandbox's name starts with it */
	unsigned number;  /* ISOLA_ATTEMPT: 1 for the first try, 2 for the first retry... */
	unsigned run;     /* which run of the test (--repeat, --stress, --until-fail): 1, 2, ... */
	unsigned slot;    /* ISOLA_SLOT */
	enum attempt_state state;

	int64_t start_ns;      /* monotonic: staging began */
	int64_t exec_ns;       /* monotonic: the program was started */
	int64_t end_ns;        /* monotonic: the program ended */
	int64_t done_ns;       /* monotonic: cleanup ended */
	int64_t start_wall_ns; /* wall clock at start_ns */
	int64_t deadline_ns;   /* monotonic; 0: none */

	enum outcome outcome;
	bool exited;   /* exit_code is valid */
	int exit_code;
	int signal;    /* the signal that ended it, 0 if none */
	bool timed_out;
	bool interrupted;
	bool fail_fast; /* interrupted by --fail-fast --stop-running, not by a signal */
	/* Known at test_end: another attempt of this run follows (a retry). Else this attempt
	 * ends the run, and result is the run's result: its outcome, or FLAKY for a pass after
	 * failed attempts. */
	bool retried;
	enum outcome result;
	unsigned failed_before; /* attempts of this run before it that did not pass */
	bool slow;      /* it ran past --slow DUR (said once) */
	unsigned leaked; /* processes left behind, killed by isola */
	const char *owner;        /* how its processes were owned (static): "pid namespace" or
				   * "subreaper" (spawn/container.h); NULL if it never started */
	const char *owner_reason; /* why not a better one (static); NULL if none */
	int fence_abi;            /* fenced with this Landlock ABI (spawn/fence.h); 0: not fenced */
	struct strv fence_refused; /* paths its output says the fence refused (a failed attempt) */
	int64_t cpu_us;           /* user+system time of all its processes; -1: unknown */
	int64_t maxrss_kb;        /* peak resident size of its largest process; -1: unknown */
	char *reason;    /* why it is ERROR/TIMEOUT/..., for people; NULL if nothing to add */
	struct subresults subs; /* what its protocol said of its insides (none for exitcode) */
	const char *strategy; /* how its resources were staged (static): "overlay", "reflink",
			       * "copy", "bind" (--ro), a mix such as "overlay+copy", or "none" */
	char *strategy_reason; /* why some resource did not get a better strategy; NULL if none */
	struct tree_views trees; /* what --isolate tree made of each tree and share (none if not
				  * asked) */
	struct overlay_layers layers; /* its overlays (trees, --copy), walked when it ends */
	struct writes wrote;  /* what it changed through them (the shared-write report) */
	int isolated;          /* the --isolate kinds it got (ISO_* of config/settings.h; ISO_TREE:
				* some tree is a private overlay) */
	char *isolate_reason;  /* with --isolate all: what it did not get, and why; NULL if none */

	struct sandbox sb;
	char *sandbox_path; /* where its sandbox is or was */
	bool kept;          /* the sandbox was left on disk */
	bool init_lost;     /* its init died under it: what the test started may still run (until
			     * the end of the run), so its sandbox gets no evidence */
	unsigned outputs;   /* entries the test left in TEST_UNDECLARED_OUTPUTS_DIR (outputs/) */
	char *log_path;
	bool log_borrowed;  /* log_path is a failed setup's log (its tests did not run): not ours */
	int log_fd;
	off_t log_size;
};

struct run_info {
	const char *run_id;
	const char *run_dir;
	const char *source_dir;
	unsigned jobs;
	size_t ntests;
	int64_t start_wall_ns;
	bool flaky_fails; /* --flaky-result fail */
};

/* A reason attempts of a test failed for, and how many did. */
struct flake_reason {
	char *reason;
	unsigned count;
};

#define FLAKE_REASONS_MAX 4
#define SLOWEST_MAX 5

/* One line of the flake table: a test some attempt of which did not pass. */
struct flake {
	const char *name;        /* the test's (borrowed from the test list) */
	unsigned attempts;       /* attempts that ended with a verdict (not interrupted) */
	unsigned failures;       /* ... and did not pass */
	unsigned flaky_runs;     /* runs that failed first and passed on retry */
	struct flake_reason reasons[FLAKE_REASONS_MAX]; /* distinct, in the order first seen */
	size_t nreasons;
	unsigned other_reasons;  /* failures whose reason did not fit */
};

/* A test that ran long: its longest attempt. */
struct slow_test {
	const char *name; /* borrowed from the test list */
	int64_t ns;
};

struct run_summary {
	unsigned counts[OUT__COUNT];
	unsigned passed, failed, skipped, not_run, flaky;
	bool flaky_fails; /* --flaky-result fail: FLAKY counts as failed */
	/* The flake table: every test an attempt of which did not pass, in test-list order. */
	struct flake *flakes;
	size_t nflakes;
	bool hunting;  /* --repeat, --until-fail or --stress: the table is shown even if empty */
	unsigned runs; /* --repeat, --stress, --until-fail: the most runs any test had */
	struct slow_test slowest[SLOWEST_MAX]; /* slowest first, only those over the bar */
	size_t nslowest;
	int64_t slow_ns; /* the bar: --slow DUR, else 1 s */
	double *durations; /* per test of the list, seconds: the mean of its attempts (those that
			    * passed, if any did); -1 if none ended with a verdict */
	int64_t wall_ns;
	int signal;       /* the signal that interrupted the run, 0 if none */
	struct strv kept; /* "NAME\tPATH" of kept sandboxes */
	struct strv failed_names;
	unsigned fail_fast;        /* --fail-fast=N stopped the run: N; else 0 */
	bool until_fail;           /* ... and it was --until-fail's stop at the first failure */
	unsigned until_fail_run;   /* the run of the test that failed then */
	unsigned unknown_killed;   /* processes no test could be charged with, killed at the end */
	struct strv unknown_cmds;  /* their command lines (a few) */
};

#endif

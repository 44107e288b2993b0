/* SPDX-License-Identifier: MIT */
/*
 * Reporters: a table of event callbacks each. The scheduler calls every registered reporter at
 * each event; a reporter only reads what it is handed. One file per format.
 */
#ifndef ISOLA_REPORT_H
#define ISOLA_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sched/attempt.h"

struct reporter_ops {
	const char *name;
	void (*run_start)(void *ctx, const struct run_info *ri);
	void (*test_start)(void *ctx, const struct attempt *a);
	void (*test_end)(void *ctx, const struct attempt *a);
	void (*run_end)(void *ctx, const struct run_summary *rs);
	/* A test has run longer than --slow DUR (once per attempt, while it runs). */
	void (*test_slow)(void *ctx, const struct attempt *a, int64_t now_ns);
	/* Called about every tick_ns while tests run (for status lines, live output). slots has
	 * nslots entries, NULL for a free slot. */
	void (*tick)(void *ctx, struct attempt *const *slots, unsigned nslots, int64_t now_ns);
	/* Asked for (SIGUSR1): show the running tests, with durations and sandbox paths. */
	void (*show_running)(void *ctx, struct attempt *const *slots, unsigned nslots,
	                     int64_t now_ns);
	/* The reporter's input_fd is readable (a key pressed on the terminal): it reads it.
	 * Returns 0, or -1 to stop watching it (EOF, an error). */
	int (*input)(void *ctx, struct attempt *const *slots, unsigned nslots, int64_t now_ns);
	void (*free)(void *ctx);
};

struct reporter {
	const struct reporter_ops *ops;
	void *ctx;
	int64_t tick_ns; /* 0: no ticks wanted */
	int input_fd;    /* -1 (as reporters_add() sets it): nothing to watch */
};

struct reporters {
	struct reporter *v;
	size_t n;
};

/* Add a reporter; returns it so that the caller can set tick_ns and input_fd. The pointer is
 * good until the next reporters_add(). */
struct reporter *reporters_add(struct reporters *r, const struct reporter_ops *ops, void *ctx);
/* The smallest tick interval any reporter wants, 0 if none. */
int64_t reporters_tick_ns(const struct reporters *r);
/* The fd the event loop should also poll (one at most: a terminal's stdin), -1 if none. */
int reporters_input_fd(const struct reporters *r);
/* It is readable: hand it to the reporter that asked for it. */
void report_input(struct reporters *r, struct attempt *const *slots, unsigned nslots, int64_t now);
void report_tick(struct reporters *r, struct attempt *const *slots, unsigned nslots, int64_t now);
void report_show_running(struct reporters *r, struct attempt *const *slots, unsigned nslots,
                         int64_t now);
void report_run_start(struct reporters *r, const struct run_info *ri);
void report_test_start(struct reporters *r, const struct attempt *a);
void report_test_end(struct reporters *r, const struct attempt *a);
void report_run_end(struct reporters *r, const struct run_summary *rs);
void report_test_slow(struct reporters *r, const struct attempt *a, int64_t now);
void reporters_release(struct reporters *r);

/*
 * Reporter options from the command line (--junit FILE and the like), and the function that
 * turns them into reporters (report-setup.c). "-" means standard output where it makes sense.
 */
struct report_opts {
	const char *junit, *tap, *json, *trace, *html;
	bool verbose;
	unsigned jobs;
	/* Run options echoed into the JSON report's run_start; only when run_opts_set. */
	bool run_opts_set;
	enum keep_mode keep;
	unsigned retries;
	/* Hunting and flakes, echoed into the JSON report's run_start options when set. */
	unsigned repeat;
	bool until_fail;
	int64_t stress_ns;
	bool flaky_fails;
	/* --partition, echoed into the JSON report's run_start (options.partition) for isola
	 * merge: which shard, of how many tests selected before the split, and a digest of their
	 * names (partition_digest()), the same in every shard of one suite. */
	struct {
		const char *strategy; /* NULL: not partitioned */
		unsigned index, count;
		size_t selected;
		char digest[17];
	} partition;
	/* --order when not the default ("name", "longest", "shuffle"), and the shuffle's seed
	 * (decimal), echoed into the JSON report's run_start options; NULL if none. */
	const char *order;
	char seed[24];
	/* The human reporter prints only the tests that did not pass (isola merge). */
	bool only_failures;
	/* A finished run written at once (isola merge): nobody follows the files line by line. */
	bool batch;
	/* The terminal is the test's (isola repro --shell): no key is read from it. */
	bool no_input;
};
/*
 * Add the human reporter and every file reporter asked for. Every file is created here, before
 * any test runs, as an invisible temporary beside its target that replaces the target only when
 * the run ends (report-out.h). Returns 0, or -1 with *e naming the file (nothing is left
 * behind; the reporters added so far are still r's to release), or -2 with *e when a format's
 * plugin cannot be loaded (isola is not installed completely: not the user's input).
 */
int reporters_setup(struct reporters *r, const struct report_opts *o, struct isola_error *e);
/* How many problems the file reporters met (each already told to the user). */
size_t reporters_problems(const struct reporters *r);

/*
 * Problems the file reporters met after setup (a full disk at the end of the run): they cannot
 * print, so they leave one line each here, and the human reporter prints them before its
 * summary. Shared by the reporters of one run; owned by the setup.
 */
struct report_problems {
	struct strv lines;
};

/* The human reporter: one line per finished test, failure tails, the summary; a status line on a
 * terminal; -v with one job streams the test's output. Goes through one line printer. */
struct human_opts {
	FILE *out;
	bool verbose;
	unsigned jobs;                    /* -v streams output live only when this is 1 */
	unsigned tail_lines;              /* of a failure's output; 0: 10 */
	int key_fd;                       /* a terminal to read keys ('t') from, -1: none */
	bool only_failures;               /* a line for a test that did not pass only */
	bool hunting;                     /* --repeat/--stress/--until-fail: a line per attempt
	                                   * that did not pass (all of them with verbose) */
	struct report_problems *problems; /* borrowed; NULL: none */
};
void *report_human_new(const struct human_opts *o);
extern const struct reporter_ops report_human_ops;
/* Interval of the human reporter's ticks (status line, live output); 0 if it wants none. */
int64_t report_human_tick_ns(void *ctx);

/* The file reporters (report-<format>.c). Each takes ownership of out (report-out.h). JSON,
 * trace and JUnit are built into plugins (report-plugin.h), TAP and HTML into isola. */
struct report_out;
void *report_junit_new(struct report_out *out, struct report_problems *p);
void *report_tap_new(struct report_out *out, struct report_problems *p);
void *report_json_new(struct report_out *out, struct report_problems *p,
                      const struct report_opts *o);
void *report_trace_new(struct report_out *out, struct report_problems *p);
void *report_html_new(struct report_out *out, struct report_problems *p);
extern const struct reporter_ops report_junit_ops, report_tap_ops, report_json_ops,
    report_trace_ops, report_html_ops;

#endif

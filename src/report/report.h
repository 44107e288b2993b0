/* SPDX-License-Identifier: MIT */
/*
 * Reporters: a table of event callbacks each. The scheduler calls every registered reporter at
 * each event; a reporter only reads what it is handed. One file per format.
 */
#ifndef ISOLA_REPORT_H
#define ISOLA_REPORT_H

#include <stdio.h>

#include "sched/attempt.h"

struct reporter_ops {
	const char *name;
	void (*run_start)(void *ctx, const struct run_info *ri);
	void (*test_start)(void *ctx, const struct attempt *a);
	void (*test_end)(void *ctx, const struct attempt *a);
	void (*run_end)(void *ctx, const struct run_summary *rs);
	/* Called about every tick_ns while tests run (for status lines, live output). slots has
	 * nslots entries, NULL for a free slot. */
	void (*tick)(void *ctx, struct attempt *const *slots, unsigned nslots, int64_t now_ns);
	/* Asked for (SIGUSR1): show the running tests, with durations and sandbox paths. */
	void (*show_running)(void *ctx, struct attempt *const *slots, unsigned nslots,
			     int64_t now_ns);
	void (*free)(void *ctx);
};

struct reporter {
	const struct reporter_ops *ops;
	void *ctx;
	int64_t tick_ns; /* 0: no ticks wanted */
};

struct reporters {
	struct reporter *v;
	size_t n;
};

void reporters_add(struct reporters *r, const struct reporter_ops *ops, void *ctx);
/* The smallest tick interval any reporter wants, 0 if none. */
int64_t reporters_tick_ns(const struct reporters *r);
void report_tick(struct reporters *r, struct attempt *const *slots, unsigned nslots, int64_t now);
void report_show_running(struct reporters *r, struct attempt *const *slots, unsigned nslots,
			 int64_t now);
void report_run_start(struct reporters *r, const struct run_info *ri);
void report_test_start(struct reporters *r, const struct attempt *a);
void report_test_end(struct reporters *r, const struct attempt *a);
void report_run_end(struct reporters *r, const struct run_summary *rs);
void reporters_release(struct reporters *r);

/*
 * Reporter options from the command line (--junit FILE and the like), and the function that
 * turns them into reporters (report-setup.c). "-" means standard output where it makes sense.
 */
struct report_opts {
	const char *junit, *tap, *json, *trace, *html;
	bool verbose;
	unsigned jobs;
};
/* Add the human reporter and every file reporter asked for. Returns 0, or -1 with *e (e.g. a
 * file that cannot be created: nothing is left half-written). */
int reporters_setup(struct reporters *r, const struct report_opts *o, struct isola_error *e);

/* The human reporter: one line per finished test, failure tails, the summary. */
struct human_opts {
	FILE *out;
	bool verbose;
	unsigned tail_lines;
};
void *report_human_new(const struct human_opts *o);
extern const struct reporter_ops report_human_ops;

#endif

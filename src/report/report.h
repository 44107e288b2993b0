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
	void (*free)(void *ctx);
};

struct reporter {
	const struct reporter_ops *ops;
	void *ctx;
};

struct reporters {
	struct reporter *v;
	size_t n;
};

void reporters_add(struct reporters *r, const struct reporter_ops *ops, void *ctx);
void report_run_start(struct reporters *r, const struct run_info *ri);
void report_test_start(struct reporters *r, const struct attempt *a);
void report_test_end(struct reporters *r, const struct attempt *a);
void report_run_end(struct reporters *r, const struct run_summary *rs);
void reporters_release(struct reporters *r);

/* The human reporter: one line per finished test, failure tails, the summary. */
struct human_opts {
	FILE *out;
	bool verbose;
	unsigned tail_lines;
};
void *report_human_new(const struct human_opts *o);
extern const struct reporter_ops report_human_ops;

#endif

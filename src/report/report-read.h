/* SPDX-License-Identifier: MIT */
/*
 * Reading isola's own JSON Lines report back (doc/reports.md), for isola merge. The reader lives
 * in report-json.so with the writer (jansson); isola gets it through the plugin
 * (report-plugin.h) and sees only these plain structs. Every string is valid during the
 * callback only; absent or null fields are NULL, or -1 for numbers that may be unknown.
 */
#ifndef ISOLA_REPORT_READ_H
#define ISOLA_REPORT_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "sched/attempt.h"
#include "util/util.h"

struct read_run_start {
	const char *isola_version, *run_id, *time, *source_dir;
	size_t tests;
	unsigned jobs;
	/* options.partition; strategy NULL if the run was not partitioned */
	const char *part_strategy, *part_digest;
	unsigned part_index, part_count;
	size_t part_selected;
	bool flaky_fails; /* options.flaky_result is "fail" */
};

struct read_test_end {
	const char *test;
	unsigned attempt, seq, slot;
	unsigned run; /* 1 if the report has none (older isola) */
	const char *outcome; /* "PASS", ... as written */
	const char *reason;
	bool exited;
	int exit_code;
	const char *signal; /* "SIGKILL", or NULL */
	bool timed_out, interrupted, kept;
	unsigned leaked;
	double t, duration, staging_duration, cleanup_duration; /* seconds */
	const char *strategy, *strategy_reason, *owner, *owner_reason;
	double cpu;            /* seconds; -1: unknown */
	long long max_rss_kib; /* -1: unknown */
	const char *sandbox, *log;
	const char *output_tail; /* what a failed attempt wrote last, or NULL */
	size_t output_tail_len;  /* its bytes (it may hold NUL) */
	const struct subresults *subs; /* its subtests (protocol.h); NULL if it had none */
	const struct writes *wrote;    /* its shared-write report; NULL if it wrote nothing */
	int isolated;                      /* the --isolate kinds it got (ISO_* bits); 0 if none
					    * or the report does not say */
	const char *not_isolated;          /* with --isolate all: what it did not get, and why */
	const struct tree_views *trees;    /* what each tree and share became; NULL if none */
	int fence_abi;                     /* 0: not fenced (or an older report) */
	const struct strv *fence_refused;  /* with fence_abi: the paths named; else NULL */
};

struct read_run_end {
	double duration;
	const char *interrupted_by; /* "SIGINT", or NULL */
};

/* A callback left NULL is not called (its events are still checked). */
struct report_read_ops {
	void (*run_start)(void *ctx, const struct read_run_start *rs);
	void (*test_end)(void *ctx, const struct read_test_end *te);
	void (*run_end)(void *ctx, const struct read_run_end *re);
};

/*
 * Read the report at path, calling ops for its events in order (test_start lines are skipped).
 * Returns 0; 1 if the file stops before its run_end (a shard killed while it ran: a last line
 * cut short is dropped then); -1 with *e naming the file and line when it is not an isola JSON
 * report of a schema this isola reads.
 */
typedef int report_read_fn(const char *path, const struct report_read_ops *ops, void *ctx,
                           struct isola_error *e);

/* Defined in report-json.so. */
report_read_fn report_json_read;

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the end-of-run reporters (JUnit, trace, HTML) keep of each attempt: struct attempt is
 * freed right after test_end, so they copy what they need here. Also: reading a log's tail.
 */
#ifndef ISOLA_REPORT_RECORD_H
#define ISOLA_REPORT_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sched/attempt.h"

struct report_rec {
	char *name;
	unsigned seq, number, slot, run;
	enum outcome outcome;
	bool retried;        /* another attempt of its run followed */
	enum outcome result; /* the run's result, when not retried */
	bool exited;
	int exit_code;
	int signal;
	bool timed_out, interrupted;
	unsigned leaked;
	char *reason;       /* NULL: none */
	char *strategy;     /* NULL: not staged */
	char *sandbox_path; /* NULL: none was made */
	char *log_path;     /* NULL: none was made */
	bool kept;
	int64_t start_ns, exec_ns, end_ns, done_ns, start_wall_ns;
	int64_t timeout_ns; /* 0: none */
	off_t out_size;     /* bytes the test wrote (its log's size) */
	struct subresults subs; /* a copy of the attempt's */
	struct writes wrote;    /* a copy of the attempt's */
	bool isolation;         /* attempt_isolation_known(): the three below say what it got */
	int isolated;           /* ISO_* bits */
	char *isolate_reason;   /* NULL: none */
	char *trees;            /* what each tree and share became, for people; NULL: none */
	int fence_abi;          /* 0: not fenced */
	/* The reporter's own: where its copy of the output tail is, or the tail itself. */
	char *tail;
	size_t tail_len;
	off_t spool_off;
};

struct report_recs {
	struct report_rec *v;
	size_t n, cap;
};

/* Append a copy of a's fields (out_size from its log). Returns the new record. */
struct report_rec *report_recs_add(struct report_recs *rs, const struct attempt *a);
void report_recs_release(struct report_recs *rs);

/*
 * The last max bytes of the file at path, moved forward to start on a character (past UTF-8
 * continuation bytes). *buf (caller frees; NUL-terminated, may contain NULs) gets *len bytes;
 * *size the file's size. Returns 0, or -1 if it cannot be read (*buf is then "", *len 0).
 */
int report_log_tail(const char *path, size_t max, char **buf, size_t *len, off_t *size);
/* The size of the file at path, 0 if there is none. */
off_t report_log_size(const char *path);
/* Where the last `lines` lines of buf start (a final newline does not start a line). */
size_t report_tail_lines(const char *buf, size_t len, unsigned lines);

/*
 * The 95% Wilson score interval of a failure rate of k in n: *lo and *hi in [0, 1]. n > 0.
 * (It stays inside [0, 1] and is not zero-wide at 0 or n failures, where the normal
 * approximation is.)
 */
void wilson_interval(unsigned k, unsigned n, double *lo, double *hi);

/* Is the flake table worth showing: a hunting run (--repeat, --stress, --until-fail), or one
 * where a test failed and was retried? (In a plain run it would only repeat the failures.) */
bool flake_table_wanted(const struct run_summary *rs);

/* Seconds, from nanoseconds. */
static inline double ns_to_s(int64_t ns)
{
	return (double)ns / 1e9;
}

#endif

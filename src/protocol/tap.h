/* SPDX-License-Identifier: MIT */
/*
 * A TAP reader (versions 12, 13 and 14; testanything.org), fed the bytes of a test's output in
 * any pieces. Only what decides a test is read:
 *
 *   - test points, "ok" or "not ok" at the start of a line, then an optional number, an optional
 *     "-", the description up to an unescaped '#' after a blank (TAP 14's "\#" and "\\" escapes),
 *     and a directive: SKIP or TODO (any case, and SKIPPED, TODO: and the like, as prove reads
 *     them) with its reason;
 *   - the plan "1..N", first or last ("1..0 # SKIP why": the whole test is skipped);
 *   - "Bail out!" (nothing after it is read);
 *   - after a test point that failed, the "#" comment lines and the indented YAML block that
 *     follow it are its message.
 *
 * Every other line is not TAP and is ignored, indented lines included: a TAP 14 subtest (indented
 * four spaces) is summed up by the test point that closes it, which is read. Lines longer than
 * TAP_LINE_MAX are read by their start.
 *
 * There is no C TAP parser library in Debian 12 (libtap and the like produce TAP; TAP::Parser is
 * Perl's, tap-parser node's): this is a small one of isola's own.
 */
#ifndef ISOLA_TAP_H
#define ISOLA_TAP_H

#include <stdbool.h>
#include <stddef.h>

#include "sched/attempt.h"

#define TAP_LINE_MAX (64 * 1024)

struct tap {
	struct subresults *subs; /* borrowed: where the test points go */
	long long planned;       /* the plan's N; -1: no plan (yet) */
	bool plan_late;          /* the plan came after test points */
	bool skip_all;           /* 1..0: the whole test skipped */
	char *skip_reason;       /* 1..0 # SKIP's reason; NULL */
	unsigned long long ran;  /* test points read */
	bool bailed;
	char *bail;              /* "Bail out! why" */
	char *problem;           /* the first way the stream breaks TAP's rules; NULL */
	long diag_to;            /* kept sub-result that takes the diagnostics that follow; -1 */
	bool in_yaml;            /* inside its YAML block */
	char *line;              /* the line being put together (TAP_LINE_MAX) */
	size_t len;
	bool cut;                /* the line being put together was too long */
};

void tap_init(struct tap *t, struct subresults *subs);
/* The next len bytes of the stream. */
void tap_feed(struct tap *t, const char *buf, size_t len);
/* The stream ended (a last line without a newline is read now). */
void tap_finish(struct tap *t);
/*
 * What is wrong with the stream as a whole, for people (a new string), or NULL if nothing:
 * "Bail out! why", "planned 3 tests, ran 2", "no TAP plan", or its first problem ("test 5 out
 * of sequence (expected 3)", "a second plan", "test points after the plan at the end").
 */
char *tap_verdict(const struct tap *t);
void tap_release(struct tap *t);

#endif

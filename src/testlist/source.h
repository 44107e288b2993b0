/* SPDX-License-Identifier: MIT */
/*
 * Test sources: suites as they are. A source is declared once (a [suite] key of the config, or
 * the option of the same name) and expands, before anything starts, into named tests, each with
 * the argv that runs it alone:
 *
 *   gtest = BIN|GLOB       BIN --gtest_list_tests; a case runs as BIN --gtest_filter=Suite.Case
 *   catch2 = BIN|GLOB      BIN --list-test-names-only (v2), else --list-tests (v3); BIN "case"
 *   criterion = BIN|GLOB   BIN --list; BIN --filter=suite/test
 *   lines = CMD            each non-empty line CMD prints is a test: its first word, or the
 *   argv = TEMPLATE        first group of pattern = REGEX; it runs as TEMPLATE with {} replaced
 *   pattern = REGEX        by the name (argv defaults to CMD's program and the name)
 *   from-file = FILE       each non-empty line not starting with # is a test's command
 *
 * A discovered test is named PROGRAM::CASE (PROGRAM the binary's file name), so -k '*Math.*'
 * selects by case; a from-file test by its command line. Disabled gtest cases (DISABLED_) and
 * hidden Catch2 ones ([.]) and Criterion ones (.disabled) are left out. Commands run no shell.
 */
#ifndef ISOLA_SOURCE_H
#define ISOLA_SOURCE_H

#include <stdbool.h>

#include "util/util.h"

enum source_kind { SRC_GTEST, SRC_CATCH2, SRC_CRITERION, SRC_LINES, SRC_FILE };

struct source {
	enum source_kind kind;
	char *spec;     /* the binary or glob, the command, or the file, as given */
	char *argv;     /* lines: the template; NULL: the command's program and {} */
	char *pattern;  /* lines: a POSIX extended regex whose first group is the name; NULL */
	char *base_dir; /* what a relative path in spec is relative to */
	char *origin;   /* where it was declared, for errors: "isola.ini:3", "--gtest" */
};

struct sources {
	struct source *v;
	size_t n;
};

/* "gtest", "catch2", "criterion", "lines", "from-file": the key or option name of a kind.
 * Returns 0, or -1 if key is none of them. */
int source_kind_parse(const char *key, enum source_kind *out);
const char *source_kind_name(enum source_kind k);

/* Append a source (copies of the strings). */
struct source *sources_add(struct sources *ss, enum source_kind kind, const char *spec,
                           const char *base_dir, const char *origin);
/*
 * argv = / pattern = (key "argv" or "pattern"): for the last source, which must be a lines
 * source. The pattern is compiled here to check it. Returns 0, or -1 with *e.
 */
int sources_set(struct sources *ss, const char *key, const char *value, struct isola_error *e);
void sources_release(struct sources *ss);

/* One discovered test: the callback's to copy what it keeps. */
struct found_test {
	const char *name;
	const char *path;  /* absolute program */
	char *const *argv; /* argv[0] and the arguments; NULL-terminated */
	const char *from;  /* "gtest ./unit" and where it was declared */
	const char *lock;  /* a lock the test holds (lock = NAME), or NULL */
};

/*
 * The lock every Criterion case holds: Criterion 2.4 serves its runner on
 * ipc:///tmp/criterion_PID.sock, and in isola's pid namespaces every test is the same pid, so two
 * cases at once would take the same socket. Other tests still run beside them.
 */
#define CRITERION_LOCK "criterion-ipc"
typedef int found_fn(void *ctx, const struct found_test *ft, struct isola_error *e);

/*
 * Discover the tests of s, calling found for each in the order the source gives them. Listing a
 * binary runs it (with a deadline of SOURCE_LIST_TIMEOUT seconds): no shell, the environment
 * isola has, in the directory isola runs in. Returns 0, or -1 with *e: one line naming the
 * source and what to do (not a gtest binary, a command that failed or listed nothing...).
 */
int source_expand(const struct source *s, found_fn *found, void *ctx, struct isola_error *e);

#define SOURCE_LIST_TIMEOUT 60

#endif

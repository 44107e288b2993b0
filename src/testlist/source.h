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
 *   ctest = BUILDDIR       ctest --test-dir BUILDDIR --show-only=json-v1: each test with its
 *                          command, directory, environment, timeout and properties
 *   meson = BUILDDIR       meson introspect --tests BUILDDIR: likewise
 *   disabled = skip        after gtest or criterion: disabled cases are SKIP, not left out
 *   gtest-shards = N       after gtest: N tests, each running the binary whole as one shard of N
 *                          (GTEST_SHARD_INDEX, GTEST_TOTAL_SHARDS), its cases as sub-results
 *
 * A discovered test is named PROGRAM::CASE (PROGRAM the binary's file name), so -k '*Math.*'
 * selects by case; a from-file test by its command line. Disabled gtest cases (DISABLED_) and
 * hidden Catch2 ones ([.]) and Criterion ones (.disabled) are left out. Commands run no shell.
 */
#ifndef ISOLA_SOURCE_H
#define ISOLA_SOURCE_H

#include <stdbool.h>

#include "util/util.h"

struct settings;

enum source_kind { SRC_GTEST, SRC_CATCH2, SRC_CRITERION, SRC_LINES, SRC_FILE, SRC_CTEST, SRC_MESON };

struct source {
	enum source_kind kind;
	char *spec;     /* the binary or glob, the command, or the file, as given */
	char *argv;     /* lines: the template; NULL: the command's program and {} */
	char *pattern;  /* lines: a POSIX extended regex whose first group is the name; NULL */
	bool disabled_skip; /* gtest, criterion: disabled cases are SKIP (never run), not left out */
	unsigned shards;    /* gtest: 0, or run the binary whole this many times, sharded */
	char *base_dir; /* what a relative path in spec is relative to */
	char *origin;   /* where it was declared, for errors: "isola.ini:3", "--gtest" */
};

struct sources {
	struct source *v;
	size_t n;
};

/* "gtest", "catch2", "criterion", "lines", "from-file", "ctest", "meson": the key or option
 * name of a kind.
 * Returns 0, or -1 if key is none of them. */
int source_kind_parse(const char *key, enum source_kind *out);
const char *source_kind_name(enum source_kind k);

/* Append a source (copies of the strings). */
struct source *sources_add(struct sources *ss, enum source_kind kind, const char *spec,
                           const char *base_dir, const char *origin);
/*
 * argv = / pattern = (key "argv" or "pattern"): for the last source, which must be a lines
 * source. The pattern is compiled here to check it. disabled = skip|omit: for the last gtest or
 * criterion source; gtest-shards = N: for the last gtest source. Returns 0, or -1 with *e.
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
	/* What an imported test brings (ctest, meson): its settings, between the suite's and a
	 * [test NAME] section's; NULL if none. */
	const struct settings *s;
	const char *skip;  /* it is reported SKIP with this reason, never run (DISABLED); NULL */
	const char *notes; /* what of its definition isola does not honour, for list -v; NULL */
	const char *error; /* it cannot run: an ERROR with this reason, never started; NULL */
};

/*
 * The lock every Criterion case holds: Criterion 2.4 serves its runner on
 * ipc:///tmp/criterion_PID.sock, and in isola's pid namespaces every test is the same pid, so two
 * cases at once would take the same socket. Other tests still run beside them.
 */
#define CRITERION_LOCK "criterion-ipc"
typedef int found_fn(void *ctx, const struct found_test *ft, struct isola_error *e);

/*
 * Read what `ctest --show-only=json-v1` (s->kind SRC_CTEST) or `meson introspect --tests`
 * (SRC_MESON) printed, json (len bytes), for s, whose spec is the build directory (absolute in
 * dir), and call found for each test. JSON is read with jansson, in the JSON plugin
 * (report-plugin.h: the core does not link it). Returns 0, or -1 with *e.
 */
typedef int import_fn(const struct source *s, const char *dir, const char *json, size_t len,
                      found_fn *found, void *ctx, struct isola_error *e);
/* The importer of the JSON plugin (in the isola command; report-plugin.c). */
import_fn source_import_plugin;
/* The importer itself (import-json.c, linked into the JSON plugin only). */
import_fn source_import_json;

/*
 * Discover the tests of s, calling found for each in the order the source gives them. Listing a
 * binary runs it (with a deadline of SOURCE_LIST_TIMEOUT seconds): no shell, the environment
 * isola has, in the directory isola runs in. Returns 0, or -1 with *e: one line naming the
 * source and what to do (not a gtest binary, a command that failed or listed nothing...).
 */
int source_expand(const struct source *s, import_fn *import, found_fn *found, void *ctx,
                  struct isola_error *e);

/*
 * Read what the binary path, of s's kind (gtest, catch2, criterion), or CMD's program (lines; an
 * executable file), printed when listed: out, which this cuts into lines. major is the Catch2
 * version --libidentify gave. Calls found for each test, as source_expand does once it has run
 * the program (the fuzzer calls it alone: it must not run programs). Returns 0, or -1 with *e.
 */
int source_read_listing(const struct source *s, const char *path, int major, char *out,
                        found_fn *found, void *ctx, struct isola_error *e);

#define SOURCE_LIST_TIMEOUT 60

#endif

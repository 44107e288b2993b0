/* SPDX-License-Identifier: MIT */
/*
 * The test list: what will run, after globs, config sections and filters, each test with its
 * final settings (suite < [test NAME] < command line).
 */
#ifndef ISOLA_TESTLIST_H
#define ISOLA_TESTLIST_H

#include "config/config.h"
#include "config/settings.h"
#include "testlist/source.h"
#include "util/util.h"

struct test {
	char *name;        /* its path as given, or its [test NAME] */
	char *path;        /* absolute program to execute */
	struct strv argv;  /* argv[0] as the program sees it, then its arguments; empty for a
			    * plain program (argv is its path alone: see test_argv()) */
	struct settings s; /* final, defaults filled in */
	/* A [setup] it requires failed: it does not run, and is an ERROR with this reason and
	 * the setup's log (sched/fixture.h); NULL if not. */
	char *blocked;
	char *blocked_log;
	/* The sandboxes of the [setup]s it requires (what they export may name files there, a
	 * socket): a private /tmp binds them back (spawn/isolate.h). */
	struct strv setup_dirs;
	char *from; /* the source it was discovered by ("gtest ./unit (isola.ini:3)"); NULL */
	char *skip;  /* reported SKIP with this reason and never run (CTest's DISABLED); NULL */
	char *notes; /* what of an imported definition isola does not honour; NULL if nothing */
	struct settings found; /* an imported test's own settings (merged into s, then empty) */
};

struct testlist {
	struct test *v;
	size_t n, cap;
	size_t *index;   /* open-addressing hash of names: test number + 1, 0 for empty */
	size_t index_cap; /* a power of two, at least twice n */
};

struct testlist_opts {
	const struct config *cfg;  /* NULL: no config file */
	char *const *args;         /* TEST arguments from the command line */
	size_t nargs;
	const struct settings *cli;
	const struct strv *filters;  /* -k GLOB: keep names matching any */
	const struct strv *excludes; /* --exclude GLOB: drop names matching any */
	const struct strv *with_labels;    /* -L GLOB: keep tests with a label matching any */
	const struct strv *without_labels; /* --without-label GLOB: drop those with one */
	const char *source_dir;      /* where isola was started (absolute) */
	const struct sources *sources; /* --gtest and the like; with args, they replace the config's
	                                * tests and sources */
	import_fn *import;             /* reads ctest and meson listings; NULL: none can be */
	bool no_sources;               /* leave the config's sources out (isola merge: their
	                                * listings would run binaries on the collecting machine) */
};

int testlist_build(struct testlist *tl, const struct testlist_opts *o, struct isola_error *e);
void testlist_release(struct testlist *tl);
/* Free what t holds (a test dropped from a list). */
void test_release(struct test *t);

/* The argv to start t with: t->argv, or {t->path, NULL} held in two[] (kept apart so that a
 * suite of many plain programs does not hold a second copy of every path). */
char *const *test_argv(const struct test *t, char *two[2]);

/* A command's program: PROG relative to dir if it has a '/', else found in $PATH. Returns a new
 * absolute path, or NULL if that is no executable file. */
char *program_path(const char *dir, const char *prog);

/* dir as a glob pattern that matches only itself (a new string). */
char *glob_quote(const char *dir);

/* Find PROGRAM in $PATH; returns a new absolute path or NULL. */
char *find_in_path(const char *prog);

#endif

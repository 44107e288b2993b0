/* SPDX-License-Identifier: MIT */
/*
 * The config file: an INI file read with libinih.
 *
 *   [suite]                  suite-wide: jobs, keep, root, retries, tests (globs); and defaults
 *   copy = fixtures          for every per-test setting (see settings.h)
 *   [test NAME]              one test: command = PROGRAM ARGS..., and per-test settings
 *   [lock NAME]              a lock's capacity: max = N tests holding it at once (default 1)
 *   [setup NAME]             a fixture: command = ..., teardown = ..., and per-test settings;
 *                            tests (and other setups) name it with requires = NAME
 *
 * Relative paths are relative to the file's directory. Errors are "FILE:LINE: message".
 */
#ifndef ISOLA_CONFIG_H
#define ISOLA_CONFIG_H

#include <stdbool.h>

#include "config/settings.h"
#include "testlist/source.h"
#include "util/util.h"

struct test_decl {
	char *name;
	struct strv argv;    /* empty: the program is NAME, relative to the config directory */
	int line;            /* where its command (else its section) was given */
	struct settings s;
};

struct lock_decl {
	char *name;
	unsigned max; /* tests that may hold it at once */
	int line;
};

struct setup_decl {
	char *name;
	struct strv argv;     /* command = ...; empty: none given (an error) */
	struct strv teardown; /* teardown = ...; may be empty */
	struct settings s;    /* its own sandbox's settings; s.requires: setups it needs first */
	int line;             /* its section's */
};

struct config {
	char *path;            /* as given */
	char *dir;             /* absolute directory of the file */
	struct settings suite; /* [suite] defaults */
	struct strv tests;     /* absolute glob patterns */
	struct test_decl *decls;
	size_t ndecls;
	void *decl_index; /* decls by name (tsearch): see config_decl() */
	unsigned jobs;    /* 0: not given */
	int keep;         /* -1: not given, else enum keep_mode */
	char *root;       /* NULL: not given */
	int retries;      /* -1: not given */
	int flaky_result; /* -1: not given, 0 pass, 1 fail */
	int shared_writes; /* -1: not given, 0 report, 1 fail */
	int64_t slow_ns;  /* -1: not given */
	char *timings;    /* timings = FILE (absolute) or "off"; NULL: not given */
	struct lock_decl *locks;
	size_t nlocks;
	struct setup_decl *setups;
	size_t nsetups;
	struct sources sources; /* gtest = ..., lines = ... (testlist/source.h) */
};
#define CONFIG_INIT {.suite = SETTINGS_INIT, .keep = -1, .retries = -1, .flaky_result = -1, .slow_ns = -1, \
                     .shared_writes = -1}

/* The [setup NAME] of that name, or NULL. */
const struct setup_decl *config_setup(const struct config *c, const char *name);

/* Load path into c. Returns 0, or -1 with e->message "FILE:LINE: ...". */
int config_load(struct config *c, const char *path, struct isola_error *e);
void config_release(struct config *c);
/* The [test NAME] section of that name, or NULL. O(log n): suites have thousands. */
const struct test_decl *config_decl(const struct config *c, const char *name);

/*
 * Split a command line into words: blanks separate words, '...' and "..." quote, a backslash
 * escapes the next character. No expansion of any kind. Returns 0 or -1 (unterminated quote).
 */
int split_command(const char *line, struct strv *out);

#endif

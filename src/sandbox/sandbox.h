/* SPDX-License-Identifier: MIT */
/*
 * Run directories and sandboxes.
 *
 * A run owns one directory under the sandbox root, `ROOT/isola-XXXXXX` (mkdtemp, 0700). It holds a
 * flock on that directory for its whole life and, once it holds it, creates the marker file `lock`
 * inside, which says "isola-run 1" and the run's id. A directory with `lock` whose flock is free
 * belongs to a run that died: any later run removes it. A run that ends keeping sandboxes renames
 * `lock` to `done`; `isola clean` removes those too. Only what isola can prove it made is ever
 * removed: a name mkdtemp could have given, the user's own, mode 0700, and a marker of isola's
 * that names that directory's run; and it is removed through the fd that holds its lock, so a
 * name swapped meanwhile is never what goes. Each test attempt gets `RUNDIR/N-XXXXXX` (mkdtemp, 0700) with `tmp/` and `home/`, and
 * its log beside it as `RUNDIR/N-XXXXXX.log`.
 */
#ifndef ISOLA_SANDBOX_H
#define ISOLA_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/util.h"

struct rundir {
	char *root;   /* absolute sandbox root */
	char *path;   /* ROOT/isola-XXXXXX */
	char id[32];  /* run identity: mkdtemp suffix + random, unique across runs and hosts' reuse */
	int fd;       /* O_DIRECTORY fd of path, holds the flock; -1 when not open */
	unsigned kept; /* sandboxes left in place on purpose */
};
#define RUNDIR_INIT {.fd = -1}

/* Pick the sandbox root: explicit, else $ISOLA_ROOT, else $TMPDIR, else /tmp. Returns a static
 * or environment string, never NULL. */
const char *rundir_default_root(const char *explicit_root);

/* Create and lock a run directory under root. On failure nothing is left behind. */
int rundir_create(struct rundir *rd, const char *root, struct isola_error *e);
/* End the run: remove the directory if nothing was kept, else mark it done. Releases rd. */
int rundir_finish(struct rundir *rd, struct isola_error *e);
/* Free memory and close the fd (dropping the lock) without touching the disk. */
void rundir_release(struct rundir *rd);

/*
 * Remove run directories under root that belong to the caller and whose run is dead; with
 * `finished` also those of runs that ended and kept sandboxes. Never touches a live run.
 * Counts removed directories in *removed. Returns 0, or -1 with the first error.
 */
int rundir_clean(const char *root, bool finished, unsigned *removed, struct isola_error *e);

/* What the sandbox holds for Bazel's test contract (spawn/contract.h): the directory of
 * TEST_UNDECLARED_OUTPUTS_DIR (made with tmp/ and home/), and the files of
 * TEST_PREMATURE_EXIT_FILE and TEST_WARNINGS_OUTPUT_FILE (made by the test, if at all). */
#define SANDBOX_OUTPUTS       "outputs"
#define SANDBOX_PREMATURE     "premature-exit"
#define SANDBOX_WARNINGS      "warnings"

struct sandbox {
	char *path;  /* absolute path, owned */
	char *name;  /* last component, owned */
	int fd;      /* O_DIRECTORY fd, -1 when closed */
};
#define SANDBOX_INIT {.fd = -1}

/* Make RUNDIR/<seq>-XXXXXX with tmp/ and home/. On failure nothing is left. */
int sandbox_create(struct sandbox *sb, struct rundir *rd, unsigned seq, struct isola_error *e);
/* Remove the sandbox tree from disk (its log is the caller's), then release it. */
int sandbox_remove(struct sandbox *sb, struct rundir *rd, struct isola_error *e);
/* sandbox_remove(), but give up after removing `budget` entries and return 1 if there is more
 * (sb is then untouched, for another call to finish). */
int sandbox_remove_some(struct sandbox *sb, struct rundir *rd, long budget, struct isola_error *e);
/* Keep it on disk (counted in rd->kept), release memory. */
void sandbox_keep(struct sandbox *sb, struct rundir *rd);
void sandbox_release(struct sandbox *sb);

#endif

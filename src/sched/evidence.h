/* SPDX-License-Identifier: MIT */
/*
 * Evidence: what a kept sandbox says of the attempt that ran in it, so that `isola repro` can
 * stage a fresh sandbox the same way and run the test again.
 *
 * After a kept attempt ended, isola makes `SANDBOX/isola-evidence/` (0700; the name is isola's:
 * what the test left under it is removed first, never followed) holding `evidence` (the record below, 0600) and `log` (a hard link to the
 * attempt's log, RUNDIR/N-XXXXXX.log). The record is text any byte can go through:
 *
 *     isola-evidence 1\n                    the format's version (EVIDENCE_FORMAT)
 *     KEY SP LENGTH \n VALUE \n             repeated: KEY is [a-z0-9-]+, LENGTH decimal bytes
 *
 * Length-prefixed values need no escaping (an argument or a variable may hold newlines, tabs,
 * any byte but NUL), are read back exactly, and are still readable by people. A list (argv, env,
 * copy...) is its key repeated, in order; a resource's fields are NUL-separated inside one value.
 */
#ifndef ISOLA_EVIDENCE_H
#define ISOLA_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/settings.h"
#include "util/util.h"

/* Bumped when a key changes meaning or a reader of the old format would misread the new. */
#define EVIDENCE_FORMAT 1
#define EVIDENCE_DIR    "isola-evidence"
#define EVIDENCE_FILE   "evidence"
#define EVIDENCE_LOG    "log"

struct evidence {
	char *isola_version;
	char *run_id;
	char *test;          /* its name */
	char *sandbox;       /* where it ran (absolute) */
	char *source_dir;    /* ISOLA_SOURCE_DIR: where isola was started */
	char *path;          /* the program executed */
	struct strv argv;    /* exactly as it was started (argv[0] first) */
	struct strv test_argv; /* the test's own argv (struct test), before isola added to it (a
				* gtest's --gtest_output=...); empty for a plain program */
	struct strv env;     /* exactly the envp it got */
	struct strv env_base; /* NAME=VALUE: what its env = settings replaced, as isola's own
			       * environment had it (they are expanded again by a repro) */
	char *cwd;           /* its working directory (absolute) */
	unsigned seq, attempt, iteration, slot;
	int64_t start_wall_ns, end_wall_ns;
	/* Its settings (settings.h), final: resources, env/unset as written, timeout, isolation. */
	struct settings s;
	char *strategy;        /* how its resources were staged: "overlay", "copy", "overlay+copy" */
	struct strv staged;    /* per resource of s.res, in order: "overlay", "reflink", "copy",
				* "bind", "read-only copy", "mkdir" (stage.h) */
	char *strategy_reason; /* why not better; NULL */
	char *owner;           /* "pid namespace" or "subreaper"; NULL */
	/* How it ended. */
	char *outcome;       /* "FAIL", ... */
	char *reason;        /* NULL if none */
	int exit_code;       /* -1: did not exit */
	int signal;
	char *log_path;      /* the log beside the sandbox */
	bool log_linked;     /* EVIDENCE_LOG in the evidence directory is that log */
	/* The shared-write report's list for this attempt (issue 11's shared-write report): what
	 * the test wrote into its overlays, one entry per line, as that report formats it; NULL:
	 * none was made. Written as the `shared-writes` key, read back as is. */
	char *shared_writes;
};

/*
 * Write ev into the sandbox (its directory fd) as described above, and link the log
 * (log_name in the run directory rundir_fd) into it. Call only when nothing of the test runs:
 * what it left under EVIDENCE_DIR is removed (never followed), so that the record there is
 * always isola's. Returns 0, or -1 with *e.
 */
int evidence_write(int sandbox_fd, int rundir_fd, const char *log_name, const struct evidence *ev,
		   struct isola_error *e);

/*
 * Read the evidence of the kept sandbox at sandbox_path. Refuses (-1, *e one line saying what
 * to do) a path that is not a directory of the caller's, one without evidence isola wrote, and
 * evidence of another format or isola version. On success *ev is the caller's to release.
 */
int evidence_read(const char *sandbox_path, struct evidence *ev, struct isola_error *e);

void evidence_release(struct evidence *ev);

#endif

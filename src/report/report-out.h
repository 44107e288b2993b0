/* SPDX-License-Identifier: MIT */
/*
 * A report file, created before any test runs and put in place only when the run ends.
 *
 * report_out_open() checks and creates at once, so that a bad path (a missing directory, no
 * permission, a directory) is refused before the first test starts: the bytes go to an unnamed
 * temporary file (O_TMPFILE) in the target's directory, which report_out_commit() links in under
 * a temporary name and renames over the target. Until then the target is untouched, and if isola
 * dies nothing is left (where the filesystem has no O_TMPFILE, a hidden ".NAME.XXXXXX" is used).
 * "-" is standard output; a target that exists and is not a regular file (a fifo, /dev/null), or
 * is a symlink (/dev/stdout), is written in place, through the link: replacing it would be wrong.
 */
#ifndef ISOLA_REPORT_OUT_H
#define ISOLA_REPORT_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "util/util.h"

struct report_out {
	FILE *fp;         /* where the reporter writes */
	char *path;       /* as given */
	const char *what; /* "JUnit report", for messages */
	bool is_stdout;   /* "-" */
	bool in_place;    /* written straight to path (stdout, a fifo, a device) */
	bool done;        /* committed or discarded */
	int dirfd;        /* the target's directory; -1 when in place */
	char *base;       /* the target's name in dirfd */
	char *tmp_name;   /* the named temporary in dirfd (no O_TMPFILE), or NULL */
};

/* Open path for the report called what (a static string). Returns a new report_out, or NULL
 * with *e: "cannot create JUnit report '/x/y.xml': No such file or directory". */
struct report_out *report_out_open(const char *path, const char *what, struct isola_error *e);
/* Flush and put the file in place. Returns 0, or -1 with *e (the target is then untouched). */
int report_out_commit(struct report_out *o, struct isola_error *e);
/*
 * The end of a file reporter's run: commit the file if everything was written (written_ok),
 * else leave it to be discarded; either failure becomes one line in problems->lines ("cannot
 * write JUnit report 'x': ..."), which the human reporter prints and which makes isola exit 3.
 */
struct report_problems;
void report_out_finish(struct report_out *o, bool written_ok, struct report_problems *problems);
/* Discard the file unless committed (the target stays as it was), and free o. NULL is fine. */
void report_out_free(struct report_out *o);

#endif

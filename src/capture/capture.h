/* SPDX-License-Identifier: MIT */
/*
 * Output capture: a test's stdout and stderr go straight to one log file (never through isola's
 * memory), beside its sandbox. Afterwards isola reads back only the tail.
 */
#ifndef ISOLA_CAPTURE_H
#define ISOLA_CAPTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

/* Create RUNDIR/<name>.log (0600, exclusive). Returns the fd, or -1. *path gets its path. */
int capture_open(int rundir_fd, const char *rundir_path, const char *name, char **path,
		 struct isola_error *e);

/*
 * The last max_lines lines (at most max_bytes) of the file at path. Returns a new string
 * (caller frees; "" if the file is empty or unreadable); *size gets the file's full size.
 */
char *capture_tail(const char *path, unsigned max_lines, size_t max_bytes, off_t *size);

#endif

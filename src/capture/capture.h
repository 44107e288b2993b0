/* SPDX-License-Identifier: MIT */
/*
 * Output capture: a test's stdout and stderr go straight to one log file (never through isola's
 * memory), beside its sandbox. Reporters read back only what they show (report-record.c).
 */
#ifndef ISOLA_CAPTURE_H
#define ISOLA_CAPTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/util.h"

/* Create RUNDIR/<name>.log (0600, exclusive). Returns the fd, or -1. *path gets its path. */
int capture_open(int rundir_fd, const char *rundir_path, const char *name, char **path,
		 struct isola_error *e);

#endif

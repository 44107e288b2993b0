/* SPDX-License-Identifier: MIT */
/*
 * Timings: how long each test took, for the order tests start in (the longest first) and for
 * --partition time. A timings file is one test a line, "SECONDS<TAB>NAME" (SECONDS a decimal
 * number, NAME to the end of the line); blank lines and lines starting with '#' are skipped.
 * isola run records one after every run (.isola/timings beside the config file, or --timings
 * FILE); isola timings writes one from --json reports.
 */
#ifndef ISOLA_TIMINGS_H
#define ISOLA_TIMINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

struct timings {
	void *root; /* tsearch tree of struct timing */
	size_t n;
};
int timings_load(struct timings *t, const char *path, struct isola_error *e);
/* The recorded seconds of name, or -1 if the file does not know it. */
double timings_get(const struct timings *t, const char *name);
void timings_release(struct timings *t);

/* The most tests a recorded file keeps (this run's first): it stays small. */
#define TIMINGS_MAX 100000

/*
 * Record a run's durations into the file at path: secs[i] for names[i], -1 for a test that has
 * none (it did not run). Each duration is averaged with the one recorded before, so that one
 * slow run does not reorder the suite. The file is read and replaced under an exclusive lock
 * (PATH.lock), so that runs at the same time do not lose each other's updates, and replaced
 * atomically (a temporary file renamed over it), so that a reader never sees half of it. A file
 * that cannot be read as a timings file is started afresh. make_dir: create its directory
 * (.isola/) if missing. Returns 0, or -1 with *e.
 */
int timings_record(const char *path, char *const *names, const double *secs, size_t n,
                   bool make_dir, struct isola_error *e);

#endif

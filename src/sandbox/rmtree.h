/* SPDX-License-Identifier: MIT */
/*
 * Recursive removal that a hostile tree cannot steer: fd-relative, never follows a symlink,
 * never descends into another mount, and copes with directories made unreadable or unwritable.
 */
#ifndef ISOLA_RMTREE_H
#define ISOLA_RMTREE_H

#include "util/util.h"

/*
 * Remove `name` (a file, symlink or directory tree) relative to the directory fd `dfd`.
 * A symlink is removed, never followed. Directories on another mount are left in place and
 * reported. Removal goes on past errors; the first one is returned in *e.
 * Returns 0 when everything is gone (or was already), -1 otherwise.
 */
int rmtree_at(int dfd, const char *name, struct isola_error *e);
/* rmtree_at(), but stop after removing `budget` entries (< 0: no limit) and return 1 if there
 * is more: what was removed is gone, and a later call goes on from there. */
int rmtree_at_budget(int dfd, const char *name, long budget, struct isola_error *e);
/* Empty the directory open as fd (the caller's fd stays open; the directory stays), with the
 * same rules; what: its path, for messages. */
int rmtree_contents(int fd, const char *what, struct isola_error *e);

#endif

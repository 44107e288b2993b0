/* SPDX-License-Identifier: MIT */
/*
 * Finding processes in /proc: the last fallback of process ownership.
 *
 * A test's processes are owned by its init (spawn/container.h), not found by a hunt. What is
 * left for this file: every process isola starts also carries ISOLA_MARK in its environment, a
 * ':'-separated chain of "RUNID.N" tokens (nested isola runs append theirs), which the keeper
 * hunts for if isola and its inits were killed; and the end of a run kills whatever of isola's
 * descendants no init owns any more (one that a test killed, in the subreaper fallback).
 */
#ifndef ISOLA_PROCTREE_H
#define ISOLA_PROCTREE_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/util.h"

#define MARK_VAR "ISOLA_MARK"

struct proc_match {
	pid_t ancestor;   /* only descendants of this pid; 0: any process */
	const char *mark; /* a token of ISOLA_MARK equal to this (or starting with it, see prefix) */
	bool prefix;
	const pid_t *exclude; /* pids never to match (e.g. tests still running) */
	size_t nexclude;
	bool exclude_tree; /* ... nor any of their descendants */
	bool all;      /* every process (that passes the filters above) matches */
};

/* Live (not zombie) matching processes, at most max stored in out. Returns how many matched. */
size_t proctree_find(const struct proc_match *m, pid_t *out, size_t max);

/*
 * SIGKILL every match, again and again until none is alive (bounded to about `budget_ms`).
 * Returns the number of distinct processes signalled.
 */
unsigned proctree_kill(const struct proc_match *m, unsigned budget_ms);
/* proctree_kill(), noting the command lines of the first max_cmds processes into *cmds. */
unsigned proctree_kill_noting(const struct proc_match *m, unsigned budget_ms, struct strv *cmds,
			      size_t max_cmds);

#endif

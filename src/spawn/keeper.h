/* SPDX-License-Identifier: MIT */
/*
 * The keeper: a tiny process forked at the start of a run that outlives isola if isola is killed
 * (even with SIGKILL). isola hands it a pidfd of every init it starts (spawn/container.h). When
 * isola dies, each init notices on its own (its socket to isola closes) and kills its test's
 * processes; the keeper waits for them to be done, SIGKILLs an init that is not (which, in a pid
 * namespace, ends everything in it), then kills every process still carrying the run's mark
 * (the last fallback), and only then lets go of the run's lock. When the run ends normally isola
 * tells it so and it exits without doing anything. It ignores every signal it can.
 *
 * It is started only when needed (a fork costs as much as a short test here): for an init that
 * is a subreaper, or one that does not die with isola (container.h, CONTAINER_DIE_WITH_CALLER),
 * and for a terminal to put back. An init in a pid namespace that dies with isola needs none:
 * the kernel then ends its namespace.
 */
#ifndef ISOLA_KEEPER_H
#define ISOLA_KEEPER_H

#include <sys/types.h>

#include "util/util.h"

struct keeper {
	pid_t pid; /* -1: not started */
	int fd;    /* isola's end of its socket; closing it without a word means "isola is gone" */
	char *mark_prefix;
	int keep_fd;
};
#define KEEPER_INIT                                                                                \
	{                                                                                          \
		.pid = -1, .fd = -1, .keep_fd = -1                                                 \
	}

/*
 * What a keeper of this run would be started with (nothing is started yet). mark_prefix: the
 * token prefix every process of the run carries, e.g. "RUNID.". keep_fd (or -1) stays open in
 * the keeper, e.g. the run directory's locked fd, so that the run looks alive to cleaners until
 * its processes are gone; every other inherited fd is closed in the keeper.
 */
void keeper_prepare(struct keeper *k, const char *mark_prefix, int keep_fd);
/*
 * Start the keeper, unless it runs already. tty_fd (or -1): if isola dies, put this terminal
 * back in the modes it has now (the human report turns echo and line editing off while it reads
 * keys: a SIGKILLed isola would leave the user's shell without them); not a terminal: nothing
 * to restore. Returns 0, or -1 with *e.
 */
int keeper_start(struct keeper *k, int tty_fd, struct isola_error *e);
/* Hand the keeper a pidfd of a process to end if isola dies (the fd stays the caller's); nothing
 * if it was not started. */
void keeper_watch(struct keeper *k, int pidfd);
/* The run ended normally: let the keeper go (if started), reap it, and release k. */
void keeper_stop(struct keeper *k);

#endif

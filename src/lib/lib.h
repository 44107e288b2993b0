/* SPDX-License-Identifier: MIT */
/* libisola's insides, shared by the public API (lib-sandbox.c, lib-proc.c) and isola exec. */
#ifndef ISOLA_LIB_H
#define ISOLA_LIB_H

#include <stdbool.h>

#include "isola/isola.h"
#include "sandbox/sandbox.h"
#include "spawn/container.h"
#include "spawn/keeper.h"
#include "util/util.h"

struct isola_sandbox {
	struct rundir rd;
	struct sandbox sb;
	char *base_dir;
	struct strv env_set;
	struct strv env_unset;
	enum isola_keep keep;
	bool keep_home;
	bool failed;
	unsigned nprocs; /* commands started, for their tokens and output files */
	pid_t owner;     /* the process that made it: only it may clean up */
	struct isola_proc *procs; /* still running */
	struct keeper keeper;     /* kills its commands if this process dies; from the first */
	bool die_with_caller;     /* lib_sandbox_die_with_caller() */
	struct isola_sandbox *next;
};

struct isola_proc {
	isola_sandbox *sb;
	pid_t pid;            /* the command's pid as the caller sees it */
	struct container init; /* the init it runs under (spawn/container.h) */
	int events;           /* read end of the init's end messages; EOF: the init died */
	int64_t start_ns, deadline_ns, grace_ns;
	size_t cap;
	char *out_path, *err_path;
	char token[64];
	bool stopping; /* SIGTERM sent */
	bool killed;   /* SIGKILL sent */
	bool timed_out;
	struct isola_proc *next;
};

/*
 * Wait for p as isola_proc_wait() does; while waiting, signals read from sigfd (if >= 0) are
 * passed on to the command's process group (a second one as SIGKILL). Fills *res, frees p.
 */
int lib_proc_wait(isola_proc *p, int sigfd, struct isola_result *res, struct isola_error *err);

/* Drop p (unlinked from its sandbox, fds closed, freed) without signalling or waiting. */
void lib_proc_forget(isola_proc *p);

/*
 * For isola exec: its commands are started and waited for by the main thread, which lives until
 * they end, so an init in a pid namespace can die with it (CONTAINER_DIE_WITH_CALLER) and no
 * keeper process is needed (one fork less per command). Not for libisola's callers, whose
 * threads may end before the commands they started.
 */
void lib_sandbox_die_with_caller(isola_sandbox *sb);

/* Unlink p from its sandbox's list of running commands. */
void lib_sandbox_forget(isola_sandbox *sb, isola_proc *p);

#endif

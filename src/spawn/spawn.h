/* SPDX-License-Identifier: MIT */
/*
 * Starting a process: argv and an explicit envp, never a shell. The child leads a new process
 * group, gets an empty signal mask and default signal dispositions, its stdin from the given fd
 * (or /dev/null) and its stdout/stderr on the given fds. A failure to start (mount, chdir, exec)
 * comes back as an error, never as exit status 127.
 *
 * Tests are started by isola's init (spawn/container.h), which calls spawn_clone(): a
 * vfork-style clone (no page tables copied), into a mount namespace of its own when the request
 * has a mount plan, whose mounts the child makes before it executes the program (mountns.h).
 */
#ifndef ISOLA_SPAWN_H
#define ISOLA_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "spawn/fence.h"
#include "spawn/mountns.h"
#include "util/util.h"

struct spawn_req {
	const char *path;   /* absolute program path to execute */
	char *const *argv;  /* argv[0] as the program should see it */
	char *const *envp;
	const char *cwd;    /* NULL: inherit */
	int stdin_fd;       /* -1: /dev/null */
	int stdout_fd;      /* -1: inherit */
	int stderr_fd;      /* -1: inherit */
	bool new_pgroup;    /* lead a new process group */
	bool foreground;    /* with new_pgroup: make that group the foreground of the terminal on
			     * stdin, if it is one (isola repro --shell) */
	const struct mount_plan *mounts; /* NULL or unused (mount_plan_used()): no namespace (the
					  * fast path) */
	const struct fence *fence;       /* NULL: none; else applied after the mounts (fence.h) */
	/* container_spawn() only: when the main process ends, what it started keeps running (a
	 * fixture's server), until the next command of that init ends or the init is closed. */
	bool keep_rest;
};

/* Where starting a program failed (spawn-ns.c): step 0 is the clone itself. For the fence's
 * step, f.op is the fence_failure's at. */
struct spawn_failure {
	int step;
	struct mount_failure f;
};

#define SPAWN_CHILD_STACK (64 * 1024)

/*
 * Start r in a child that shares the caller's memory until it has exec'd (CLONE_VM|CLONE_VFORK),
 * after making x's namespaces and mounts (x NULL: none; r NULL: a probe that exits after the
 * mounts). stack: SPAWN_CHILD_STACK bytes, or NULL to allocate one; with a stack given, nothing
 * here allocates, so isola's init (spawn/container.c) can call it. Returns the child's pid, or
 * -1 with *f saying where it failed.
 */
pid_t spawn_clone(const struct spawn_req *r, const struct mount_exec *x, char *stack,
		  struct spawn_failure *f);
/* Describe f for people, into *e (always returns -1). */
int spawn_failure_describe(const struct spawn_req *r, const struct spawn_failure *f,
			   struct isola_error *e);

/* Describe a wait status: "exit 3", "killed by SIGSEGV (core dumped)". */
const char *describe_status(int status, char *buf, size_t len);
/* "SIGSEGV" for 11, or "signal 77". */
const char *signal_name(int sig, char *buf, size_t len);

#endif

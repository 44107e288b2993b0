/* SPDX-License-Identifier: MIT */
/*
 * The write fence (--fence): a Landlock ruleset that lets a test write only beneath its sandbox
 * (its home, tmp and --copy overlays are in it), the writable mounts of its mount plan (its
 * private /tmp, its tree overlays), its log (by its fd), a few character devices every program
 * writes to (/dev/null, /dev/tty, /dev/pts/...), and each --allow-write PATH. Reads, execution
 * and fds opened before it (stdout, stderr) are not restricted: Landlock checks opening,
 * creating, removing and renaming, not the use of an fd already open.
 *
 * Which rights are fenced depends on the kernel's Landlock ABI: every write right of ABI 1
 * (write a file, remove a file or directory, make a file, directory, link, socket, fifo or
 * device), REFER from ABI 2 (renaming or linking across directories; without handling it,
 * ABI 2+ kernels refuse every such rename), TRUNCATE from ABI 3.
 *
 * The child applies the fence between clone and exec, after its mounts (so paths are opened in
 * its own view of the tree, and the mount of a private /tmp is what is allowed). Everything it
 * does there is a system call: open(O_PATH), fstat, landlock_add_rule, close, prctl,
 * landlock_restrict_self. It sets no_new_privs first (Landlock needs it unless the caller has
 * CAP_SYS_ADMIN, and isola sets it always, so that a fenced test behaves the same as root and
 * as a user): set-user-ID and set-group-ID programs and file capabilities then give a fenced
 * test no privileges.
 *
 * Call sequence: fence_abi() (once: is there Landlock?), fence_init(), fence_allow() (any
 * number), then spawn_clone() with the fence in its spawn_req, fence_release().
 */
#ifndef ISOLA_FENCE_H
#define ISOLA_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spawn/mountns.h"
#include "util/util.h"

struct fence {
	int abi;           /* the Landlock ABI it is built for (>= 1); 0: no fence */
	uint64_t handled;  /* the rights it refuses where no rule allows them */
	char **paths;      /* absolute: writable beneath (a directory) or itself (a file) */
	size_t n, cap;
};
#define FENCE_INIT {0}

/*
 * The Landlock ABI of the running kernel, asked once and cached: >= 1, or 0 with *why saying
 * why there is none (no Landlock in the kernel, Landlock not enabled at boot, or
 * ISOLA_TEST_NO_LANDLOCK set, which tests use to check what happens without it).
 */
int fence_abi(const char **why);

/* Start a fence for abi (>= 1), with no path allowed yet. */
void fence_init(struct fence *f, int abi);
/* Allow writing beneath path (absolute; copied). */
void fence_allow(struct fence *f, const char *path);
void fence_release(struct fence *f);

/* Where applying it failed: index into paths (n + i: the plan's op i), or one of these, and
 * errno. */
enum {
	FENCE_AT_RULESET = -1,
	FENCE_AT_NO_NEW_PRIVS = -2,
	FENCE_AT_RESTRICT = -3,
	FENCE_AT_LOG = -4,
};
struct fence_failure {
	int at;
	int err;
};

/*
 * In the child, after its mounts: build the ruleset (f's paths, the writable targets of plan
 * if not NULL, the file log_fd is if it is a regular file (the test's log: -1 for none), the
 * devices) and restrict the calling thread with it. Async-signal-safe: only system calls. A
 * path of f or a device that the test's view does not show (an --allow-write under a private
 * /tmp) is skipped: there is nothing there to write. Returns 0, or -1 with *ff.
 */
int fence_apply(const struct fence *f, const struct mount_plan *plan, int log_fd,
                struct fence_failure *ff);

/*
 * Before the clone, for a fenced test's plan p: what it binds back at its own path (the program's
 * directory or a setup's sandbox under a private /tmp, a --share path in a tree) is the real
 * thing, yet lies inside a mount the fence allows (the private /tmp, the tree's overlay), and
 * Landlock's rule on a directory holds for everything beneath it, mounts included. Such binds
 * are made read-only (mount_op.ro), but for the sandbox and what lies in it, a tree's overlay
 * bound back, and what lies beneath an --allow-write path (each such path inside a read-only
 * bind is bound again on top of it, writable). sandbox: canonical.
 */
void fence_plan(struct mount_plan *p, const char *sandbox, const struct strv *allow_write);

/* Describe a failure for people, into *e (returns -1). */
int fence_failure_describe(const struct fence *f, const struct mount_plan *plan,
                           const struct fence_failure *ff, struct isola_error *e);

/*
 * The paths a fenced test's output says it was refused: absolute paths named on lines that say
 * "Permission denied" ('/x/y' quoted, or /x/y: before it), not beneath one of allowed (they were
 * refused by something else). A best-effort reading of what programs print, not a record of
 * what Landlock refused. Adds at most max of them to out, each once; returns how many it added.
 */
size_t fence_refused_paths(const char *buf, size_t len, char *const *allowed, size_t nallowed,
                           struct strv *out, size_t max);

#endif

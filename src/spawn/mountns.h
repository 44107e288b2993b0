/* SPDX-License-Identifier: MIT */
/*
 * A mount plan: the mounts a test needs in a mount namespace of its own, made between fork and
 * exec. The mounts exist only in that namespace, so they die with its last process: nothing is
 * ever mounted where isola, the user or another test could see it, and no exit path (normal,
 * timeout, Ctrl-C, isola killed with SIGKILL) can leave one behind.
 *
 * As root the child only unshares a mount namespace. Otherwise it also enters a new user
 * namespace where its own uid and gid are mapped to themselves (and nothing else is), which
 * gives it the right to mount there and nowhere else; after exec it is an ordinary process with
 * the caller's uid, gid and no capabilities.
 *
 * Call sequence: mount_plan_add_*() (any number), then spawn_start() with the plan in its
 * spawn_req (or mount_plan_probe() to learn whether the plan works here), mount_plan_release().
 */
#ifndef ISOLA_MOUNTNS_H
#define ISOLA_MOUNTNS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

enum mount_op_kind {
	MOUNT_OVERLAY, /* overlayfs: lower read-only, upper+work private and writable */
	MOUNT_BIND_RO, /* a read-only recursive bind mount of a file or directory */
	MOUNT_MKDIR,   /* a directory (parents too) inside what earlier ops mounted */
	MOUNT_BIND,    /* a writable recursive bind mount of src, the real thing, at target: --isolate
			* tmp's /tmp and the paths kept in it, a tree's --share paths and a sandbox
			* inside a tree. Its src is opened before any op is made, so it may lie
			* under what an earlier op covers (a bind over /tmp, a tree's overlay); a
			* missing target leaf is created (a file for a file) */
};

struct mount_op {
	enum mount_op_kind kind;
	char *target; /* relative to the plan's root, or absolute (from the test's /); its
		       * components are never followed if they are symlinks, so a tree an earlier
		       * op mounted cannot redirect this one */
	char *src;    /* OVERLAY: the lower directory; BIND_RO, BIND: what to bind (a symlink is
		       * followed) */
	char *upper;  /* OVERLAY: absolute, empty directory (becomes the private layer) */
	char *work;   /* OVERLAY: absolute, empty directory on upper's filesystem */
	bool ro;      /* BIND: then made read-only all the way down (a fenced test's view of the
		       * real thing inside a mount the fence allows: fence_plan()) */
};

struct mount_plan {
	char *root;     /* absolute directory the targets are relative to (the sandbox) */
	bool userns;    /* get the right to mount from a user namespace (not root) */
	bool overlay_redirect; /* overlay: redirect_dir=on (directory renames work; root only) */
	bool net;       /* a network namespace of its own, with only loopback, up (--isolate net) */
	struct mount_op *v;
	size_t n, cap;
};
#define MOUNT_PLAN_INIT {0}

/* Set the root the targets are relative to (copied). */
void mount_plan_set_root(struct mount_plan *p, const char *root);
/* Add an op; strings are copied, NULL where the kind has no use for them. */
void mount_plan_add(struct mount_plan *p, enum mount_op_kind kind, const char *target,
		    const char *src, const char *upper, const char *work);
void mount_plan_release(struct mount_plan *p);

/* Whether p asks for anything: a namespace is entered only then. */
bool mount_plan_used(const struct mount_plan *p);

/* Where the child failed: which op (or MOUNT_FAIL_*: entering the namespaces, the loopback) and
 * errno. */
enum { MOUNT_FAIL_NS = -1, MOUNT_FAIL_LO = -2 };
struct mount_failure {
	int op;
	int err;
};

/*
 * Everything the child needs, made before fork so that the child itself makes only
 * async-signal-safe calls. The child opens the paths itself, after entering its namespace:
 * overlayfs and bind mounts accept only paths of the namespace they are made in.
 */
#define MOUNT_BIND_MAX 64 /* MOUNT_BIND ops and tree overlays in one plan */

struct mount_exec {
	const struct mount_plan *plan;
	bool userns; /* enter a user namespace first (the plan's userns, unless the caller is in
		      * one already: isola's init, see spawn/container.h) */
	bool slave_already; /* the caller's mounts propagate nothing already (isola's init made
			     * them slaves): the child's copies need no MS_SLAVE pass of their own */
	char uid_map[32], gid_map[32];
};

void mount_exec_prepare(struct mount_exec *x, const struct mount_plan *p);

/* In the child (after clone with mount_exec_clone_flags()): become able to mount, then make every
 * mount. Async-signal-safe. Returns 0, or -1 with *f saying where and why. */
int mount_exec_apply(const struct mount_exec *x, struct mount_failure *f);
/* The clone flags that give the child its namespaces. */
int mount_exec_clone_flags(const struct mount_exec *x);

/* Describe a failure for people, into *e. */
int mount_failure_describe(const struct mount_plan *p, const struct mount_failure *f,
			   struct isola_error *e);

/*
 * Try the plan in a throwaway child that makes the mounts and exits at once (the mounts die with
 * it). Returns 0 if every mount worked, or -1 with *e saying why not. Costs one short-lived
 * process: callers cache the answer.
 */
int mount_plan_probe(const struct mount_plan *p, struct isola_error *e);

#endif

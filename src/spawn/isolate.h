/* SPDX-License-Identifier: MIT */
/*
 * What nobody declared (--isolate): the parts of a test's view that isola makes its own, as
 * more ops of its mount plan (mountns.h), so that every kind joins the one namespace the test
 * gets anyway rather than making one of its own.
 *
 *  tmp  /tmp and /var/tmp: the sandbox's tmp/ and var-tmp/ (mode 1777), bound over them.
 *  shm  /dev/shm: the sandbox's shm/ (mode 1777), bound over it.
 *  net  a network namespace of its own, with only a loopback device, up (127.0.0.1, ::1).
 *  all  every kind that is built and that this machine allows; what it does not allow is said,
 *       not an error.
 *
 * A bind over /tmp would hide what the test needs that lies under it: its sandbox (ISOLA_SANDBOX,
 * TMPDIR, HOME, the cwd: the default sandbox root is /tmp), its program, an absolute cwd and its
 * trees (--isolate tree: the overlays staging mounted there). Each of those is bound back at its
 * own path inside the new /tmp (the mount points are made in the sandbox's tmp/, so the test's
 * /tmp holds that path and nothing else of anyone's). The same holds for /var/tmp and /dev/shm.
 *
 * A kind asked for by name that cannot be had fails the attempt (ERROR, with the reason); never a
 * silent run without it.
 */
#ifndef ISOLA_ISOLATE_H
#define ISOLA_ISOLATE_H

#include "spawn/mountns.h"
#include "stage/tree.h"
#include "util/util.h"

/* What a test attempt got. */
struct isolation {
	int got;       /* the ISO_* bits (config/settings.h) it got */
	char *why_not; /* with all: which kinds it did not get, and why (owned); NULL if none */
};
#define ISOLATION_INIT {0}

/* Where the test's paths are: what a bind over /tmp must not hide. */
struct isolate_paths {
	int sandbox_fd;      /* where tmp/, var-tmp/ and shm/ are made */
	const char *sandbox; /* its absolute path */
	const char *program; /* the test's program (absolute) */
	const char *cwd;     /* absolute, or NULL */
	const struct strv *setups; /* the sandboxes of the [setup]s it requires (their exports
	                            * may name files there); NULL: none */
	const struct tree_views *trees; /* what --isolate tree made of each tree (stage/tree.h):
	                                 * a private overlay, or (with all) the real one; NULL */
	bool fenced;         /* --fence: what is the test's own is bound back apart from the real
	                      * thing around it, which fence_plan() makes read-only */
};

/*
 * Add to p what want (ISO_* bits, ISO_TREE aside) asks for, and say in *got what the test gets.
 * Call after staging has added its ops (they are made first: an overlay's lower directory may lie
 * under /tmp). Returns 0, or -1 with *e naming the kind and why it cannot be had here (p may then
 * hold some of the ops: the attempt fails anyway).
 */
int isolate_plan(int want, const struct isolate_paths *paths, struct mount_plan *p,
		 struct isolation *got, struct isola_error *e);

void isolation_release(struct isolation *got);

/* "tmp, shm, net, tree" for ISO_* bits (into buf; ISO_ALL is not named); "none" for none. */
const char *isolation_name(int bits, char *buf, size_t len);

#endif

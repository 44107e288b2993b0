/* SPDX-License-Identifier: MIT */
/*
 * Staging: putting a test's resources into its sandbox.
 *
 * Callers never know how a tree got there, only that the test may write to its copy without
 * reaching the original. Strategies, best first (chosen per resource, see stage_prepare()):
 *   overlay  the resource is the read-only lower layer of an overlayfs mounted at DEST in the
 *            test's own mount namespace; its private upper and work dirs are in the sandbox's
 *            .isola/ directory. Nothing is copied (stage-overlay.c).
 *   reflink  every file is cloned (FICLONE): the copy shares extents until written (btrfs, XFS).
 *   copy     copy_file_range, then read/write; holes stay holes (stage-copy.c).
 * A read-only resource (--ro) is a read-only bind mount in the test's namespace (stage-bind.c),
 * or, where no mount namespace can be had, a copy without write bits.
 */
#ifndef ISOLA_STAGE_H
#define ISOLA_STAGE_H

#include <stdbool.h>

#include "spawn/mountns.h"
#include "stage/tree.h"
#include "stage/writes.h"
#include "util/util.h"

enum resource_kind {
	RES_COPY,  /* a private writable copy of SRC at DEST */
	RES_MKDIR, /* an empty directory at DEST */
	RES_RO,    /* SRC at DEST, readable, never writable */
};

struct resource {
	enum resource_kind kind;
	char *src;  /* absolute path (RES_COPY, RES_RO), NULL for RES_MKDIR */
	char *dest; /* relative to the sandbox, normalised, never "..", never absolute */
};

struct resources {
	struct resource *v;
	size_t n, cap;
};

/*
 * Parse "SRC[:DEST]" (kinds RES_COPY and RES_RO; SRC relative to base_dir) or "DIR" (RES_MKDIR)
 * and append it to *list. Bad input (empty, absolute or escaping DEST) fails with a message that
 * names the value; nothing is touched on disk.
 */
int resources_add(struct resources *list, enum resource_kind kind, const char *spec,
		  const char *base_dir, struct isola_error *e);
void resources_extend(struct resources *list, const struct resources *from);
void resources_release(struct resources *list);

enum stage_strategy { STAGE_AUTO, STAGE_OVERLAY, STAGE_REFLINK, STAGE_COPY };

/* "auto", "overlay", "reflink", "copy" <-> the enum. parse returns 0 or -1. */
int stage_strategy_parse(const char *name, enum stage_strategy *out);
const char *stage_strategy_name(enum stage_strategy s);

/*
 * Before any test starts: check that every source exists and holds nothing that cannot be
 * staged (fifos, sockets, devices). Reads only. What the walk learns (mount points inside,
 * files of other users) is remembered for stage_prepare(), so the tree is walked once per run.
 */
int stage_check(const struct resource *r, struct isola_error *e);

/*
 * Stage r into the sandbox directory sandbox_fd, on disk (reflink where the filesystem can,
 * else copy; --ro resources as copies without write bits): for sandboxes that several
 * processes share (libisola). On failure, what was half-made stays inside the sandbox (which
 * the caller removes whole).
 */
int stage_resource(int sandbox_fd, const struct resource *r, struct isola_error *e);

/* What staging made for one test attempt. STAGE_INIT / all-zero is empty. */
struct stage {
	struct mount_plan mounts; /* for spawn_req.mounts; empty: the test needs no namespace */
	const char *strategy;     /* static: what its resources got, "overlay", "reflink",
				   * "copy", "bind" (--ro), or a mix "overlay+copy"; "none" */
	char *reason;             /* why some resource did not get a better strategy, for -v;
				   * NULL if none */
	unsigned novl;            /* overlays made so far (their dirs are .isola/1, 2, ...) */
	const char **each;        /* per resource of res (static strings): "overlay", "reflink",
				   * "copy", "bind", "read-only copy", "mkdir"; NULL until staged */
	struct overlay_layers layers; /* those overlays, for the shared-write report */
	struct tree_views trees;  /* what stage_trees() made of each tree and share */
};
#define STAGE_INIT {.strategy = "none"}

/*
 * Stage all of res into the sandbox (sandbox_fd, whose absolute path is sandbox_path) for one
 * process tree that will be started with st->mounts (spawn_req.mounts), choosing per resource
 * the best strategy `want` allows. With STAGE_AUTO a strategy that cannot be had is passed over
 * silently (st->reason says why); a forced one that cannot be had fails. Whether overlayfs and
 * bind mounts work here is probed once per source and sandbox filesystem, by a throwaway child
 * that makes the mount in a namespace of its own, and remembered for the life of the process.
 * On failure what was half-made stays inside the sandbox (removed whole by the caller).
 */
int stage_prepare(struct stage *st, int sandbox_fd, const char *sandbox_path,
		  const struct resources *res, enum stage_strategy want, struct isola_error *e);
/*
 * --isolate tree: after stage_prepare(), make each of trees (absolute directories) an overlay
 * at its own path in the test's mount namespace, its upper layer in the sandbox; bind each of
 * shares that is inside a tree, and the sandbox itself if it is inside one, back over it (the
 * real thing, read-write). Where overlayfs cannot be had, fails with the reason (no fallback:
 * a copy of a whole tree is not what was asked), unless best_effort (--isolate all), where
 * the tree stays shared. st->trees lists what each tree and share became, and why.
 */
int stage_trees(struct stage *st, int sandbox_fd, const char *sandbox_path,
		const struct strv *trees, const struct strv *shares, bool best_effort,
		struct isola_error *e);

/* Free what st holds (unmounting is never needed: the mounts die with the namespace). */
void stage_release(struct stage *st);

/*
 * Before a sandbox whose test has ended is removed: remove what staging copied into it, by
 * several threads (stage-remove.c). Best effort and safe: nothing outside the sandbox's
 * filesystem is touched, a symlink is never followed, and whatever is left the sandbox removal
 * removes (or reports).
 */
void stage_unstage(int sandbox_fd, const struct resources *res);

/*
 * Run fn(arg) on up to cap threads at once, the calling one included, and return when all have
 * returned: a bulk copy or removal, whose fn takes its work from arg until there is none left.
 * With cap above 1 it takes only the CPUs that the other bulk operations of this process leave
 * (isola stages several tests at once, each of which would otherwise take every CPU and make
 * them all wait on each other). The extra threads take no signal (isola reads them from a
 * signalfd). cap is at most STAGE_MAX_THREADS.
 */
#define STAGE_MAX_THREADS 4

/*
 * Cancel every copy under way and every copy started after this (the run is stopping: Ctrl-C).
 * A cancelled copy fails with ECANCELED between two files, or between two chunks of a big one,
 * so that a stop never waits for a big tree to be copied.
 */
void stage_cancel(void);
bool stage_cancelled(void);
void stage_run_parallel(size_t cap, void *(*fn)(void *), void *arg);

/* --- the strategies' entry points --------------------------------------------------------- */

struct copy_opts {
	bool clone;     /* try FICLONE first (reflink) */
	bool need_clone; /* a file that cannot be cloned is an error (--stage reflink) */
	bool readonly;  /* strip write bits from the copy (--ro without a mount namespace) */
};

/* What a walk saw and did. */
struct copy_result {
	unsigned long files;  /* regular files with data */
	unsigned long cloned; /* of which shared extents (FICLONE) */
	int clone_err;        /* errno of the first FICLONE that failed, 0 if none */
	bool foreign;         /* something is owned by another uid or gid than ours */
	bool submounts;       /* something is on another filesystem than the top */
	bool is_dir;          /* the source (followed if a symlink) is a directory */
	unsigned long entries;    /* everything below the top: files, directories, links... */
	unsigned long long bytes; /* the sizes of its regular files */
};

/*
 * Copy src (file or tree, following src itself if it is a symlink) to name in dst_dfd.
 * With dst_dfd < 0, only walk src and check that it could be copied. opts NULL: plain copy.
 * res may be NULL.
 */
int copy_tree_opts(const char *src, int dst_dfd, const char *name, const struct copy_opts *opts,
		   struct copy_result *res, struct isola_error *e);
/* copy_tree_opts() with a plain copy. */
int copy_tree(const char *src, int dst_dfd, const char *name, struct isola_error *e);

#endif

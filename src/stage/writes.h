/* SPDX-License-Identifier: MIT */
/*
 * The shared-write report: what a test changed through its overlays (each `--isolate tree` tree
 * and each --copy resource staged by overlay), read from their upper layers after it ended and
 * before its sandbox goes. An upper layer holds exactly what the test changed, so the walk costs
 * what the test wrote, whatever the size of the tree.
 *
 * What each kind means (the lower layer is the real tree, read-only under the overlay):
 *   created   no such path in the lower layer (a directory: listed itself, and its contents)
 *   modified  a file whose contents (size, bytes) or type differ from the lower's
 *   deleted   a whiteout (the path is gone), or a directory made opaque (deleted and made anew:
 *             what it holds now is listed as created)
 *   renamed   a directory moved from another path (overlayfs' redirect, as root); a file's
 *             rename is a deletion and a creation, as overlayfs records it
 *   chmod     same contents, other metadata (mode, owner or times: a copy-up without a write)
 * Directories that were copied up only to hold a change below them are not listed.
 */
#ifndef ISOLA_WRITES_H
#define ISOLA_WRITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/util.h"

/* One overlay of a test: where its upper layer is and what the test saw through it. */
struct overlay_layer {
	char *upper; /* relative to the sandbox (.isola/N/upper) */
	char *lower; /* absolute: the real tree */
	char *shown; /* the path the test saw it at: a tree's own (absolute), or a --copy DEST
		      * (relative to the sandbox) */
	bool tree;   /* an `--isolate tree` overlay (else a --copy resource) */
	/* The upper directory's, as made: the one walked must be that one (a test could put an
	 * empty one in its place, its writes moved aside). */
	dev_t dev;
	ino_t ino;
};

struct overlay_layers {
	struct overlay_layer *v;
	size_t n, cap;
	bool userxattr; /* mounted in a user namespace: overlayfs' xattrs are user.overlay.* */
};

void overlay_layers_add(struct overlay_layers *l, const char *upper, const char *lower,
			const char *shown, bool tree, const struct stat *ust);
void overlay_layers_release(struct overlay_layers *l);

enum write_kind { WRITE_CREATED, WRITE_MODIFIED, WRITE_DELETED, WRITE_RENAMED, WRITE_CHMOD,
		  WRITE__COUNT };

/* "created", "modified", ... and back (-1: none of them). */
const char *write_kind_name(enum write_kind k);
int write_kind_parse(const char *name);

struct write {
	char *path;        /* as the test saw it (see overlay_layer.shown) */
	enum write_kind kind;
	int64_t size;      /* bytes of the new file (created, modified); -1 none (deleted, dirs) */
	char *from;        /* renamed: the old path; else NULL */
	bool tree;         /* in a tree (else in a --copy resource) */
	bool shared;       /* under a --share path (a tree's share that could not be bound) */
};

/* What a test wrote, capped (a test may write a million files): the first WRITES_MAX paths are
 * kept, the rest only counted. */
struct writes {
	struct write *v;
	size_t n, cap;
	size_t total;               /* found; total - n are not kept */
	size_t counts[WRITE__COUNT]; /* found, per kind */
	size_t in_tree;             /* found in a tree, outside its --share paths */
};
#define WRITES_MAX 1000

/* Add one (copies the strings; counts it whether kept or not). */
void writes_add(struct writes *w, const char *path, enum write_kind kind, int64_t size,
		const char *from, bool tree, bool shared);
void writes_release(struct writes *w);
/* *dst becomes a copy of *src (dst's old contents are released). */
void writes_copy(struct writes *dst, const struct writes *src);

/*
 * Walk the upper layer of each of l's overlays in the sandbox sandbox_fd and add what the test
 * changed to *out. shares: absolute paths a write under which is not counted in in_tree. Never
 * follows a symlink and never leaves an upper directory (openat/fstatat relative to it).
 * Inside a layer, what cannot be read is skipped. Returns 0, or -1 with *e (the first) if the
 * upper directory of a tree's layer could not be opened (the test removed it, or swapped a
 * directory on its way for a symlink): what it wrote there is unknown. The other layers are
 * walked still; a --copy's layer that cannot be opened is only skipped.
 */
int writes_collect(int sandbox_fd, const struct overlay_layers *l, const struct strv *shares,
		   struct writes *out, struct isola_error *e);

/* "2 created, 1 modified" into buf (for people). */
const char *writes_summary(const struct writes *w, char *buf, size_t len);

#endif

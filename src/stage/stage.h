/* SPDX-License-Identifier: MIT */
/*
 * Staging: putting a test's resources into its sandbox.
 *
 * Every strategy (plain copy today) sits behind stage_resource(); callers never know how a tree
 * got there, only that the test may write to its copy without reaching the original.
 */
#ifndef ISOLA_STAGE_H
#define ISOLA_STAGE_H

#include <stdbool.h>

#include "util/util.h"

enum resource_kind {
	RES_COPY,  /* a private writable copy of SRC at DEST */
	RES_MKDIR, /* an empty directory at DEST */
};

struct resource {
	enum resource_kind kind;
	char *src;  /* absolute path (RES_COPY), NULL for RES_MKDIR */
	char *dest; /* relative to the sandbox, normalised, never "..", never absolute */
};

struct resources {
	struct resource *v;
	size_t n, cap;
};

/*
 * Parse "SRC[:DEST]" (kind RES_COPY; SRC relative to base_dir) or "DIR" (RES_MKDIR) and append
 * it to *list. Bad input (empty, absolute or escaping DEST) fails with a message that names the
 * value; nothing is touched on disk.
 */
int resources_add(struct resources *list, enum resource_kind kind, const char *spec,
		  const char *base_dir, struct isola_error *e);
void resources_extend(struct resources *list, const struct resources *from);
void resources_release(struct resources *list);

/*
 * Before any test starts: check that every source exists and holds nothing that cannot be
 * staged (fifos, sockets, devices). Reads only.
 */
int stage_check(const struct resource *r, struct isola_error *e);

/* Stage r into the sandbox directory sandbox_fd. On failure, what was half-made stays inside the
 * sandbox (which the caller removes whole). */
int stage_resource(int sandbox_fd, const struct resource *r, struct isola_error *e);

/* The strategies' entry points (stage-copy.c). */
/* Copy src (file or tree, following src itself if it is a symlink) to name in dst_dfd.
 * With dst_dfd < 0, only walk src and check that it could be copied. */
int copy_tree(const char *src, int dst_dfd, const char *name, struct isola_error *e);

#endif

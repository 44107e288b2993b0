/* SPDX-License-Identifier: MIT */
/*
 * What --isolate tree made of each path it was given, for one test attempt (stage-tree.c makes
 * the list; the reports carry it): each tree, a private overlay or (with --isolate all, where
 * none can be had) left shared; each --share path inside one, bound back to the real thing or
 * (where there was nothing to bind) left private.
 */
#ifndef ISOLA_STAGE_TREE_H
#define ISOLA_STAGE_TREE_H

#include <stdbool.h>
#include <stddef.h>

struct tree_view {
	char *path;      /* absolute (canonical where it exists) */
	bool share;      /* a --share path (else a tree) */
	bool is_private; /* the test's writes there are its own (else they reach the real path) */
	char *why;       /* why it is not what was asked (a tree left shared, a share left
			  * private, a share outside every tree); NULL if it is */
};

struct tree_views {
	struct tree_view *v;
	size_t n, cap;
};

/* Add one (copies the strings). */
void tree_views_add(struct tree_views *t, const char *path, bool share, bool is_private,
		    const char *why);
void tree_views_release(struct tree_views *t);
/* *dst becomes a copy of *src (dst's old contents are released). */
void tree_views_copy(struct tree_views *dst, const struct tree_views *src);
/* Is some tree a private overlay? */
bool tree_views_isolated(const struct tree_views *t);
/* For people (-v, JUnit, HTML): "tree '/src' as a private overlay; '/src/shared' shared"
 * (caller frees); NULL if t is empty. */
char *tree_views_describe(const struct tree_views *t);

#endif

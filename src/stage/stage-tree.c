/* SPDX-License-Identifier: MIT */
/*
 * --isolate tree: a shared tree (the source or build directory) as a private layer. Each tree
 * is the lower layer of an overlay mounted at the tree's own path in the test's mount
 * namespace, the upper and work directories in the sandbox (made as for a --copy overlay,
 * stage-overlay.c), so the test sees its tree where it always was, writable, and its writes
 * land in its sandbox. What must stay shared is bound back over the overlay, read-write: each
 * --share path, and the sandbox itself when it lies inside a tree (a --root under the source
 * directory): the test's own files, and isola's view of them, must be the real ones. The bind
 * sources are taken before the overlays hide them (mountns.h, MOUNT_BIND). What each tree and
 * share became is kept per attempt (tree.h), for the reports.
 */
#include "stage/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/strategy.h"

static int by_length(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
	return x < y ? -1 : x > y;
}

void tree_views_add(struct tree_views *t, const char *path, bool share, bool is_private,
		    const char *why)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct tree_view){.path = xstrdup(path),
					  .share = share,
					  .is_private = is_private,
					  .why = why ? xstrdup(why) : NULL};
}

void tree_views_release(struct tree_views *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].why);
	}
	free(t->v);
	*t = (struct tree_views){0};
}

void tree_views_copy(struct tree_views *dst, const struct tree_views *src)
{
	tree_views_release(dst);
	for (size_t i = 0; i < src->n; i++)
		tree_views_add(dst, src->v[i].path, src->v[i].share, src->v[i].is_private,
			       src->v[i].why);
}

bool tree_views_isolated(const struct tree_views *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (!t->v[i].share && t->v[i].is_private)
			return true;
	return false;
}

char *tree_views_describe(const struct tree_views *t)
{
	char *s = NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct tree_view *v = &t->v[i];
		if (!v->share && v->is_private)
			xappendf(&s, "; ", "tree '%s' as a private overlay", v->path);
		else if (!v->share)
			xappendf(&s, "; ", "tree '%s' stays shared: %s", v->path,
				 v->why ? v->why : "?");
		else if (!v->is_private && v->why)
			xappendf(&s, "; ", "share '%s': %s", v->path, v->why);
		else if (!v->is_private)
			xappendf(&s, "; ", "'%s' shared", v->path);
		else
			xappendf(&s, "; ", "share '%s' stays private: %s", v->path,
				 v->why ? v->why : "?");
	}
	return s;
}

int stage_trees(struct stage *st, int sandbox_fd, const char *sandbox_path,
		const struct strv *trees, const struct strv *shares, bool best_effort,
		struct isola_error *e)
{
	/* Mount targets are walked without following symlinks: resolve them first. Outer trees
	 * first: an inner one is mounted inside the outer's overlay. */
	char **order = xcalloc(trees->n ? trees->n : 1, sizeof(*order));
	for (size_t i = 0; i < trees->n; i++) {
		order[i] = realpath(trees->v[i], NULL);
		if (!order[i])
			order[i] = xstrdup(trees->v[i]);
	}
	qsort(order, trees->n, sizeof(*order), by_length);
	int ret = 0;
	size_t made = 0;
	char *sb = NULL;
	for (size_t i = 0; i < trees->n; i++) {
		const char *tree = order[i];
		struct stat sst;
		char why[300] = "";
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup |= strcmp(order[k], tree) == 0;
		if (dup)
			continue;
		bool ok = false;
		if (stat(tree, &sst) < 0)
			why_set(why, sizeof(why), "cannot stat it (%s)", strerror(errno));
		else if (!S_ISDIR(sst.st_mode))
			why_set(why, sizeof(why), "it is not a directory");
		else if (strcmp(tree, "/") == 0)
			why_set(why, sizeof(why), "the whole file system cannot be a tree");
		else
			ok = overlay_available(tree, &sst, sandbox_fd, sandbox_path, why,
					       sizeof(why));
		if (!ok) {
			if (best_effort) {
				tree_views_add(&st->trees, tree, false, false, why);
				continue;
			}
			ret = err_set(e, 0, tree, "cannot isolate the tree '%s' (--isolate tree): %s",
				      tree, why);
			goto out;
		}
		char *upper, *work;
		if (overlay_layer_make(st, sandbox_fd, sandbox_path, &sst, tree, tree, true, &upper,
				       &work, e) < 0) {
			ret = -1;
			goto out;
		}
		mount_plan_add(&st->mounts, MOUNT_OVERLAY, tree, tree, upper, work);
		free(upper);
		free(work);
		tree_views_add(&st->trees, tree, false, true, NULL);
		made++;
	}
	if (!made)
		goto out;
	/* What stays the real thing, outer first as well. */
	for (size_t i = 0; i < shares->n; i++) {
		cleanup_free char *real = realpath(shares->v[i], NULL);
		const char *p = real ? real : shares->v[i];
		bool inside = false;
		for (size_t k = 0; k < trees->n && !inside; k++)
			inside = path_within(p, order[k]);
		struct stat sst;
		if (!inside) {
			/* Outside every tree it is the real thing anyway. */
			tree_views_add(&st->trees, p, true, false,
				       "it lies in no tree: nothing to share");
			continue;
		}
		if (lstat(p, &sst) < 0 || !(S_ISDIR(sst.st_mode) || S_ISREG(sst.st_mode))) {
			/* Nothing to bind: writes there land in the overlay, reported as shared. */
			tree_views_add(&st->trees, p, true, true,
				       "it is not a directory or file here");
			continue;
		}
		mount_plan_add(&st->mounts, MOUNT_BIND, p, p, NULL, NULL);
		tree_views_add(&st->trees, p, true, false, NULL);
	}
	sb = realpath(sandbox_path, NULL);
	for (size_t k = 0; k < trees->n; k++) {
		if (path_within(sb ? sb : sandbox_path, order[k])) {
			mount_plan_add(&st->mounts, MOUNT_BIND, sb ? sb : sandbox_path,
				       sb ? sb : sandbox_path, NULL, NULL);
			break;
		}
	}
out:
	free(sb);
	for (size_t i = 0; i < trees->n; i++)
		free(order[i]);
	free(order);
	return ret;
}

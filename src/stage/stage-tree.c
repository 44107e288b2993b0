/* SPDX-License-Identifier: MIT */
/*
 * --isolate tree: a shared tree (the source or build directory) as a private layer. Each tree
 * is the lower layer of an overlay mounted at the tree's own path in the test's mount
 * namespace, the upper and work directories in the sandbox (made as for a --copy overlay,
 * stage-overlay.c), so the test sees its tree where it always was, writable, and its writes
 * land in its sandbox. What must stay shared is bound back over the overlay, read-write: each
 * --share path, and the sandbox itself when it lies inside a tree (a --root under the source
 * directory): the test's own files, and isola's view of them, must be the real ones. The bind
 * sources are taken before the overlays hide them (mountns.h, MOUNT_BIND).
 */
#include <errno.h>
#include <stdarg.h>
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

static void say(struct stage *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct stage *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	xappendf(&st->trees, "; ", "%s", msg);
	free(msg);
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
				say(st, "tree '%s' stays shared: %s", tree, why);
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
		say(st, "tree '%s' as a private overlay", tree);
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
			say(st, "share '%s' lies in no tree: nothing to share", p);
			continue;
		}
		if (lstat(p, &sst) < 0 || !(S_ISDIR(sst.st_mode) || S_ISREG(sst.st_mode))) {
			/* Nothing to bind: writes there land in the overlay, reported as shared. */
			say(st, "share '%s' is not a directory or file here: its writes stay private",
			    p);
			continue;
		}
		mount_plan_add(&st->mounts, MOUNT_BIND, p, p, NULL, NULL);
		say(st, "'%s' shared", p);
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

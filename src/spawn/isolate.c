/* SPDX-License-Identifier: MIT */
#include "spawn/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/settings.h"

/* Can a namespace of this kind (mount only, or mount and network) be had here, and how? Probed
 * once per process by a throwaway child (spawn-ns.c) and remembered. */
struct ns_probe {
	bool done, ok, userns;
	char why[sizeof(((struct isola_error *)0)->message) + 256];
};

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ns_probe probes[2]; /* [0]: mount namespace, [1]: network namespace too */

static void probe_ns(bool net, struct ns_probe *out)
{
	const char *what = net ? "network" : "mount";
	if (env_flag("ISOLA_TEST_NO_NAMESPACES")) {
		snprintf(out->why, sizeof(out->why),
			 "namespaces are disabled (ISOLA_TEST_NO_NAMESPACES)");
		return;
	}
	struct mount_plan plan = MOUNT_PLAN_INIT;
	struct isola_error e = {0};
	mount_plan_set_root(&plan, "/");
	plan.net = net;
	/* Root makes the namespace directly; anyone else (and root without CAP_SYS_ADMIN, as in
	 * many containers) needs a user namespace for it. */
	if (geteuid() == 0 && mount_plan_probe(&plan, &e) == 0) {
		out->ok = true;
	} else if (env_flag("ISOLA_TEST_NO_USERNS")) {
		snprintf(out->why, sizeof(out->why),
			 "%s%sa %s namespace needs a user namespace here, and user namespaces are "
			 "disabled (ISOLA_TEST_NO_USERNS)",
			 geteuid() == 0 ? e.message : "", geteuid() == 0 ? ": " : "", what);
	} else {
		plan.userns = true;
		err_clear(&e);
		if (mount_plan_probe(&plan, &e) == 0)
			out->ok = out->userns = true;
		else
			snprintf(out->why, sizeof(out->why), "no %s namespace can be had here: %s%s%s",
				 what, e.message, e.code ? ": " : "", e.code ? strerror(e.code) : "");
	}
	mount_plan_release(&plan);
}

static struct ns_probe ns_available(bool net)
{
	pthread_mutex_lock(&probe_lock);
	struct ns_probe *p = &probes[net];
	if (!p->done) {
		probe_ns(net, p);
		p->done = true;
	}
	struct ns_probe r = *p;
	pthread_mutex_unlock(&probe_lock);
	return r;
}

/* The kinds made here (tree is staging's, stage-tree.c), and whether each needs a network
 * namespace. */
static const struct {
	int bit;
	bool net;
} kinds[] = {
	{ISO_TMP, false},
	{ISO_SHM, false},
	{ISO_NET, true},
};

const char *isolation_name(int bits, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int bit = ISO_TMP; bit <= ISO_TREE; bit <<= 1)
		if (bits & bit)
			at += (size_t)snprintf(buf + at, at < len ? len - at : 0, "%s%s",
					       at ? ", " : "", isolate_kind_name(bit));
	if (!at)
		snprintf(buf, len, "none");
	return buf;
}

/* A path a private /tmp must show at its own path. own: the test's (its sandbox, a tree's
 * private overlay); else the real thing, which a fenced test gets read-only (fence_plan()). */
struct keep {
	char *path; /* canonical; NULL: none */
	bool own;
};

/* Shorter first, NULLs last: an outer path is bound back before what lies inside it. */
static int by_length(const void *a, const void *b)
{
	const char *x = ((const struct keep *)a)->path, *y = ((const struct keep *)b)->path;
	if (!x || !y)
		return !x - !y;
	size_t m = strlen(x), n = strlen(y);
	return m < n ? -1 : m > n;
}

/*
 * Cover dir (/tmp) with the sandbox's name/ (made here, mode 1777: a test that becomes another
 * user must be able to write its /tmp too), then bind back each of keep[] that the cover would
 * hide, at its own path.
 */
static int cover(const struct isolate_paths *paths, const char *dir, const char *name,
		 const struct keep *keep, size_t nkeep, struct mount_plan *p, struct isola_error *e)
{
	char real[PATH_MAX];
	if (!realpath(dir, real))
		return err_set(e, errno, dir, "cannot make a private '%s'", dir);
	if (mkdirat(paths->sandbox_fd, name, 0700) < 0 && errno != EEXIST)
		return err_set(e, errno, name, "cannot create directory '%s' in the sandbox", name);
	if (fchmodat(paths->sandbox_fd, name, 01777, 0) < 0)
		return err_set(e, errno, name, "cannot make '%s' in the sandbox writable to all",
			       name);
	/* The program named through a symlink right in dir (/tmp/link/t.sh): the test execs that
	 * path, so its /tmp holds the same symlink, which resolves in its own view (a tree's
	 * overlay where the target lies in one). */
	size_t rl = strlen(real);
	const char *prog = paths->program;
	if (strncmp(prog, real, rl) == 0 && prog[rl] == '/' && strchr(prog + rl + 1, '/')) {
		const char *first = prog + rl + 1;
		int fl = (int)strcspn(first, "/");
		char to[PATH_MAX];
		char *at = xasprintf("%s/%.*s", real, fl, first);
		ssize_t n = readlink(at, to, sizeof(to) - 1);
		free(at);
		if (n > 0) {
			to[n] = '\0';
			char *in = xasprintf("%s/%.*s", name, fl, first);
			int err = symlinkat(to, paths->sandbox_fd, in) < 0 && errno != EEXIST ? errno : 0;
			free(in);
			if (err)
				return err_set(e, err, prog, "cannot make '%s/%.*s' in the sandbox", name,
					       fl, first);
		}
	}
	char *src = xasprintf("%s/%s", paths->sandbox, name);
	mount_plan_add(p, MOUNT_BIND, real, src, NULL, NULL);
	free(src);
	/* Outer paths first (keep[] is sorted by length): what lies inside one comes with it, but
	 * for a fenced test the test's own inside the real thing, which is read-only to it. */
	for (size_t i = 0; i < nkeep; i++) {
		const char *kp = keep[i].path;
		if (!kp || !path_within(kp, real) || strcmp(kp, real) == 0)
			continue;
		bool inside = false;
		for (size_t k = 0; k < i && !inside; k++)
			inside = keep[k].path && path_within(kp, keep[k].path) &&
				 path_within(keep[k].path, real) && strcmp(keep[k].path, real) != 0 &&
				 (keep[k].own || !keep[i].own || !paths->fenced);
		if (!inside)
			mount_plan_add(p, MOUNT_BIND, kp, kp, NULL, NULL);
	}
	return 0;
}

int isolate_plan(int want, const struct isolate_paths *paths, struct mount_plan *p,
		 struct isolation *got, struct isola_error *e)
{
	int named = want & ~ISO_ALL;
	int optional = want & ISO_ALL ? ISO_TMP | ISO_SHM | ISO_NET : 0;
	bool userns = false;
	got->got = 0;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		int bit = kinds[i].bit;
		const char *name = isolate_kind_name(bit);
		if (!((named | optional) & bit))
			continue;
		struct ns_probe pr = ns_available(kinds[i].net);
		if (pr.ok) {
			got->got |= bit;
			userns |= pr.userns;
		} else if (named & bit) {
			return err_set(e, 0, NULL, "cannot isolate %s: %s", name, pr.why);
		} else if (!got->why_not) {
			got->why_not = xasprintf("%s: %s", name, pr.why);
		} else {
			xasprintf_to(&got->why_not, "%s; %s: %s", got->why_not, name, pr.why);
		}
	}
	if (!got->got)
		return 0;
	if (!p->root)
		mount_plan_set_root(p, paths->sandbox);
	p->userns |= userns;

	/* What must stay visible at its own path: canonical, as the covers are. The sandbox, the
	 * program's directory, an absolute cwd, the sandboxes of the setups it requires, and each
	 * tree (stage-tree.c). Without the trees, one under /tmp is hidden from a test whose
	 * program lies elsewhere (isola repro --shell's is $SHELL): its bind back brings its
	 * overlay (and what is bound over that) with it, as a recursive bind of what lies
	 * beneath. */
	size_t nsetups = paths->setups ? paths->setups->n : 0, nkeep = 3 + nsetups;
	if (paths->trees)
		nkeep += paths->trees->n;
	struct keep *keep = xcalloc(nkeep, sizeof(*keep));
	char *prog = realpath(paths->program, NULL);
	keep[0] = (struct keep){realpath(paths->sandbox, NULL), true};
	int ret = 0;
	if (!keep[0].path)
		ret = err_set(e, errno, paths->sandbox, "cannot resolve the sandbox '%s'",
			      paths->sandbox);
	if (prog) {
		/* Its directory (a script finds its neighbours there), or itself where that
		 * directory is what is covered. */
		char *slash = strrchr(prog, '/');
		keep[1].path = slash && slash != prog ? strndup(prog, (size_t)(slash - prog)) : NULL;
		for (const char *d = "/tmp\0/var/tmp\0/dev/shm\0"; *d; d += strlen(d) + 1) {
			char real[PATH_MAX];
			if (keep[1].path && realpath(d, real) && strcmp(real, keep[1].path) == 0) {
				free(keep[1].path);
				keep[1].path = xstrdup(prog);
				break;
			}
		}
	}
	if (paths->cwd)
		keep[2].path = realpath(paths->cwd, NULL);
	/* A setup's sandbox that is gone already (removed after a failure) is not bound back. */
	for (size_t i = 0; i < nsetups; i++)
		keep[3 + i].path = realpath(paths->setups->v[i], NULL);
	/* Each tree: its private overlay (the test's own), or, where it could not have one (all),
	 * the real tree, which a private /tmp must not hide either. */
	for (size_t i = 0, k = 3 + nsetups; paths->trees && i < paths->trees->n; i++)
		if (!paths->trees->v[i].share)
			keep[k++] = (struct keep){xstrdup(paths->trees->v[i].path),
						  paths->trees->v[i].is_private};
	qsort(keep, nkeep, sizeof(*keep), by_length);
	if (ret == 0 && (got->got & ISO_TMP))
		ret = cover(paths, "/tmp", "tmp", keep, nkeep, p, e);
	if (ret == 0 && (got->got & ISO_TMP))
		ret = cover(paths, "/var/tmp", "var-tmp", keep, nkeep, p, e);
	if (ret == 0 && (got->got & ISO_SHM))
		ret = cover(paths, "/dev/shm", "shm", keep, nkeep, p, e);
	p->net = got->got & ISO_NET;
	free(prog);
	for (size_t i = 0; i < nkeep; i++)
		free(keep[i].path);
	free(keep);
	return ret;
}

void isolation_release(struct isolation *got)
{
	free(got->why_not);
	*got = (struct isolation)ISOLATION_INIT;
}

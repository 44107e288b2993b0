/* SPDX-License-Identifier: MIT */
/*
 * The shared-write report (writes.h): an overlay's upper layer, compared with its lower layer.
 * overlayfs records a deletion as a whiteout (a character device 0/0), a directory deleted and
 * made again as an opaque directory, and a renamed directory (redirect_dir=on) as a redirect,
 * in its xattrs: trusted.overlay.*, or user.overlay.* when mounted with userxattr
 * (Documentation/filesystems/overlayfs.rst). The walk runs after the test's processes are all
 * gone, so nothing changes under it.
 */
#include "stage/writes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

void overlay_layers_add(struct overlay_layers *l, const char *upper, const char *lower,
			const char *shown, bool tree, const struct stat *ust)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct overlay_layer){.upper = xstrdup(upper),
					      .lower = xstrdup(lower),
					      .shown = xstrdup(shown),
					      .tree = tree,
					      .dev = ust->st_dev,
					      .ino = ust->st_ino};
}

void overlay_layers_release(struct overlay_layers *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].upper);
		free(l->v[i].lower);
		free(l->v[i].shown);
	}
	free(l->v);
	*l = (struct overlay_layers){0};
}

static const char *const kind_names[WRITE__COUNT] = {
	[WRITE_CREATED] = "created", [WRITE_MODIFIED] = "modified", [WRITE_DELETED] = "deleted",
	[WRITE_RENAMED] = "renamed", [WRITE_CHMOD] = "chmod",
};

const char *write_kind_name(enum write_kind k)
{
	return (size_t)k < WRITE__COUNT ? kind_names[k] : "?";
}

int write_kind_parse(const char *name)
{
	for (int i = 0; i < WRITE__COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

void writes_add(struct writes *w, const char *path, enum write_kind kind, int64_t size,
		const char *from, bool tree, bool shared)
{
	w->total++;
	w->counts[kind]++;
	if (tree && !shared)
		w->in_tree++;
	if (w->n >= WRITES_MAX)
		return;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = (struct write){.path = xstrdup(path),
				      .kind = kind,
				      .size = size,
				      .from = from ? xstrdup(from) : NULL,
				      .tree = tree,
				      .shared = shared};
}

void writes_release(struct writes *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].from);
	}
	free(w->v);
	*w = (struct writes){0};
}

void writes_copy(struct writes *dst, const struct writes *src)
{
	writes_release(dst);
	for (size_t i = 0; i < src->n; i++) {
		const struct write *x = &src->v[i];
		writes_add(dst, x->path, x->kind, x->size, x->from, x->tree, x->shared);
	}
	/* What was found but not kept still counts (its kinds are those counted). */
	dst->total = src->total;
	memcpy(dst->counts, src->counts, sizeof(dst->counts));
	dst->in_tree = src->in_tree;
}

const char *writes_summary(const struct writes *w, char *buf, size_t len)
{
	int at = 0;
	buf[0] = '\0';
	for (int k = 0; k < WRITE__COUNT && at >= 0 && (size_t)at < len; k++)
		if (w->counts[k])
			at += snprintf(buf + at, len - (size_t)at, "%s%zu %s", at ? ", " : "",
				       w->counts[k], kind_names[k]);
	return buf;
}

/* --- the walk ----------------------------------------------------------------------------- */

#define WALK_DEPTH_MAX 256
/* Contents compared byte by byte only up to this size, and up to COMPARE_BUDGET bytes of files
 * in all per attempt (the walk runs on the scheduler's loop: a test that touched a big tree must
 * not hold up the others); past either, a file whose size is the same but whose mtime is not
 * counts as modified. */
#define COMPARE_MAX (16 << 20)
#define COMPARE_BUDGET (64 << 20)

struct walk {
	const struct overlay_layer *layer;
	const struct strv *shares;
	const char *xprefix; /* "trusted.overlay." or "user.overlay." */
	int lower_root;      /* fd of the layer's lower directory */
	struct writes *out;
	int64_t *budget;     /* bytes that may still be compared (COMPARE_BUDGET) */
	char rel[PATH_MAX];  /* the path below the layer's top, being walked ("" at the top) */
};

static void add(struct walk *w, const char *rel, enum write_kind kind, int64_t size,
		const char *from_rel)
{
	const struct overlay_layer *l = w->layer;
	char path[PATH_MAX + 256], from[3 * PATH_MAX + 256];
	snprintf(path, sizeof(path), "%s/%s", l->shown, rel);
	if (from_rel)
		snprintf(from, sizeof(from), "%s/%s", l->shown, from_rel);
	bool shared = false;
	for (size_t i = 0; l->tree && w->shares && i < w->shares->n && !shared; i++)
		shared = path_within(path, w->shares->v[i]);
	writes_add(w->out, path, kind, size, from_rel ? from : NULL, l->tree, shared);
}

/* An overlayfs xattr of fd ("opaque", "redirect") into buf; its length, or -1. */
static ssize_t ovl_xattr(const struct walk *w, int fd, const char *name, char *buf, size_t len)
{
	char full[64];
	snprintf(full, sizeof(full), "%s%s", w->xprefix, name);
	ssize_t n = fgetxattr(fd, full, buf, len - 1);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool same_bytes(int ufd, int lfd)
{
	char a[65536], b[65536];
	for (;;) {
		ssize_t n = read(ufd, a, sizeof(a));
		if (n < 0)
			return false;
		ssize_t m = 0;
		while (m < n) {
			ssize_t k = read(lfd, b + m, (size_t)(n - m));
			if (k <= 0)
				return false;
			m += k;
		}
		if (n == 0)
			return read(lfd, b, 1) == 0;
		if (memcmp(a, b, (size_t)n) != 0)
			return false;
	}
}

/* Same contents? Regular files of the same size (symlinks: the same target). */
static bool same_contents(const struct walk *w, int udfd, int ldfd, const char *name,
			  const struct stat *us, const struct stat *ls)
{
	if (S_ISLNK(us->st_mode)) {
		char a[PATH_MAX], b[PATH_MAX];
		ssize_t n = readlinkat(udfd, name, a, sizeof(a));
		ssize_t m = readlinkat(ldfd, name, b, sizeof(b));
		return n >= 0 && n == m && memcmp(a, b, (size_t)n) == 0;
	}
	if (!S_ISREG(us->st_mode))
		return true;
	if (us->st_size != ls->st_size)
		return false;
	/* A copy-up keeps the mtime; a write moves it. */
	if (us->st_mtim.tv_sec == ls->st_mtim.tv_sec && us->st_mtim.tv_nsec == ls->st_mtim.tv_nsec)
		return true;
	if (us->st_size > COMPARE_MAX || us->st_size > *w->budget)
		return false;
	*w->budget -= us->st_size;
	int ufd = openat(udfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int lfd = openat(ldfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat a, b;
	bool same = ufd >= 0 && lfd >= 0 && fstat(ufd, &a) == 0 && fstat(lfd, &b) == 0 &&
		    S_ISREG(a.st_mode) && S_ISREG(b.st_mode) && same_bytes(ufd, lfd);
	if (ufd >= 0)
		close(ufd);
	if (lfd >= 0)
		close(lfd);
	return same;
}

static bool same_meta(const struct stat *us, const struct stat *ls)
{
	return us->st_mode == ls->st_mode && us->st_uid == ls->st_uid && us->st_gid == ls->st_gid;
}

/* Walk the upper directory udfd (taken: closed here), whose lower is ldfd (-1: none, everything
 * in it is new). w->rel is its path below the top. */
static void walk_dir(struct walk *w, int udfd, int ldfd, unsigned depth)
{
	DIR *d = fdopendir(udfd);
	if (!d) {
		close(udfd);
		return;
	}
	size_t base = strlen(w->rel);
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (base + 1 + strlen(name) >= sizeof(w->rel))
			continue;
		snprintf(w->rel + base, sizeof(w->rel) - base, "%s%s", base ? "/" : "", name);
		struct stat us, ls;
		if (fstatat(udfd, name, &us, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		bool have_lower = ldfd >= 0 && fstatat(ldfd, name, &ls, AT_SYMLINK_NOFOLLOW) == 0;
		if (S_ISCHR(us.st_mode) && us.st_rdev == makedev(0, 0)) {
			add(w, w->rel, WRITE_DELETED, -1, NULL);
			continue;
		}
		if (!S_ISDIR(us.st_mode)) {
			int64_t size = S_ISREG(us.st_mode) ? (int64_t)us.st_size : -1;
			if (!have_lower)
				add(w, w->rel, WRITE_CREATED, size, NULL);
			else if ((us.st_mode & S_IFMT) != (ls.st_mode & S_IFMT) ||
				 !same_contents(w, udfd, ldfd, name, &us, &ls))
				add(w, w->rel, WRITE_MODIFIED, size, NULL);
			else
				add(w, w->rel, WRITE_CHMOD, size, NULL);
			continue;
		}
		int cfd = openat(udfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		char val[PATH_MAX];
		int clower = -1;
		if (ovl_xattr(w, cfd, "redirect", val, sizeof(val)) > 0) {
			/* Absolute: from the top of the layer; else a name in the same parent. */
			char from[2 * PATH_MAX + 2];
			if (val[0] == '/')
				snprintf(from, sizeof(from), "%s", val + 1);
			else
				snprintf(from, sizeof(from), "%.*s%s%s", (int)base, w->rel,
					 base ? "/" : "", val);
			/* What the test wrote: never a way out of the lower layer. */
			clower = open_beneath(w->lower_root, from[0] ? from : ".",
					      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			add(w, w->rel, WRITE_RENAMED, -1, from);
		} else if (ovl_xattr(w, cfd, "opaque", val, sizeof(val)) > 0 && val[0] == 'y') {
			if (have_lower)
				add(w, w->rel, WRITE_DELETED, -1, NULL);
			add(w, w->rel, WRITE_CREATED, -1, NULL);
		} else if (have_lower && S_ISDIR(ls.st_mode)) {
			clower = openat(ldfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (!same_meta(&us, &ls))
				add(w, w->rel, WRITE_CHMOD, -1, NULL);
		} else {
			add(w, w->rel, have_lower ? WRITE_MODIFIED : WRITE_CREATED, -1, NULL);
		}
		if (depth < WALK_DEPTH_MAX)
			walk_dir(w, cfd, clower, depth + 1);
		else
			close(cfd);
		if (clower >= 0)
			close(clower);
		w->rel[base] = '\0';
	}
	w->rel[base] = '\0';
	closedir(d);
}

int writes_collect(int sandbox_fd, const struct overlay_layers *l, const struct strv *shares,
		   struct writes *out, struct isola_error *e)
{
	int ret = 0;
	int64_t budget = COMPARE_BUDGET;
	for (size_t i = 0; i < l->n; i++) {
		struct walk *w = xcalloc(1, sizeof(*w));
		*w = (struct walk){.layer = &l->v[i],
				   .shares = shares,
				   .xprefix = l->userxattr ? "user.overlay." : "trusted.overlay.",
				   .out = out,
				   .budget = &budget};
		/* The test could have swapped .isola or .isola/N for a symlink. */
		int ufd = open_beneath(sandbox_fd, l->v[i].upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat ust;
		if (ufd >= 0 && (fstat(ufd, &ust) < 0 || ust.st_dev != l->v[i].dev ||
				 ust.st_ino != l->v[i].ino)) {
			close(ufd);
			ufd = -1;
			errno = ESTALE; /* not the directory isola made: the test put another there */
		}
		if (ufd < 0) {
			if (ret == 0 && l->v[i].tree) /* a --copy's writes are never a violation */
				ret = err_set(e, errno, l->v[i].upper,
					      "cannot read the overlay layer '%s'", l->v[i].upper);
			free(w);
			continue;
		}
		w->lower_root = open(l->v[i].lower, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		walk_dir(w, ufd, w->lower_root, 0);
		if (w->lower_root >= 0)
			close(w->lower_root);
		free(w);
	}
	return ret;
}

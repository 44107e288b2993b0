/* SPDX-License-Identifier: MIT */
/*
 * Removal walks the tree holding one directory fd at a time: a test may nest directories deeper
 * than isola may open files. Going down is openat(O_NOFOLLOW) on the same mount; coming back up
 * is openat(".."), checked against the device and inode recorded on the way down, so that a
 * directory renamed meanwhile cannot steer the walk elsewhere.
 */
#include "sandbox/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Identity of a directory: its mount (the mount id where the kernel tells it, else st_dev)
 * and its inode. */
struct ident {
	dev_t dev;
	ino_t ino;
	unsigned long long mnt_id;
	mode_t mode;
};

static int ident_at(int dfd, const char *name, struct ident *id)
{
#ifdef STATX_MNT_ID
	struct statx stx;
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &stx) == 0) {
		id->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		id->ino = stx.stx_ino;
		id->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
		id->mode = stx.stx_mode;
		return 0;
	}
	if (errno != ENOSYS)
		return -1;
#endif
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->mnt_id = 0;
	id->mode = st.st_mode;
	return 0;
}

static bool same_mount(const struct ident *a, const struct ident *b)
{
	return a->dev == b->dev && a->mnt_id == b->mnt_id;
}

static bool same_dir(const struct ident *a, const struct ident *b)
{
	return same_mount(a, b) && a->ino == b->ino;
}

/* One directory on the way down: who it is, and its subdirectories still to empty. */
struct level {
	char *name; /* its name in its parent */
	struct ident id;
	struct strv pending;
	size_t next;
};

struct rm_ctx {
	struct isola_error *e;
	bool failed;
	long budget;        /* entries still to remove before stopping; < 0: no limit */
	bool out_of_budget;
	struct ident top;   /* defines "the sandbox's filesystem" */
	char path[4096];    /* for messages only */
};

static void path_push(struct rm_ctx *c, const char *name)
{
	size_t plen = strlen(c->path);
	snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s", plen ? "/" : "", name);
}

static void path_pop(struct rm_ctx *c)
{
	char *slash = strrchr(c->path, '/');
	if (slash)
		*slash = '\0';
	else
		c->path[0] = '\0';
}

/* Record the first failure; name is an entry of the current directory, or NULL for itself. */
static void rm_fail(struct rm_ctx *c, int errnum, const char *name, const char *what)
{
	if (!c->failed) {
		if (name)
			path_push(c, name);
		err_set(c->e, errnum, c->path, "cannot remove '%s'%s", c->path, what);
		if (name)
			path_pop(c);
	}
	c->failed = true;
}

/*
 * Remove what can go at once in directory fd (files, symlinks, empty directories) and list the
 * directories that are not empty into lv->pending, for the walk to go into.
 */
static void sweep(struct rm_ctx *c, int fd, struct level *lv)
{
	int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		rm_fail(c, errno, NULL, "");
		return;
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (c->budget >= 0 && c->budget-- == 0) {
			c->out_of_budget = true;
			break;
		}
		/* readdir's type is a guess; rmdir and unlink never follow a symlink. */
		if (de->d_type == DT_DIR && unlinkat(fd, name, AT_REMOVEDIR) == 0)
			continue;
		if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
			continue;
		int saved = errno;
		struct ident id;
		if (ident_at(fd, name, &id) < 0) {
			rm_fail(c, errno, name, "");
			continue;
		}
		if (!S_ISDIR(id.mode)) {
			rm_fail(c, saved, name, "");
			continue;
		}
		if (!same_mount(&id, &c->top)) {
			rm_fail(c, 0, name,
				": it is a mount point; refusing to leave the sandbox's filesystem");
			continue;
		}
		strv_push(&lv->pending, name);
	}
	if (errno)
		rm_fail(c, errno, NULL, "");
	closedir(d);
}

/* Open subdirectory name of fd for the walk, giving ourselves access a test may have taken. */
static int enter(struct rm_ctx *c, int fd, const char *name, struct ident *id)
{
	if (ident_at(fd, name, id) < 0) {
		if (errno != ENOENT)
			rm_fail(c, errno, name, "");
		return -1;
	}
	if (!S_ISDIR(id->mode) || !same_mount(id, &c->top)) {
		rm_fail(c, 0, name, ": it changed while being removed");
		return -1;
	}
	/* A test may chmod 000 its directories: we own them, so give ourselves access back. */
	if ((id->mode & 0700) != 0700)
		(void)fchmodat(fd, name, 0700, AT_SYMLINK_NOFOLLOW);
	int cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0) {
		rm_fail(c, errno, name, "");
		return -1;
	}
	struct ident opened;
	if (ident_at(cfd, "", &opened) < 0 || !same_dir(&opened, id)) {
		close(cfd);
		rm_fail(c, 0, name, ": it changed while being removed");
		return -1;
	}
	return cfd;
}

static void level_release(struct level *lv)
{
	free(lv->name);
	strv_release(&lv->pending);
}

/* Empty the directory open as fd (taken over), whose identity is id, and then remove it as
 * `name` of dfd, unless name is NULL (then it stays, empty). */
static void rm_walk(struct rm_ctx *c, int fd, struct ident id, int dfd, const char *name)
{
	struct level *stack = NULL;
	size_t depth = 0, cap = 0;
	const char *entered = name ? name : ".";
	for (;;) {
		if (depth == cap) {
			cap = cap ? cap * 2 : 16;
			stack = xrealloc(stack, cap * sizeof(*stack));
		}
		struct level *lv = &stack[depth++];
		*lv = (struct level){.name = xstrdup(entered), .id = id};
		sweep(c, fd, lv);
		if (c->out_of_budget) {
			close(fd);
			break;
		}

		/* Go down into the next pending subdirectory, or up when there is none. */
		for (;;) {
			lv = &stack[depth - 1];
			if (lv->next < lv->pending.n) {
				const char *sub = lv->pending.v[lv->next++];
				int cfd = enter(c, fd, sub, &id);
				if (cfd < 0)
					continue;
				close(fd);
				fd = cfd;
				path_push(c, sub);
				entered = sub;
				break;
			}
			/* This directory is as empty as it gets: remove it from its parent. */
			if (depth == 1) {
				close(fd);
				fd = -1;
				if (name && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
					rm_fail(c, errno, NULL, "");
				break;
			}
			int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			struct ident pid;
			if (pfd < 0 || ident_at(pfd, "", &pid) < 0 ||
			    !same_dir(&pid, &stack[depth - 2].id)) {
				if (pfd >= 0)
					close(pfd);
				rm_fail(c, 0, NULL, ": its parent changed while being removed");
				close(fd);
				fd = -1;
				break;
			}
			close(fd);
			fd = pfd;
			char *child = xstrdup(lv->name);
			level_release(lv);
			depth--;
			path_pop(c);
			if (unlinkat(fd, child, AT_REMOVEDIR) < 0 && errno != ENOENT)
				rm_fail(c, errno, child, "");
			free(child);
		}
		if (fd < 0)
			break;
	}
	while (depth)
		level_release(&stack[--depth]);
	free(stack);
}

/* Empty the directory `name` of dfd and remove it. */
static void rm_dir(struct rm_ctx *c, int dfd, const char *name)
{
	struct ident id;
	/* enter() checks against c->top: the top defines it. c->path is "" until we are in. */
	if (ident_at(dfd, name, &c->top) < 0) {
		rm_fail(c, errno, name, "");
		return;
	}
	int fd = enter(c, dfd, name, &id);
	if (fd < 0)
		return;
	path_push(c, name);
	rm_walk(c, fd, id, dfd, name);
}

int rmtree_contents(int fd, const char *what, struct isola_error *e)
{
	struct rm_ctx c = {.e = e, .budget = -1};
	snprintf(c.path, sizeof(c.path), "%s", what);
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own < 0 || ident_at(own, "", &c.top) < 0) {
		err_set(e, errno, what, "cannot remove '%s'", what);
		if (own >= 0)
			close(own);
		return -1;
	}
	rm_walk(&c, own, c.top, -1, NULL);
	return c.failed ? -1 : 0;
}

int rmtree_at(int dfd, const char *name, struct isola_error *e)
{
	return rmtree_at_budget(dfd, name, -1, e);
}

int rmtree_at_budget(int dfd, const char *name, long budget, struct isola_error *e)
{
	struct rm_ctx c = {.e = e, .budget = budget};

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	int saved = errno;
	if (saved != EISDIR && saved != EPERM && saved != EACCES) {
		err_set(e, saved, name, "cannot remove '%s'", name);
		return -1;
	}
	struct ident id;
	if (ident_at(dfd, name, &id) < 0) {
		err_set(e, errno, name, "cannot remove '%s'", name);
		return -1;
	}
	if (!S_ISDIR(id.mode)) {
		err_set(e, saved, name, "cannot remove '%s'", name);
		return -1;
	}
	rm_dir(&c, dfd, name);
	return c.failed ? -1 : c.out_of_budget ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
#include "sandbox/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Identity of a directory's mount: the mount id where the kernel tells it, else st_dev. */
struct mnt_ident {
	dev_t dev;
	unsigned long long mnt_id;
};

static int ident_at(int dfd, const char *name, struct mnt_ident *id, mode_t *mode)
{
#ifdef STATX_MNT_ID
	struct statx stx;
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_MNT_ID,
		  &stx) == 0) {
		id->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		id->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
		*mode = stx.stx_mode;
		return 0;
	}
	if (errno != ENOSYS)
		return -1;
#endif
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
		return -1;
	id->dev = st.st_dev;
	id->mnt_id = 0;
	*mode = st.st_mode;
	return 0;
}

static bool same_mount(const struct mnt_ident *a, const struct mnt_ident *b)
{
	return a->dev == b->dev && a->mnt_id == b->mnt_id;
}

struct rm_ctx {
	struct isola_error *e;
	int failed;
	char path[4096]; /* for messages only */
};

static void rm_fail(struct rm_ctx *c, int errnum, const char *what)
{
	if (!c->failed)
		err_set(c->e, errnum, c->path, "cannot remove '%s'%s", c->path, what);
	c->failed = 1;
}

static void rm_dir_contents(struct rm_ctx *c, int dfd, const struct mnt_ident *mnt);

/*
 * Remove entry `name` of directory `dfd`, which lives on mount `mnt` (NULL: wherever it is).
 * `is_dir` is readdir's guess: an empty directory then goes in one rmdir, which never follows a
 * symlink and fails with EBUSY on a mount point.
 */
static void rm_entry(struct rm_ctx *c, int dfd, const char *name, const struct mnt_ident *mnt,
		     bool is_dir)
{
	size_t plen = strlen(c->path);
	snprintf(c->path + plen, sizeof(c->path) - plen, "%s%s", plen ? "/" : "", name);

	if (is_dir && unlinkat(dfd, name, AT_REMOVEDIR) == 0)
		goto out;
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		goto out;
	int saved = errno;
	if (saved != EISDIR && saved != EPERM && saved != EACCES) {
		rm_fail(c, saved, "");
		goto out;
	}

	struct mnt_ident id;
	mode_t mode;
	if (ident_at(dfd, name, &id, &mode) < 0) {
		rm_fail(c, errno, "");
		goto out;
	}
	if (!S_ISDIR(mode)) {
		rm_fail(c, saved, "");
		goto out;
	}
	if (!mnt)
		mnt = &id; /* the top of the tree defines "its filesystem" */
	if (!same_mount(&id, mnt)) {
		rm_fail(c, 0, ": it is a mount point; refusing to leave the sandbox's filesystem");
		goto out;
	}
	/* A test may chmod 000 its directories: we own them, so give ourselves access back. */
	if ((mode & 0700) != 0700)
		(void)fchmodat(dfd, name, 0700, 0);

	int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0) {
		rm_fail(c, errno, "");
		goto out;
	}
	/* The entry may have been swapped between the check and the open: check again. */
	struct mnt_ident opened;
	if (ident_at(cfd, "", &opened, &mode) < 0 || !same_mount(&opened, mnt)) {
		close(cfd);
		rm_fail(c, 0, ": it changed while being removed");
		goto out;
	}
	rm_dir_contents(c, cfd, mnt);
	close(cfd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rm_fail(c, errno, "");
out:
	c->path[plen] = '\0';
}

static void rm_dir_contents(struct rm_ctx *c, int dfd, const struct mnt_ident *mnt)
{
	int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lfd < 0) {
		rm_fail(c, errno, "");
		return;
	}
	DIR *d = fdopendir(lfd);
	if (!d) {
		close(lfd);
		rm_fail(c, errno, "");
		return;
	}
	struct dirent *de;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rm_fail(c, errno, "");
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rm_entry(c, dfd, de->d_name, mnt, de->d_type == DT_DIR);
	}
	closedir(d);
}

int rmtree_at(int dfd, const char *name, struct isola_error *e)
{
	struct rm_ctx c = {.e = e};
	rm_entry(&c, dfd, name, NULL, false);
	return c.failed ? -1 : 0;
}

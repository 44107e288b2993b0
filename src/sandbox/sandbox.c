/* SPDX-License-Identifier: MIT */
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/rmtree.h"

#define RUN_PREFIX "isola-"

const char *rundir_default_root(const char *explicit_root)
{
	const char *r = explicit_root;
	if (!r || !*r)
		r = getenv("ISOLA_ROOT");
	if (!r || !*r)
		r = getenv("TMPDIR");
	if (!r || !*r)
		r = "/tmp";
	return r;
}

static char *absolute(const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(p);
	return xasprintf("%s/%s", cwd, p);
}

int rundir_create(struct rundir *rd, const char *root, struct isola_error *e)
{
	*rd = (struct rundir)RUNDIR_INIT;
	rd->root = absolute(root);
	/* Strip trailing slashes so that paths stay short and tidy. */
	for (size_t n = strlen(rd->root); n > 1 && rd->root[n - 1] == '/'; n--)
		rd->root[n - 1] = '\0';

	char *tmpl = xasprintf("%s/" RUN_PREFIX "XXXXXX", rd->root);
	if (!mkdtemp(tmpl)) {
		int saved = errno;
		err_set(e, saved, rd->root,
			"cannot create a run directory under '%s' (pass --root DIR or set ISOLA_ROOT)",
			rd->root);
		free(tmpl);
		rundir_release(rd);
		return -1;
	}
	rd->path = tmpl;

	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)now_ns() ^ (uint32_t)getpid() << 16;
	snprintf(rd->id, sizeof(rd->id), "%s-%08x", tmpl + strlen(tmpl) - 6, rnd);

	rd->fd = open(rd->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rd->fd < 0 || flock(rd->fd, LOCK_EX | LOCK_NB) < 0)
		goto fail;
	/* The marker goes in only once the lock is held: see the header. */
	int lfd = openat(rd->fd, "lock", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0)
		goto fail;
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	(void)write_all(lfd, buf, (size_t)n);
	close(lfd);
	return 0;

fail:;
	int saved = errno;
	err_set(e, saved, rd->path, "cannot set up run directory '%s'", rd->path);
	(void)unlinkat(AT_FDCWD, rd->path, AT_REMOVEDIR);
	rundir_release(rd);
	errno = saved;
	return -1;
}

void rundir_release(struct rundir *rd)
{
	if (rd->fd >= 0)
		close(rd->fd);
	free(rd->root);
	free(rd->path);
	*rd = (struct rundir)RUNDIR_INIT;
}

int rundir_finish(struct rundir *rd, struct isola_error *e)
{
	int ret = 0;
	if (!rd->path)
		return 0;
	if (rd->kept) {
		if (renameat(rd->fd, "lock", rd->fd, "done") < 0)
			ret = err_set(e, errno, rd->path, "cannot mark run directory '%s' done", rd->path);
	} else {
		/* Our own tree: nothing in it may survive, so remove it whole. */
		struct isola_error e2 = {0};
		if (rmtree_at(AT_FDCWD, rd->path, &e2) < 0) {
			if (e)
				*e = e2;
			ret = -1;
		}
	}
	rundir_release(rd);
	return ret;
}

/* Is this entry of root a run directory we may remove? Returns an fd holding its lock, or -1. */
static int claim_dead_run(int rootfd, const char *name, bool finished)
{
	struct stat st;
	if (strncmp(name, RUN_PREFIX, strlen(RUN_PREFIX)) != 0)
		return -1;
	if (fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return -1;
	int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	bool crashed = faccessat(fd, "lock", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	bool done = finished && faccessat(fd, "done", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if ((!crashed && !done) || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int rundir_clean(const char *root, bool finished, unsigned *removed, struct isola_error *e)
{
	int ret = 0;
	*removed = 0;
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, errno, root, "cannot open sandbox root '%s'", root);
	}
	int lfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		int saved = errno;
		if (lfd >= 0)
			close(lfd);
		close(rootfd);
		return err_set(e, saved, root, "cannot read sandbox root '%s'", root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		int held = claim_dead_run(rootfd, de->d_name, finished);
		if (held < 0)
			continue;
		/* We hold its lock: no other cleaner races us, and its owner is gone. */
		struct isola_error e2 = {0};
		if (rmtree_at(rootfd, de->d_name, &e2) < 0) {
			if (!ret && e)
				*e = e2;
			ret = -1;
		} else {
			(*removed)++;
		}
		close(held);
	}
	closedir(d);
	close(rootfd);
	return ret;
}

int sandbox_create(struct sandbox *sb, struct rundir *rd, unsigned seq, struct isola_error *e)
{
	*sb = (struct sandbox)SANDBOX_INIT;
	char *tmpl = xasprintf("%s/%u-XXXXXX", rd->path, seq);
	if (!mkdtemp(tmpl)) {
		err_set(e, errno, rd->path, "cannot create a sandbox in '%s'", rd->path);
		free(tmpl);
		return -1;
	}
	sb->path = tmpl;
	sb->name = xstrdup(strrchr(tmpl, '/') + 1);
	sb->fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sb->fd < 0 || mkdirat(sb->fd, "tmp", 0700) < 0 || mkdirat(sb->fd, "home", 0700) < 0) {
		int saved = errno;
		err_set(e, saved, sb->path, "cannot set up sandbox '%s'", sb->path);
		(void)rmtree_at(rd->fd, sb->name, NULL);
		sandbox_release(sb);
		return -1;
	}
	return 0;
}

int sandbox_remove(struct sandbox *sb, struct rundir *rd, struct isola_error *e)
{
	return sandbox_remove_some(sb, rd, -1, e);
}

int sandbox_remove_some(struct sandbox *sb, struct rundir *rd, long budget, struct isola_error *e)
{
	if (!sb->name)
		return 0;
	int ret = rmtree_at_budget(rd->fd, sb->name, budget, e);
	if (ret == 1)
		return 1; /* more to remove: sb stays as it is */
	sandbox_release(sb);
	return ret < 0 ? -1 : 0;
}

void sandbox_keep(struct sandbox *sb, struct rundir *rd)
{
	rd->kept++;
	sandbox_release(sb);
}

void sandbox_release(struct sandbox *sb)
{
	if (sb->fd >= 0)
		close(sb->fd);
	free(sb->path);
	free(sb->name);
	*sb = (struct sandbox)SANDBOX_INIT;
}

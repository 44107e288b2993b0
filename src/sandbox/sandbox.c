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
/* The first line of a run directory's marker (lock, done); the run id follows ("id ..."). */
#define RUN_MAGIC "isola-run 1\n"

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
	char buf[128];
	int n = snprintf(buf, sizeof(buf), RUN_MAGIC "id %s\npid %ld\n", rd->id, (long)getpid());
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

/* Is marker (in the run directory fd, named name) one isola wrote for that directory? A regular
 * file of ours, small, starting with RUN_MAGIC and naming a run id made from the directory's
 * name. */
static bool marker_ours(int fd, const char *marker, const char *name)
{
	int mfd = openat(fd, marker, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (mfd < 0)
		return false;
	struct stat st;
	char buf[256];
	ssize_t n = -1;
	if (fstat(mfd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    st.st_size < (off_t)sizeof(buf))
		n = read(mfd, buf, sizeof(buf) - 1);
	close(mfd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "isola-run 1\nid XXXXXX-hhhhhhhh\n...": XXXXXX is the directory's own suffix. */
	const char *suffix = name + strlen(RUN_PREFIX);
	char want[64];
	snprintf(want, sizeof(want), RUN_MAGIC "id %s-", suffix);
	return strncmp(buf, want, strlen(want)) == 0;
}

/* A name mkdtemp could have made from RUN_PREFIX "XXXXXX". */
static bool run_name(const char *name)
{
	if (strncmp(name, RUN_PREFIX, strlen(RUN_PREFIX)) != 0)
		return false;
	const char *s = name + strlen(RUN_PREFIX);
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9')))
			return false;
	return n == 6;
}

/*
 * Is this entry of root a run directory we may remove? Only what isola can prove it made: the
 * name mkdtemp gave it, our own, mode 0700, with isola's marker for it (lock: a run that died;
 * done: one that ended keeping sandboxes, only when finished). Returns an fd holding its lock,
 * or -1.
 */
static int claim_dead_run(int rootfd, const char *name, bool finished)
{
	struct stat st;
	if (!run_name(name))
		return -1;
	int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
		close(fd);
		return -1;
	}
	bool crashed = marker_ours(fd, "lock", name);
	bool done = finished && marker_ours(fd, "done", name);
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
		/* We hold its lock: no other cleaner races us, and its owner is gone. What is
		 * removed is what we locked (through its fd), never what its name may meanwhile
		 * point at; the name goes only if it is still that directory (then empty). */
		struct isola_error e2 = {0};
		char *path = xasprintf("%s/%s", root, de->d_name);
		struct stat held_st, now_st;
		int r = rmtree_contents(held, path, &e2);
		if (r == 0) {
			bool same = fstat(held, &held_st) == 0 &&
				    fstatat(rootfd, de->d_name, &now_st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    held_st.st_dev == now_st.st_dev && held_st.st_ino == now_st.st_ino;
			if (!same)
				r = err_set(&e2, 0, path,
					    "cannot remove '%s': it was replaced while being removed",
					    path);
			else if (unlinkat(rootfd, de->d_name, AT_REMOVEDIR) < 0)
				r = err_set(&e2, errno, path, "cannot remove '%s'", path);
		}
		free(path);
		if (r < 0) {
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
	if (sb->fd < 0 || mkdirat(sb->fd, "tmp", 0700) < 0 || mkdirat(sb->fd, "home", 0700) < 0 ||
	    mkdirat(sb->fd, SANDBOX_OUTPUTS, 0700) < 0) {
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

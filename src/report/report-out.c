/* SPDX-License-Identifier: MIT */
#include "report/report-out.h"
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A random 6-character suffix for temporary names. */
static void random_suffix(char out[7])
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[6];
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		uint64_t x = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
		for (size_t i = 0; i < sizeof(r); i++, x >>= 5)
			r[i] = (unsigned char)x;
	}
	for (size_t i = 0; i < 6; i++)
		out[i] = chars[r[i] % (sizeof(chars) - 1)];
	out[6] = '\0';
}

/*
 * Find a free name ".BASE.XXXXXX" in dirfd for make(), which creates it and returns >= 0, or
 * -1 with errno (EEXIST: try another name). Returns make()'s result and sets *name.
 */
static int with_unique_name(int dirfd, const char *base, char **name,
                            int (*make)(int dirfd, const char *name, void *ctx), void *ctx)
{
	for (int tries = 0; tries < 100; tries++) {
		char sfx[7];
		random_suffix(sfx);
		char *n = xasprintf(".%s.%s", base, sfx);
		int r = make(dirfd, n, ctx);
		if (r >= 0) {
			*name = n;
			return r;
		}
		int saved = errno;
		free(n);
		if (saved != EEXIST) {
			errno = saved;
			return -1;
		}
	}
	errno = EEXIST;
	return -1;
}

static int make_file(int dirfd, const char *name, void *ctx)
{
	(void)ctx;
	return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

/* Create ".BASE.XXXXXX" in dirfd; returns its fd and sets *name, or -1 with errno. */
static int open_named_tmp(int dirfd, const char *base, char **name)
{
	return with_unique_name(dirfd, base, name, make_file, NULL);
}

static struct report_out *fail(struct report_out *o, int err, struct isola_error *e,
                               const char *why)
{
	if (why)
		err_set(e, 0, o->path, "cannot create %s '%s': %s", o->what, o->path, why);
	else
		err_set(e, err, o->path, "cannot create %s '%s'", o->what, o->path);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->base);
	free(o);
	return NULL;
}

struct report_out *report_out_open(const char *path, const char *what, struct isola_error *e)
{
	struct report_out *o = xcalloc(1, sizeof(*o));
	o->path = xstrdup(path);
	o->what = what;
	o->dirfd = -1;

	if (strcmp(path, "-") == 0) {
		o->is_stdout = o->in_place = true;
		o->fp = stdout;
		return o;
	}
	if (!*path)
		return fail(o, 0, e, "empty file name");

	const char *slash = strrchr(path, '/');
	char *dir = slash ? (slash == path ? xstrdup("/") : strndup(path, (size_t)(slash - path)))
	                  : xstrdup(".");
	o->base = xstrdup(slash ? slash + 1 : path);
	if (!*o->base || strcmp(o->base, ".") == 0 || strcmp(o->base, "..") == 0) {
		free(dir);
		return fail(o, EISDIR, e, NULL);
	}

	/* What is there now decides: a directory is an error; a device, a fifo or a symlink is
	 * written in place, through the link (/dev/stdout is a symlink to /proc/self/fd/1:
	 * replacing the link, or the file it reaches, would be wrong); a regular file is replaced
	 * at the end. */
	struct stat st, lst, dst;
	/* Never through a symlink another user planted in a sticky, world-writable directory
	 * (/tmp): that is how root is made to overwrite a file of the attacker's choosing. This is
	 * what fs.protected_symlinks does, whether or not the kernel has it on. */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && lst.st_uid != geteuid() &&
	    stat(dir, &dst) == 0 && (dst.st_mode & S_ISVTX) && (dst.st_mode & S_IWOTH) &&
	    lst.st_uid != dst.st_uid) {
		free(dir);
		char why[160];
		snprintf(why, sizeof(why),
		         "it is a symlink of another user's (uid %u) in a sticky, world-writable "
		         "directory; remove it or write the report elsewhere",
		         (unsigned)lst.st_uid);
		return fail(o, 0, e, why);
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			free(dir);
			return fail(o, EISDIR, e, NULL);
		}
		if (!S_ISREG(st.st_mode) || (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))) {
			free(dir);
			int fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
			if (fd < 0)
				return fail(o, errno, e, NULL);
			o->fp = fdopen(fd, "w");
			if (!o->fp) {
				int saved = errno;
				close(fd);
				return fail(o, saved, e, NULL);
			}
			o->in_place = true;
			return o;
		}
	}

	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (o->dirfd < 0)
		return fail(o, errno, e, NULL);
	int fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
		fd = open_named_tmp(o->dirfd, o->base, &o->tmp_name);
	if (fd < 0)
		return fail(o, errno, e, NULL);
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		int saved = errno;
		close(fd);
		if (o->tmp_name)
			unlinkat(o->dirfd, o->tmp_name, 0);
		free(o->tmp_name);
		return fail(o, saved, e, NULL);
	}
	return o;
}

static int make_link(int dirfd, const char *name, void *ctx)
{
	int fd = *(int *)ctx;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc's link works for everyone. */
	int r = linkat(fd, "", dirfd, name, AT_EMPTY_PATH);
	if (r < 0 && errno != EEXIST) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		r = linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
	}
	return r;
}

/* Give the O_TMPFILE file a name in dirfd: *name. */
static int link_tmpfile(struct report_out *o, char **name)
{
	int fd = fileno(o->fp);
	return with_unique_name(o->dirfd, o->base, name, make_link, &fd) < 0 ? -1 : 0;
}

void report_out_finish(struct report_out *o, bool written_ok, struct report_problems *problems)
{
	struct isola_error e = {0};
	if (!written_ok)
		err_set(&e, 0, o->path, "cannot write %s '%s'", o->what, o->path);
	if (!written_ok || report_out_commit(o, &e) < 0)
		strv_push(&problems->lines, e.message);
}

int report_out_commit(struct report_out *o, struct isola_error *e)
{
	if (o->done)
		return 0;
	o->done = true;
	if (fflush(o->fp) != 0 || ferror(o->fp))
		return err_set(e, errno ? errno : EIO, o->path, "cannot write %s '%s'", o->what,
		               o->path);
	if (o->in_place)
		return 0;

	char *name = o->tmp_name;
	o->tmp_name = NULL;
	if (!name && link_tmpfile(o, &name) < 0)
		return err_set(e, errno, o->path, "cannot write %s '%s'", o->what, o->path);
	if (renameat(o->dirfd, name, o->dirfd, o->base) < 0) {
		int saved = errno;
		unlinkat(o->dirfd, name, 0);
		free(name);
		return err_set(e, saved, o->path, "cannot write %s '%s'", o->what, o->path);
	}
	free(name);
	return 0;
}

void report_out_free(struct report_out *o)
{
	if (!o)
		return;
	if (o->is_stdout)
		fflush(stdout);
	else if (o->fp)
		fclose(o->fp); /* an uncommitted O_TMPFILE file vanishes with its last fd */
	if (o->tmp_name && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp_name, 0);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->tmp_name);
	free(o->path);
	free(o->base);
	free(o);
}

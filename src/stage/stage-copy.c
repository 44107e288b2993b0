/* SPDX-License-Identifier: MIT */
/*
 * The plain-copy strategy: fd-relative walk, copy_file_range with a read/write fallback.
 * Modes, mtimes and symlinks (as symlinks) are preserved; special files are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/stage.h"

#define COPY_CHUNK (1u << 20)

struct walk {
	struct isola_error *e;
	bool check_only;
	bool no_cfr; /* copy_file_range said no once: don't ask again */
	char path[4096]; /* the source path, for messages */
};

static int walk_fail(struct walk *w, int errnum, const char *what)
{
	return err_set(w->e, errnum, w->path, "cannot copy '%s'%s", w->path, what);
}

static int copy_data_rw(int in, int out)
{
	static __thread char *buf;
	if (!buf)
		buf = xmalloc(COPY_CHUNK);
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		if (write_all(out, buf, (size_t)n) < 0)
			return -1;
	}
}

static int copy_data(struct walk *w, int in, int out, off_t size)
{
	if (!w->no_cfr) {
		off_t done = 0;
		while (done < size) {
			ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && done == 0 &&
			    (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			     errno == EOPNOTSUPP || errno == EBADF)) {
				w->no_cfr = true;
				break;
			}
			if (n < 0)
				return -1;
			if (n == 0)
				break; /* the file shrank under us: copy what there is */
			done += n;
		}
		if (!w->no_cfr) {
			/* The file may have grown: finish with plain reads. */
			return copy_data_rw(in, out);
		}
	}
	return copy_data_rw(in, out);
}

/* Copy the open regular file `in` (closed here) to dname in dfd. */
static int copy_file(struct walk *w, int in, const struct stat *st, int dfd, const char *dname)
{
	if (w->check_only) {
		close(in);
		return 0;
	}
	int out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		int saved = errno;
		close(in);
		return walk_fail(w, saved, "");
	}
	int ret = 0;
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (copy_data(w, in, out, st->st_size) < 0 || fchmod(out, st->st_mode & 07777) < 0 ||
	    futimens(out, times) < 0)
		ret = walk_fail(w, errno, "");
	close(in);
	if (close(out) < 0 && ret == 0)
		ret = walk_fail(w, errno, "");
	return ret;
}

static int copy_symlink(struct walk *w, int sfd_dir, const char *sname, const struct stat *st,
			int dfd, const char *dname)
{
	char target[4096];
	ssize_t n = readlinkat(sfd_dir, sname, target, sizeof(target) - 1);
	if (n < 0)
		return walk_fail(w, errno, "");
	if (w->check_only)
		return 0;
	target[n] = '\0';
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (symlinkat(target, dfd, dname) < 0 ||
	    utimensat(dfd, dname, times, AT_SYMLINK_NOFOLLOW) < 0)
		return walk_fail(w, errno, "");
	return 0;
}

static int copy_entry(struct walk *w, int sfd_dir, const char *sname, const struct stat *st,
		      int dfd, const char *dname);

/* Copy the open directory `in` (closed here) to dname in dfd. */
static int copy_dir(struct walk *w, int in, const struct stat *st, int dfd, const char *dname)
{
	int ret = 0;
	int out = -1;
	if (!w->check_only) {
		if (mkdirat(dfd, dname, 0700) < 0 ||
		    (out = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			int saved = errno;
			close(in);
			return walk_fail(w, saved, "");
		}
	}
	int lfd = dup(in);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		ret = walk_fail(w, errno, "");
		if (lfd >= 0)
			close(lfd);
		goto out;
	}
	size_t plen = strlen(w->path);
	struct dirent *de;
	while (ret == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(w->path + plen, sizeof(w->path) - plen, "/%s", de->d_name);
		struct stat cst;
		if (fstatat(in, de->d_name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			ret = walk_fail(w, errno, "");
		else
			ret = copy_entry(w, in, de->d_name, &cst, out, de->d_name);
		w->path[plen] = '\0';
	}
	if (ret == 0 && errno)
		ret = walk_fail(w, errno, "");
	closedir(d);
	if (ret == 0 && !w->check_only) {
		/* Mode and mtime last: the copy itself touched both. */
		struct timespec times[2] = {st->st_atim, st->st_mtim};
		if (fchmod(out, st->st_mode & 07777) < 0 || futimens(out, times) < 0)
			ret = walk_fail(w, errno, "");
	}
out:
	close(in);
	if (out >= 0)
		close(out);
	return ret;
}

static const char *special_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "of unknown type";
}

static int copy_entry(struct walk *w, int sfd_dir, const char *sname, const struct stat *st,
		      int dfd, const char *dname)
{
	if (S_ISLNK(st->st_mode))
		return copy_symlink(w, sfd_dir, sname, st, dfd, dname);
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
		int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
		int in = openat(sfd_dir, sname, flags | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
		if (in < 0)
			return walk_fail(w, errno, "");
		return S_ISDIR(st->st_mode) ? copy_dir(w, in, st, dfd, dname)
					    : copy_file(w, in, st, dfd, dname);
	}
	char what[96];
	snprintf(what, sizeof(what), ": it is %s; only files, directories and symlinks are staged",
		 special_kind(st->st_mode));
	return walk_fail(w, 0, what);
}

int copy_tree(const char *src, int dst_dfd, const char *name, struct isola_error *e)
{
	struct walk w = {.e = e, .check_only = dst_dfd < 0};
	snprintf(w.path, sizeof(w.path), "%s", src);

	/* The resource itself may be a symlink: follow it, at the top only. */
	struct stat st;
	if (stat(src, &st) < 0)
		return walk_fail(&w, errno, "");
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return copy_entry(&w, AT_FDCWD, src, &st, dst_dfd, name);
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (in < 0)
		return walk_fail(&w, errno, "");
	return S_ISDIR(st.st_mode) ? copy_dir(&w, in, &st, dst_dfd, name)
				   : copy_file(&w, in, &st, dst_dfd, name);
}

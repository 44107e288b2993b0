/* SPDX-License-Identifier: MIT */
/*
 * The reflink and copy strategies: one fd-relative walk that makes an independent file for
 * every file of the source, by FICLONE where asked and the filesystem shares extents, else by
 * copy_file_range (which the kernel turns into a clone or an in-kernel copy), else read/write
 * with a large buffer. Holes stay holes. Modes, mtimes, symlinks (as symlinks) and, for root,
 * owners are preserved; special files are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/stage.h"

#define COPY_CHUNK (1u << 20)
#define SMALL_FILE (64 * 1024)

struct walk {
	struct isola_error *e;
	struct copy_opts o;
	struct copy_result *res;
	bool check_only;
	bool no_cfr;   /* copy_file_range said no once: don't ask again */
	bool no_clone; /* FICLONE said no once: don't ask again */
	bool chown;    /* we are root: give the copy the original's owner, as cp -a does */
	uid_t uid;
	gid_t gid;
	int umask;   /* -1: unknown */
	dev_t top_dev;
	char path[4096]; /* the source path, for messages */
};

static int walk_fail(struct walk *w, int errnum, const char *what)
{
	return err_set(w->e, errnum, w->path, "cannot copy '%s'%s", w->path, what);
}

static void note(struct walk *w, const struct stat *st)
{
	if (st->st_uid != w->uid || st->st_gid != w->gid)
		w->res->foreign = true;
	/* Directories only: on an overlay, files report their layer's device. */
	if (S_ISDIR(st->st_mode) && st->st_dev != w->top_dev)
		w->res->submounts = true;
}

static int copy_range_rw(int in, int out, off_t off, off_t end)
{
	static __thread char *buf;
	if (!buf)
		buf = xmalloc(COPY_CHUNK);
	while (off < end) {
		size_t want = end - off < (off_t)COPY_CHUNK ? (size_t)(end - off) : COPY_CHUNK;
		ssize_t n = pread(in, buf, want, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break; /* the file shrank under us: copy what there is */
		for (ssize_t done = 0; done < n;) {
			ssize_t m = pwrite(out, buf + done, (size_t)(n - done), off + done);
			if (m < 0 && errno == EINTR)
				continue;
			if (m < 0)
				return -1;
			done += m;
		}
		off += n;
	}
	return 0;
}

/* Copy bytes [off, end) of in to the same offsets of out. */
static int copy_range(struct walk *w, int in, int out, off_t off, off_t end)
{
	/* copy_file_range costs a pipe and a splice setup per call: for small files a plain
	 * read and write are cheaper (on tmpfs 3x), and it is no clone there anyway when
	 * FICLONE has just said no. */
	if (end - off <= SMALL_FILE && (!w->o.clone || w->no_clone))
		return copy_range_rw(in, out, off, end);
	while (!w->no_cfr && off < end) {
		loff_t oin = off, oout = off;
		ssize_t n = copy_file_range(in, &oin, out, &oout, (size_t)(end - off), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			      errno == EOPNOTSUPP || errno == EBADF)) {
			w->no_cfr = true;
			break;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			return 0; /* the file shrank under us: copy what there is */
		off += n;
	}
	return copy_range_rw(in, out, off, end);
}

/* The data of in (size bytes) into the empty out. */
static int copy_data(struct walk *w, int in, int out, const struct stat *st)
{
	off_t size = st->st_size;
	if (size == 0)
		return 0;
	w->res->files++;
	if (w->o.clone && !w->no_clone) {
		if (ioctl(out, FICLONE, in) == 0) {
			w->res->cloned++;
			return 0;
		}
		if (!w->res->clone_err)
			w->res->clone_err = errno;
		if (w->o.need_clone)
			return -1;
		w->no_clone = true;
	}
	/* Fewer blocks than the size needs: there are holes, copy only the data between them. */
	if ((off_t)st->st_blocks * 512 < size) {
		off_t pos = 0;
		while (pos < size) {
			off_t data = lseek(in, pos, SEEK_DATA);
			if (data < 0 && errno == ENXIO)
				break; /* a hole up to the end */
			if (data < 0)
				return copy_range(w, in, out, pos, size); /* no SEEK_DATA here */
			off_t hole = lseek(in, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
			if (copy_range(w, in, out, data, hole) < 0)
				return -1;
			pos = hole;
		}
		return ftruncate(out, size);
	}
	return copy_range(w, in, out, 0, size);
}

static mode_t copy_mode(const struct walk *w, mode_t m)
{
	return (m & 07777) & (w->o.readonly ? ~(mode_t)0222 : ~(mode_t)0);
}

/* The process's umask, read without changing it (umask(2) cannot just read; this must not
 * race other threads). -1 if unknown. */
static int read_umask(void)
{
	static int cached = -2;
	if (cached != -2)
		return cached;
	int found = -1;
	FILE *f = fopen("/proc/self/status", "re");
	if (f) {
		char line[128];
		unsigned m;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Umask: %o", &m) == 1)
				found = (int)m;
		fclose(f);
	}
	cached = found;
	return found;
}

/* The mode a new file can be created with so that no fchmod is needed, or 0600 when one is:
 * two thousand fchmods are a tenth of a copy of small files. */
static mode_t create_mode(const struct walk *w, const struct stat *st, bool *need_chmod)
{
	mode_t want = copy_mode(w, st->st_mode);
	*need_chmod = w->umask < 0 || (want & ~(mode_t)0777) || (want & (mode_t)w->umask) ||
		      (w->chown && (st->st_uid != w->uid || st->st_gid != w->gid));
	return *need_chmod ? 0600 : want;
}

/* Owner, then mode (chown clears set-id bits), then times: on the open copy. Each only where
 * the new file does not have it already. */
static int finish_attrs(struct walk *w, int fd, const struct stat *st, bool need_chmod)
{
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if (w->chown && (st->st_uid != w->uid || st->st_gid != w->gid) &&
	    fchown(fd, st->st_uid, st->st_gid) < 0)
		return -1;
	if (need_chmod && fchmod(fd, copy_mode(w, st->st_mode)) < 0)
		return -1;
	return futimens(fd, times);
}

/* Copy the open regular file `in` (closed here) to dname in dfd. */
static int copy_file(struct walk *w, int in, const struct stat *st, int dfd, const char *dname)
{
	if (w->check_only) {
		close(in);
		return 0;
	}
	bool need_chmod;
	mode_t mode = create_mode(w, st, &need_chmod);
	int out = openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		int saved = errno;
		close(in);
		return walk_fail(w, saved, "");
	}
	int ret = 0;
	if (copy_data(w, in, out, st) < 0)
		ret = w->o.need_clone && w->res->clone_err && w->res->cloned < w->res->files
			      ? err_set(w->e, errno, w->path,
					"cannot reflink '%s' (--stage reflink)", w->path)
			      : walk_fail(w, errno, "");
	else if (finish_attrs(w, out, st, need_chmod) < 0)
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
	    (w->chown && fchownat(dfd, dname, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) ||
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
	/* Owner, mode and mtime last: the copy itself touched them. */
	if (ret == 0 && !w->check_only && finish_attrs(w, out, st, true) < 0)
		ret = walk_fail(w, errno, "");
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
	note(w, st);
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

int copy_tree_opts(const char *src, int dst_dfd, const char *name, const struct copy_opts *opts,
		   struct copy_result *res, struct isola_error *e)
{
	struct copy_result scratch;
	struct walk w = {
		.e = e,
		.res = res ? res : &scratch,
		.check_only = dst_dfd < 0,
		.uid = geteuid(),
		.gid = getegid(),
	};
	if (opts)
		w.o = *opts;
	w.chown = w.uid == 0;
	w.umask = read_umask();
	*w.res = (struct copy_result){0};
	snprintf(w.path, sizeof(w.path), "%s", src);

	/* The resource itself may be a symlink: follow it, at the top only. */
	struct stat st;
	if (stat(src, &st) < 0)
		return walk_fail(&w, errno, "");
	w.top_dev = st.st_dev;
	w.res->is_dir = S_ISDIR(st.st_mode);
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return copy_entry(&w, AT_FDCWD, src, &st, dst_dfd, name);
	note(&w, &st);
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (in < 0)
		return walk_fail(&w, errno, "");
	return S_ISDIR(st.st_mode) ? copy_dir(&w, in, &st, dst_dfd, name)
				   : copy_file(&w, in, &st, dst_dfd, name);
}

int copy_tree(const char *src, int dst_dfd, const char *name, struct isola_error *e)
{
	return copy_tree_opts(src, dst_dfd, name, NULL, NULL, e);
}

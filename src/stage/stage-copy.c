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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stage/stage.h"

#define COPY_CHUNK (1u << 20)
#define CFR_CHUNK  (64 << 20)
#define SMALL_FILE (64 * 1024)
/* The files of a tree with this many files or more are copied by several threads
 * (stage_run_parallel()), so that one test's copy uses the CPUs its neighbours leave idle. */
#define PARALLEL_MIN_FILES   64
#define PARALLEL_RUN         32

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
	char *buf;       /* read/write buffer, COPY_CHUNK bytes, made on first use */
	/* Parallel copy (see copy_parallel()): the walk makes directories and symlinks and
	 * defers files and directory attributes to these lists. rel is the path below the top. */
	bool defer;
	struct job *files, *dirs;
	size_t nfiles, ndirs, files_cap, dirs_cap;
	char rel[4096];
	char path[4096]; /* the source path, for messages */
};

/* A deferred file or directory, by its path below the top of both trees. A file the
 * directory listing said is regular has st_mode 0: it is stat'ed once open, through its fd,
 * which spares a path lookup per file. */
struct job {
	char *rel;
	struct stat st;
};

static void push_job(struct job **v, size_t *n, size_t *cap, const char *rel,
		     const struct stat *st)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = (struct job){.rel = xstrdup(rel), .st = *st};
}

static int walk_fail(struct walk *w, int errnum, const char *what)
{
	return err_set(w->e, errnum, w->path, "cannot copy '%s'%s", w->path, what);
}

static void note(struct walk *w, const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		w->res->bytes += (unsigned long long)st->st_size;
	if (st->st_uid != w->uid || st->st_gid != w->gid)
		w->res->foreign = true;
	/* Directories only: on an overlay, files report their layer's device. */
	if (S_ISDIR(st->st_mode) && st->st_dev != w->top_dev)
		w->res->submounts = true;
}

static int copy_range_rw(struct walk *w, int in, int out, off_t off, off_t end)
{
	if (!w->buf)
		w->buf = xmalloc(COPY_CHUNK);
	char *buf = w->buf;
	while (off < end) {
		if (stage_cancelled()) {
			errno = ECANCELED;
			return -1;
		}
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
		return copy_range_rw(w, in, out, off, end);
	while (!w->no_cfr && off < end) {
		if (stage_cancelled()) {
			errno = ECANCELED;
			return -1;
		}
		/* In chunks (a clone is one call anyway): a cancel is seen between them. */
		size_t want = end - off < CFR_CHUNK ? (size_t)(end - off) : CFR_CHUNK;
		loff_t oin = off, oout = off;
		ssize_t n = copy_file_range(in, &oin, out, &oout, want, 0);
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
	return copy_range_rw(w, in, out, off, end);
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
	static int cached = -2; /* threads may race to fill it: with the same value */
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (c != -2)
		return c;
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
	__atomic_store_n(&cached, found, __ATOMIC_RELAXED);
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
	int lfd = fcntl(in, F_DUPFD_CLOEXEC, 3);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		ret = walk_fail(w, errno, "");
		if (lfd >= 0)
			close(lfd);
		goto out;
	}
	size_t plen = strlen(w->path), rlen = strlen(w->rel);
	struct dirent *de;
	while (ret == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (stage_cancelled() && !w->check_only) {
			ret = walk_fail(w, ECANCELED, "");
			break;
		}
		w->res->entries++;
		snprintf(w->path + plen, sizeof(w->path) - plen, "/%s", de->d_name);
		int rn = snprintf(w->rel + rlen, sizeof(w->rel) - rlen, "%s%s", rlen ? "/" : "",
				  de->d_name);
		/* Deferred files are reopened by this relative path: a cut one would name another
		 * file. Refuse rather than guess. */
		if (rn < 0 || (size_t)rn >= sizeof(w->rel) - rlen) {
			ret = walk_fail(w, ENAMETOOLONG, "");
			break;
		}
		struct stat cst;
		if (w->defer && !w->check_only && de->d_type == DT_REG) {
			cst.st_mode = 0;
			push_job(&w->files, &w->nfiles, &w->files_cap, w->rel, &cst);
		} else if (fstatat(in, de->d_name, &cst, AT_SYMLINK_NOFOLLOW) < 0)
			ret = walk_fail(w, errno, "");
		else if (w->defer && S_ISREG(cst.st_mode)) {
			note(w, &cst);
			push_job(&w->files, &w->nfiles, &w->files_cap, w->rel, &cst);
		} else
			ret = copy_entry(w, in, de->d_name, &cst, out, de->d_name);
		w->path[plen] = '\0';
		w->rel[rlen] = '\0';
	}
	if (ret == 0 && errno)
		ret = walk_fail(w, errno, "");
	closedir(d);
	/* Owner, mode and mtime last: the copy itself touched them. Deferred: after the files,
	 * children before parents (this is post-order). */
	if (ret == 0 && w->defer)
		push_job(&w->dirs, &w->ndirs, &w->dirs_cap, rlen ? w->rel : ".", st);
	else if (ret == 0 && !w->check_only && finish_attrs(w, out, st, true) < 0)
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

/* --- the parallel part -------------------------------------------------------------------- */

struct pool {
	struct walk *w; /* the walk that made the lists; its results are merged into */
	const char *src;
	int src_top, dst_top;
	size_t next; /* the next file to take (atomic) */
	int failed;  /* atomic */
	pthread_mutex_t lock;
};

static void *copy_worker(void *arg)
{
	struct pool *p = arg;
	const struct walk *w = p->w;
	struct isola_error e = {0};
	struct copy_result res = {0};
	struct walk lw = {
		.e = &e, .o = w->o, .res = &res, .chown = w->chown,
		.uid = w->uid, .gid = w->gid, .umask = w->umask, .top_dev = w->top_dev,
	};
	/* Runs of neighbouring files (mostly one directory's) per take: threads creating files
	 * in the same directory would queue on its lock. */
	size_t i = 0, end = 0;
	for (;;) {
		if (i == end) {
			i = __atomic_fetch_add(&p->next, PARALLEL_RUN, __ATOMIC_RELAXED);
			end = i + PARALLEL_RUN < w->nfiles ? i + PARALLEL_RUN : w->nfiles;
		}
		if (i >= w->nfiles || __atomic_load_n(&p->failed, __ATOMIC_RELAXED))
			break;
		if (stage_cancelled()) {
			walk_fail(&lw, ECANCELED, "");
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			break;
		}
		const struct job *j = &w->files[i++];
		snprintf(lw.path, sizeof(lw.path), "%s/%s", p->src, j->rel);
		/* O_NONBLOCK: a fifo put in a file's place since the listing must not hang us. */
		int in = open_beneath(p->src_top, j->rel,
				      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		struct stat st = j->st;
		int r;
		if (in < 0)
			r = walk_fail(&lw, errno, "");
		else if (st.st_mode == 0 && fstat(in, &st) < 0) {
			int saved = errno;
			close(in);
			r = walk_fail(&lw, saved, "");
		} else if (!S_ISREG(st.st_mode)) {
			close(in);
			r = walk_fail(&lw, 0, ": it is no longer a regular file");
		} else {
			if (j->st.st_mode == 0)
				note(&lw, &st); /* the walk noted those it stat'ed */
			r = copy_file(&lw, in, &st, p->dst_top, j->rel);
		}
		if (r < 0) {
			__atomic_store_n(&p->failed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	free(lw.buf);
	pthread_mutex_lock(&p->lock);
	p->w->res->files += res.files;
	p->w->res->cloned += res.cloned;
	p->w->res->foreign |= res.foreign;
	p->w->res->bytes += res.bytes;
	if (!p->w->res->clone_err)
		p->w->res->clone_err = res.clone_err;
	if (e.message[0] && p->w->e && !p->w->e->message[0])
		*p->w->e = e;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Copy the deferred files, by several threads where it pays, then give the directories their
 * attributes, children first. */
static int copy_deferred(struct walk *w, const char *src, int src_top, int dst_top)
{
	struct pool p = {.w = w, .src = src, .src_top = src_top, .dst_top = dst_top,
			 .lock = PTHREAD_MUTEX_INITIALIZER};
	stage_run_parallel(w->nfiles >= PARALLEL_MIN_FILES ? STAGE_MAX_THREADS : 1, copy_worker,
			   &p);
	if (p.failed)
		return -1;
	for (size_t i = 0; i < w->ndirs; i++) {
		const struct job *j = &w->dirs[i];
		int fd = open_beneath(dst_top, j->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || finish_attrs(w, fd, &j->st, true) < 0) {
			snprintf(w->path, sizeof(w->path), "%s/%s", src, j->rel);
			int saved = errno;
			if (fd >= 0)
				close(fd);
			return walk_fail(w, saved, "");
		}
		close(fd);
	}
	return 0;
}

static void free_jobs(struct walk *w)
{
	for (size_t i = 0; i < w->nfiles; i++)
		free(w->files[i].rel);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].rel);
	free(w->files);
	free(w->dirs);
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
	int ret;
	if (!S_ISDIR(st.st_mode)) {
		ret = copy_file(&w, in, &st, dst_dfd, name);
	} else if (w.check_only) {
		ret = copy_dir(&w, in, &st, dst_dfd, name);
	} else {
		/* The walk makes the directories and symlinks; the files follow, in parallel. */
		w.defer = true;
		int src_top = fcntl(in, F_DUPFD_CLOEXEC, 3), dst_top = -1;
		ret = src_top < 0 ? walk_fail(&w, errno, "") : copy_dir(&w, in, &st, dst_dfd, name);
		if (ret == 0) {
			dst_top = openat(dst_dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			ret = dst_top < 0 ? walk_fail(&w, errno, "")
					  : copy_deferred(&w, src, src_top, dst_top);
		}
		if (src_top >= 0)
			close(src_top);
		if (dst_top >= 0)
			close(dst_top);
		free_jobs(&w);
	}
	free(w.buf);
	return ret;
}

int copy_tree(const char *src, int dst_dfd, const char *name, struct isola_error *e)
{
	return copy_tree_opts(src, dst_dfd, name, NULL, NULL, e);
}

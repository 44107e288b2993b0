/* SPDX-License-Identifier: MIT */
#include "spawn/mountns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

void mount_plan_set_root(struct mount_plan *p, const char *root)
{
	free(p->root);
	p->root = xstrdup(root);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void mount_plan_add(struct mount_plan *p, enum mount_op_kind kind, const char *target,
		    const char *src, const char *upper, const char *work)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = (struct mount_op){
		.kind = kind,
		.target = xstrdup(target),
		.src = dup_or_null(src),
		.upper = dup_or_null(upper),
		.work = dup_or_null(work),
	};
}

void mount_plan_release(struct mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].target);
		free(p->v[i].src);
		free(p->v[i].upper);
		free(p->v[i].work);
	}
	free(p->v);
	free(p->root);
	*p = (struct mount_plan)MOUNT_PLAN_INIT;
}

void mount_exec_prepare(struct mount_exec *x, const struct mount_plan *p)
{
	*x = (struct mount_exec){.plan = p, .userns = p->userns};
	snprintf(x->uid_map, sizeof(x->uid_map), "%u %u 1", (unsigned)geteuid(),
		 (unsigned)geteuid());
	snprintf(x->gid_map, sizeof(x->gid_map), "%u %u 1", (unsigned)getegid(),
		 (unsigned)getegid());
}

bool mount_plan_used(const struct mount_plan *p)
{
	return p && (p->n || p->net);
}

int mount_exec_clone_flags(const struct mount_exec *x)
{
	/* A plan with only net needs no mount namespace: not making one saves copying every
	 * mount of the caller's (most of --isolate net's cost otherwise). */
	bool mounts = x->plan->n || !x->plan->net;
	return (mounts ? CLONE_NEWNS : 0) | (x->userns ? CLONE_NEWUSER : 0) |
	       (x->plan->net ? CLONE_NEWNET : 0);
}

/* --- the child: async-signal-safe from here on (no malloc, no stdio, no locks) ------------- */

static size_t str_put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		buf[at++] = *s++;
	buf[at] = '\0';
	return at;
}

static size_t fd_path(char *buf, size_t cap, int fd)
{
	char digits[16];
	size_t n = 0, at = str_put(buf, 0, cap, "/proc/self/fd/");
	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) && n < sizeof(digits));
	while (n && at + 1 < cap)
		buf[at++] = digits[--n];
	buf[at] = '\0';
	return at;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Walk target (relative to dfd) down to its last component without following a symlink on the
 * way (an earlier op may have mounted a tree full of them), creating directories if mkdir.
 * Returns an O_PATH fd of the parent and copies the last component into leaf.
 */
static int walk_parent(int dfd, const char *target, bool mkdir_too, char *leaf, size_t leafcap)
{
	int cur = dfd;
	const char *p = target;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= leafcap) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(leaf, p, len);
		leaf[len] = '\0';
		if (!slash)
			return cur == dfd ? fcntl(dfd, F_DUPFD_CLOEXEC, 3) : cur;
		if (mkdir_too && mkdirat(cur, leaf, 0755) < 0 && errno != EEXIST)
			goto fail;
		int next = openat(cur, leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			goto fail;
		if (cur != dfd)
			close(cur);
		cur = next;
		p = slash + 1;
	}
fail:;
	int saved = errno;
	if (cur != dfd)
		close(cur);
	errno = saved;
	return -1;
}

/* The path through which mount(2) reaches leaf of the directory pfd: the kernel resolves
 * /proc/self/fd/N to exactly that directory, and then the leaf in it. */
static void target_path(char *buf, size_t cap, int pfd, const char *leaf)
{
	size_t at = fd_path(buf, cap, pfd);
	at = str_put(buf, at, cap, "/");
	str_put(buf, at, cap, leaf);
}

/* An O_PATH fd of path in the child's own namespace (see struct mount_exec). */
static int open_path(const char *path, bool dir)
{
	return open(path, O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
}

/* "lowerdir=/proc/self/fd/L,upperdir=/proc/self/fd/U,workdir=/proc/self/fd/W[,opt]": fds
 * need no escaping of the ',' and ':' a path may hold, and no page-sized option limit. */
static void overlay_data(char *buf, size_t cap, int l, int u, int w, const char *extra)
{
	char fdp[32];
	size_t at = str_put(buf, 0, cap, "lowerdir=");
	fd_path(fdp, sizeof(fdp), l);
	at = str_put(buf, at, cap, fdp);
	at = str_put(buf, at, cap, ",upperdir=");
	fd_path(fdp, sizeof(fdp), u);
	at = str_put(buf, at, cap, fdp);
	at = str_put(buf, at, cap, ",workdir=");
	fd_path(fdp, sizeof(fdp), w);
	at = str_put(buf, at, cap, fdp);
	str_put(buf, at, cap, extra);
}

/* A new network namespace has a loopback device, down: bring it up (127.0.0.1 and, where IPv6
 * is on, ::1 come with it). */
static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	str_put(ifr.ifr_name, 0, sizeof(ifr.ifr_name), "lo");
	int ret = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (ret == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(s);
	errno = saved;
	return ret;
}

/* The mount point of a MOUNT_BIND: made if missing (a file for a file), else what isola made. */
static int bind_leaf(int pfd, const char *leaf, int src_fd)
{
	struct stat sst, st;
	if (fstat(src_fd, &sst) < 0)
		return -1;
	bool dir = S_ISDIR(sst.st_mode);
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -1;
		if (dir)
			return mkdirat(pfd, leaf, 0755) < 0 && errno != EEXIST ? -1 : 0;
		int fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		close(fd);
		return 0;
	}
	if (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))
		return 0;
	errno = S_ISLNK(st.st_mode) ? ELOOP : dir ? ENOTDIR : EISDIR;
	return -1;
}

/* Make the bind mount at tpath (of src_fd) read-only all the way down, mounts inside the source
 * included. */
static int read_only(const char *tpath, int src_fd)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	int ret = (int)syscall(SYS_mount_setattr, AT_FDCWD, tpath, AT_RECURSIVE, &attr,
			       sizeof(attr));
	if (ret < 0 && errno == ENOSYS) {
		/* Before Linux 5.12: the top mount only. A remount must repeat the flags the kernel
		 * locked on the source's mount, or it is refused in a user namespace. */
		struct statfs sf;
		unsigned long keep = 0;
		if (fstatfs(src_fd, &sf) == 0) /* ST_* flags have the MS_* values */
			keep = (unsigned long)sf.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC |
							    MS_NOATIME | MS_NODIRATIME |
							    MS_RELATIME);
		ret = mount(NULL, tpath, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL);
	}
	return ret;
}

/* Is op's source opened before any op is made (mount_exec_apply)? */
static bool early_src(const struct mount_op *op)
{
	return op->kind == MOUNT_BIND || (op->kind == MOUNT_OVERLAY && op->target[0] == '/');
}

static int apply_op(const struct mount_exec *x, int root_fd, size_t i, int src_fd)
{
	const struct mount_plan *p = x->plan;
	const struct mount_op *op = &p->v[i];
	char leaf[256], tpath[512], spath[64], data[256];
	struct stat st;
	int fds[3] = {-1, -1, -1};
	/* An absolute target is a path of the test's whole view (/tmp), walked from / as a
	 * relative one is from the plan's root, never following a symlink. */
	bool absolute = op->target[0] == '/';
	int top = absolute ? open_path("/", true) : root_fd;
	if (top < 0)
		return -1;
	int pfd = walk_parent(top, absolute ? op->target + 1 : op->target,
	                      op->kind == MOUNT_MKDIR || op->kind == MOUNT_BIND,
	                      leaf, sizeof(leaf));
	if (absolute) {
		int saved = errno;
		close(top);
		errno = saved;
	}
	if (pfd < 0)
		return -1;
	int ret = -1;
	if (op->kind == MOUNT_MKDIR) {
		if (mkdirat(pfd, leaf, 0755) == 0)
			ret = 0;
		else if (errno == EEXIST && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			 S_ISDIR(st.st_mode))
			ret = 0;
		else if (errno == EEXIST)
			errno = ENOTDIR;
		goto out;
	}
	if (op->kind == MOUNT_BIND) {
		if (bind_leaf(pfd, leaf, src_fd) < 0)
			goto out;
		target_path(tpath, sizeof(tpath), pfd, leaf);
		fd_path(spath, sizeof(spath), src_fd);
		ret = mount(spath, tpath, NULL, MS_BIND | MS_REC, NULL);
		if (ret == 0 && op->ro)
			ret = read_only(tpath, src_fd);
		goto out;
	}
	/* The mount point must be what isola made: a directory, or a file for a bound file. */
	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (!S_ISDIR(st.st_mode) && !(op->kind != MOUNT_OVERLAY && S_ISREG(st.st_mode))) {
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
		goto out;
	}
	target_path(tpath, sizeof(tpath), pfd, leaf);
	if (op->kind == MOUNT_OVERLAY) {
		if ((src_fd < 0 && (fds[0] = open_path(op->src, true)) < 0) ||
		    (fds[1] = open_path(op->upper, true)) < 0 ||
		    (fds[2] = open_path(op->work, true)) < 0)
			goto out;
		/* userxattr is what overlayfs requires in a user namespace; redirect_dir=on (root
		 * only) lets a directory of the lower layer be renamed. Not volatile: a volatile
		 * upper refuses a second mount of the same work dir (isola's tests do remount). */
		overlay_data(data, sizeof(data), src_fd >= 0 ? src_fd : fds[0], fds[1], fds[2],
			     p->userns ? ",userxattr" : p->overlay_redirect ? ",redirect_dir=on" : "");
		ret = mount("overlay", tpath, "overlay", 0, data);
		goto out;
	}
	if ((fds[0] = open_path(op->src, false)) < 0)
		goto out;
	fd_path(spath, sizeof(spath), fds[0]);
	if (mount(spath, tpath, NULL, MS_BIND | MS_REC, NULL) < 0)
		goto out;
	ret = read_only(tpath, fds[0]);
out:;
	int saved = errno;
	close(pfd);
	for (int k = 0; k < 3; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	errno = saved;
	return ret;
}

int mount_exec_apply(const struct mount_exec *x, struct mount_failure *f)
{
	f->op = -1;
	f->err = 0;
	if (x->userns) {
		/* Map our own ids to themselves and nothing else: the program keeps its uid and gid,
		 * and files of other users show as the overflow ids (nobody). setgroups must be
		 * denied before an unprivileged process may write gid_map. */
		if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
			goto fail;
		if (write_file("/proc/self/uid_map", x->uid_map) < 0 ||
		    write_file("/proc/self/gid_map", x->gid_map) < 0)
			goto fail;
	}
	/* Nothing mounted here may propagate back to isola's namespace, even if / is shared. */
	if (!(mount_exec_clone_flags(x) & CLONE_NEWNS))
		goto net;
	if (!x->slave_already && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		goto fail;
	/* Opened only now: a path opened before the clone is in isola's namespace. */
	int root_fd = x->plan->n ? open_path(x->plan->root, true) : -1;
	if (x->plan->n && root_fd < 0)
		goto fail;
	/* Every bind's source before any op: a bind over /tmp hides what lies under it. So is
	 * the lower of a tree's overlay (an absolute target): a tree inside another is then the
	 * real directory, not the outer overlay's view of it (an overlay of an overlay, which
	 * overlayfs refuses where the real tree is on overlayfs already: a container's root). */
	int binds[MOUNT_BIND_MAX];
	size_t nb = 0, k = 0;
	for (size_t i = 0; i < x->plan->n; i++) {
		if (!early_src(&x->plan->v[i]))
			continue;
		f->op = (int)i;
		if (nb == MOUNT_BIND_MAX) {
			errno = E2BIG;
			goto fail_ops;
		}
		if ((binds[nb] = open_path(x->plan->v[i].src,
					   x->plan->v[i].kind == MOUNT_OVERLAY)) < 0)
			goto fail_ops;
		nb++;
	}
	for (size_t i = 0; i < x->plan->n; i++) {
		bool early = early_src(&x->plan->v[i]);
		if (apply_op(x, root_fd, i, early ? binds[k] : -1) < 0) {
			f->op = (int)i;
			goto fail_ops;
		}
		k += early;
	}
	for (size_t i = 0; i < nb; i++)
		close(binds[i]);
	if (root_fd >= 0)
		close(root_fd);
net:
	if (x->plan->net && loopback_up() < 0) {
		f->op = MOUNT_FAIL_LO;
		goto fail;
	}
	return 0;
fail_ops:
	f->err = errno;
	for (size_t i = 0; i < nb; i++)
		close(binds[i]);
	if (root_fd >= 0)
		close(root_fd);
	return -1;
fail:
	f->err = errno;
	return -1;
}

int mount_failure_describe(const struct mount_plan *p, const struct mount_failure *f,
			   struct isola_error *e)
{
	if (f->op == MOUNT_FAIL_LO)
		return err_set(e, f->err, NULL,
			       "cannot bring up the loopback device of the test's network namespace");
	if (f->op < 0 || (size_t)f->op >= p->n)
		return err_set(e, f->err, NULL, "cannot enter a private %snamespace%s",
			       p->net ? "mount and network " : "mount ",
			       p->userns ? " (through a user namespace)" : "");
	const struct mount_op *op = &p->v[f->op];
	if (f->err == E2BIG)
		return err_set(e, 0, op->target,
			       "the test's mount plan holds more than %d binds and trees (at '%s'): "
			       "name fewer --share, --allow-write and [setup] paths for it",
			       MOUNT_BIND_MAX, op->target);
	switch (op->kind) {
	case MOUNT_OVERLAY:
		return err_set(e, f->err, op->src, "cannot mount an overlay of '%s' at '%s'", op->src,
			       op->target);
	case MOUNT_BIND_RO:
		return err_set(e, f->err, op->src, "cannot bind '%s' read-only at '%s'", op->src,
			       op->target);
	case MOUNT_BIND:
		return err_set(e, f->err, op->src, "cannot bind '%s' at '%s'", op->src, op->target);
	case MOUNT_MKDIR:
		break;
	}
	return err_set(e, f->err, op->target, "cannot create directory '%s' in the sandbox",
		       op->target);
}

/* SPDX-License-Identifier: MIT */
/* The write fence: see fence.h. Landlock's calls go through syscall(2): glibc has no wrappers. */
#include "spawn/fence.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Debian 12's linux-libc-dev stops at ABI 2: the later rights, as the kernel defines them. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* Every right of ABI 1 that changes the tree; reading and executing stay unrestricted. */
#define WRITE_RIGHTS_V1                                                                            \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                           \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
/* What a rule on a file (not a directory) may allow of them (else landlock_add_rule: EINVAL). */
#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

/* Devices any program may write to, opened by path (a shell's >/dev/null, a terminal test's
 * /dev/tty or a pty it opens): writing to them is allowed, making or removing anything in
 * /dev is not. /dev/shm is not among them: it is a shared tmpfs, fenced like any directory. */
static const char *const devices[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
    "/dev/tty",  "/dev/ptmx", "/dev/pts",
};

static pthread_once_t abi_once = PTHREAD_ONCE_INIT;
static int abi_cached;
static char abi_why[200];

static void ask_abi(void)
{
	if (env_flag("ISOLA_TEST_NO_LANDLOCK")) {
		snprintf(abi_why, sizeof(abi_why), "Landlock is disabled (ISOLA_TEST_NO_LANDLOCK)");
		return;
	}
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (v >= 1) {
		abi_cached = (int)v;
		return;
	}
	if (v < 0 && errno == ENOSYS)
		snprintf(abi_why, sizeof(abi_why),
		         "this kernel has no Landlock (it needs Linux 5.13 or later built with "
		         "CONFIG_SECURITY_LANDLOCK)");
	else if (v < 0 && errno == EOPNOTSUPP)
		snprintf(abi_why, sizeof(abi_why),
		         "Landlock is not enabled in this kernel (add landlock to its lsm= boot "
		         "parameter)");
	else
		snprintf(abi_why, sizeof(abi_why), "the kernel's Landlock ABI is unusable (%s)",
		         v < 0 ? strerror(errno) : "ABI 0");
}

int fence_abi(const char **why)
{
	pthread_once(&abi_once, ask_abi);
	if (why)
		*why = abi_why;
	return abi_cached;
}

void fence_init(struct fence *f, int abi)
{
	*f = (struct fence)FENCE_INIT;
	f->abi = abi;
	f->handled = WRITE_RIGHTS_V1;
	if (abi >= 2)
		f->handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		f->handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
}

void fence_allow(struct fence *f, const char *path)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		f->paths = xrealloc(f->paths, f->cap * sizeof(*f->paths));
	}
	f->paths[f->n++] = xstrdup(path);
}

void fence_release(struct fence *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	*f = (struct fence)FENCE_INIT;
}

void fence_plan(struct mount_plan *p, const char *sandbox, const struct strv *allow_write)
{
	size_t n = p->n;
	for (size_t i = 0; i < n; i++) {
		/* p->v moves as binds are added below: hold the target's string, not the op. */
		const char *target = p->v[i].target;
		if (p->v[i].kind != MOUNT_BIND || target[0] != '/' || strcmp(p->v[i].src, target) != 0 ||
		    (sandbox && path_within(target, sandbox)))
			continue;
		bool writable = false;
		for (size_t k = 0; k < n && !writable; k++)
			writable = p->v[k].kind == MOUNT_OVERLAY && strcmp(p->v[k].target, target) == 0;
		for (size_t k = 0; k < allow_write->n && !writable; k++)
			writable = path_within(target, allow_write->v[k]);
		if (writable)
			continue;
		p->v[i].ro = true;
		for (size_t k = 0; k < allow_write->n; k++)
			if (path_within(allow_write->v[k], target))
				mount_plan_add(p, MOUNT_BIND, allow_write->v[k], allow_write->v[k], NULL,
				               NULL);
	}
}

/* ---- in the child: async-signal-safe ------------------------------------------------------- */

/* Allow rights (of handled) beneath dirfd/path; on a file, only its file rights. Returns 0, 1
 * if it does not exist and that is fine (optional), or -1 with errno. */
static int allow_one(int rs, int dirfd, const char *path, int oflags, uint64_t rights,
                     bool optional)
{
	int fd = openat(dirfd, path, O_PATH | O_CLOEXEC | oflags);
	if (fd < 0)
		return optional && (errno == ENOENT || errno == ENXIO || errno == ENODEV) ? 1 : -1;
	struct stat st;
	int r = fstat(fd, &st);
	if (r == 0) {
		struct landlock_path_beneath_attr pb = {
		    .allowed_access = S_ISDIR(st.st_mode) ? rights : rights & FILE_RIGHTS,
		    .parent_fd = fd,
		};
		if (pb.allowed_access)
			r = (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return r < 0 ? -1 : 0;
}

/*
 * The ops of a plan whose targets the test may write beneath: what is mounted writable and is the
 * test's own (an overlay, its sandbox's tmp/ over /tmp). A read-only bind is not, a MOUNT_MKDIR
 * lies inside what an earlier op mounted, and a bind of the real thing back at its own path (a
 * path kept visible under a private /tmp: the program's directory, a setup's sandbox; a --share
 * path of a tree) is everyone's: the fence leaves it to --allow-write. (The sandbox, bound back
 * too, is allowed by itself.)
 */
static bool op_writable(const struct mount_op *op)
{
	if (op->kind == MOUNT_BIND)
		return strcmp(op->src, op->target) != 0;
	return op->kind != MOUNT_BIND_RO && op->kind != MOUNT_MKDIR;
}

NO_SANITIZE_ADDRESS int fence_apply(const struct fence *f, const struct mount_plan *plan,
                                    int log_fd, struct fence_failure *ff)
{
	struct landlock_ruleset_attr attr = {.handled_access_fs = f->handled};
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	ff->at = FENCE_AT_RULESET;
	if (rs < 0)
		goto fail;
	/* A path the test's mount namespace does not show (an --allow-write under a private /tmp)
	 * has nothing there to write: skipped. (isola checked each exists when the run started.) */
	for (size_t i = 0; i < f->n; i++) {
		ff->at = (int)i;
		if (allow_one(rs, AT_FDCWD, f->paths[i], 0, f->handled, true) < 0)
			goto fail_rs;
	}
	if (plan && plan->n) {
		/* Relative targets are relative to the plan's root (absolute ones ignore it). */
		int root = plan->root ? open(plan->root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		for (size_t i = 0; i < plan->n; i++) {
			if (!op_writable(&plan->v[i]))
				continue;
			ff->at = (int)(f->n + i);
			if (allow_one(rs, plan->root ? root : AT_FDCWD, plan->v[i].target, O_NOFOLLOW,
			              f->handled, false) < 0) {
				int saved = errno;
				if (root >= 0)
					close(root);
				errno = saved;
				goto fail_rs;
			}
		}
		if (root >= 0)
			close(root);
	}
	/* Its log by the fd it writes to, not by path: where the sandbox root is under /tmp or
	 * /dev/shm and the test has its own, the run directory (and the log in it) is not in its
	 * view; where the root is inside a tree, the path shows the overlay's copy. Reopening
	 * /dev/stdout reaches the file the fd is, wherever that lies. */
	ff->at = FENCE_AT_LOG;
	struct stat st;
	if (log_fd >= 0 && fstat(log_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		struct landlock_path_beneath_attr pb = {
		    .allowed_access = f->handled & FILE_RIGHTS,
		    .parent_fd = log_fd,
		};
		if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			goto fail_rs;
	}
	for (size_t i = 0; i < sizeof(devices) / sizeof(*devices); i++) {
		ff->at = FENCE_AT_RULESET;
		if (allow_one(rs, AT_FDCWD, devices[i], 0, f->handled & FILE_RIGHTS, true) < 0)
			goto fail_rs;
	}
	ff->at = FENCE_AT_NO_NEW_PRIVS;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail_rs;
	ff->at = FENCE_AT_RESTRICT;
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		goto fail_rs;
	close(rs);
	return 0;
fail_rs:
	ff->err = errno;
	close(rs);
	return -1;
fail:
	ff->err = errno;
	return -1;
}

/* ---- for people ---------------------------------------------------------------------------- */

int fence_failure_describe(const struct fence *f, const struct mount_plan *plan,
                           const struct fence_failure *ff, struct isola_error *e)
{
	if (ff->at >= 0 && (size_t)ff->at < f->n)
		return err_set(e, ff->err, f->paths[ff->at],
		               "cannot set up the write fence: cannot allow writing beneath '%s'",
		               f->paths[ff->at]);
	if (ff->at >= 0 && plan && (size_t)ff->at - f->n < plan->n)
		return err_set(e, ff->err, plan->v[ff->at - f->n].target,
		               "cannot set up the write fence: cannot allow writing beneath the "
		               "mount '%s'",
		               plan->v[ff->at - f->n].target);
	switch (ff->at) {
	case FENCE_AT_NO_NEW_PRIVS:
		return err_set(e, ff->err, NULL, "cannot set up the write fence: no_new_privs");
	case FENCE_AT_LOG:
		return err_set(e, ff->err, NULL,
		               "cannot set up the write fence: cannot allow writing to its log");
	case FENCE_AT_RESTRICT:
		return err_set(e, ff->err, NULL,
		               "cannot set up the write fence: landlock_restrict_self");
	default:
		return err_set(e, ff->err, NULL,
		               "cannot set up the write fence: cannot make its Landlock ruleset "
		               "(ABI %d)",
		               f->abi);
	}
}

static bool beneath(const char *path, size_t len, const char *dir)
{
	size_t d = strlen(dir);
	while (d > 1 && dir[d - 1] == '/')
		d--;
	return len >= d && memcmp(path, dir, d) == 0 &&
	       (len == d || path[d] == '/' || (d == 1 && dir[0] == '/'));
}

/* Where a path token that starts at s ends (unquoted): at whitespace, or a ':' that ends the
 * token (followed by whitespace or the end of the line). */
static size_t unquoted_len(const char *s, size_t left)
{
	size_t n = 0;
	while (n < left && s[n] != ' ' && s[n] != '\t' && s[n] != '\r' &&
	       !(s[n] == ':' && (n + 1 == left || s[n + 1] == ' ' || s[n + 1] == '\r')))
		n++;
	return n;
}

struct cand {
	const char *p;
	size_t len;
};

static void take_line(const char *line, size_t len, char *const *allowed, size_t nallowed,
                      struct strv *out, size_t max, size_t *added)
{
	/* EACCES from Landlock; EROFS from what fence_plan() bound read-only. */
	static const char denied[] = "Permission denied", rofs[] = "Read-only file system";
	const char *hit = memmem(line, len, denied, sizeof(denied) - 1);
	if (!hit)
		hit = memmem(line, len, rofs, sizeof(rofs) - 1);
	if (!hit)
		return;
	struct cand before = {0}, after = {0};
	for (size_t i = 0; i < len; i++) {
		struct cand c = {0};
		size_t skip = 0;
		char q = line[i];
		if (q == '\'' || q == '"') {
			const char *end = memchr(line + i + 1, q, len - i - 1);
			if (end && line[i + 1] == '/') {
				c = (struct cand){line + i + 1, (size_t)(end - line - i - 1)};
				skip = (size_t)(end - line) - i;
			}
		} else if ((unsigned char)q == 0xe2 && i + 3 < len && line[i + 1] == '\x80' &&
		           line[i + 2] == '\x98' && line[i + 3] == '/') {
			/* ‘/x/y’, as coreutils quotes in UTF-8 locales */
			const char *end = memmem(line + i + 3, len - i - 3, "\xe2\x80\x99", 3);
			if (end) {
				c = (struct cand){line + i + 3, (size_t)(end - line - i - 3)};
				skip = (size_t)(end - line) - i + 2;
			}
		} else if (q == '/' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
			c = (struct cand){line + i, unquoted_len(line + i, len - i)};
			skip = c.len;
		}
		if (c.p && c.len) {
			if (c.p < hit)
				before = c;
			else if (!after.p)
				after = c;
		}
		i += skip;
	}
	struct cand c = before.p ? before : after;
	if (!c.p || *added >= max)
		return;
	for (size_t k = 0; k < nallowed; k++)
		if (beneath(c.p, c.len, allowed[k]))
			return;
	for (size_t k = 0; k < out->n; k++)
		if (strlen(out->v[k]) == c.len && memcmp(out->v[k], c.p, c.len) == 0)
			return;
	for (size_t k = 0; k < c.len; k++)
		if ((unsigned char)c.p[k] < 0x20 || c.p[k] == 0x7f)
			return; /* not a path a report should carry */
	char *s = xmalloc(c.len + 1);
	memcpy(s, c.p, c.len);
	s[c.len] = '\0';
	strv_push_take(out, s);
	(*added)++;
}

size_t fence_refused_paths(const char *buf, size_t len, char *const *allowed, size_t nallowed,
                           struct strv *out, size_t max)
{
	size_t added = 0;
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		take_line(p, n, allowed, nallowed, out, max, &added);
		p += n + 1;
	}
	return added;
}

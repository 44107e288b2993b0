/* SPDX-License-Identifier: MIT */
/*
 * Unstaging: removing what staging copied into a sandbox, before the sandbox itself goes.
 *
 * A private copy of a large tree is most of what a sandbox removal removes. Here the entries at
 * the top of each staged copy are removed by several threads (stage_run_parallel()), each through
 * rmtree_at(), which never follows a symlink nor leaves its filesystem. An entry on another mount than the sandbox is left alone (and then refused and
 * reported by the sandbox removal, as anything else left).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/rmtree.h"
#include "stage/stage.h"


/* Which mount a file is on: the mount id where statx tells it, else the device. */
static int mount_of(int dfd, const char *name, unsigned long long *id)
{
	struct statx stx;
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return -1;
	*id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id
					    : ((unsigned long long)stx.stx_dev_major << 32 |
					       stx.stx_dev_minor);
	return 0;
}

/* Open dest below the sandbox, never following a symlink: -1 if it is not a directory there. */
static int open_dest(int sandbox_fd, const char *dest)
{
	int cur = fcntl(sandbox_fd, F_DUPFD_CLOEXEC, 3);
	const char *p = dest;
	while (cur >= 0 && *p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		char part[256];
		if (len == 0 || len >= sizeof(part)) {
			close(cur);
			return -1;
		}
		memcpy(part, p, len);
		part[len] = '\0';
		int next = openat(cur, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		p = slash ? slash + 1 : p + len;
	}
	return cur;
}

struct unstage {
	int dfd;
	struct strv names;
	size_t next; /* atomic */
};

static void *unstage_worker(void *arg)
{
	struct unstage *u = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&u->next, 1, __ATOMIC_RELAXED);
		if (i >= u->names.n)
			return NULL;
		(void)rmtree_at(u->dfd, u->names.v[i], NULL);
	}
}

static void unstage_one(int sandbox_fd, unsigned long long sandbox_mnt, const char *dest)
{
	struct unstage u = {.dfd = open_dest(sandbox_fd, dest)};
	unsigned long long mnt;
	if (u.dfd < 0)
		return;
	if (mount_of(u.dfd, "", &mnt) < 0 || mnt != sandbox_mnt)
		goto out;
	int lfd = fcntl(u.dfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (mount_of(u.dfd, de->d_name, &mnt) == 0 && mnt == sandbox_mnt)
			strv_push(&u.names, de->d_name);
	}
	closedir(d);
	stage_run_parallel(u.names.n < 2 ? 1 : STAGE_MAX_THREADS, unstage_worker, &u);
	strv_release(&u.names);
out:
	close(u.dfd);
}

void stage_unstage(int sandbox_fd, const struct resources *res)
{
	unsigned long long sandbox_mnt;
	if (res->n == 0 || mount_of(sandbox_fd, "", &sandbox_mnt) < 0)
		return;
	/* Last staged first: a resource may have been staged inside an earlier one. */
	for (size_t i = res->n; i-- > 0;)
		if (res->v[i].kind != RES_MKDIR)
			unstage_one(sandbox_fd, sandbox_mnt, res->v[i].dest);
}

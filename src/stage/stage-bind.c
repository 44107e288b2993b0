/* SPDX-License-Identifier: MIT */
/*
 * Read-only resources (--ro): a read-only, recursive bind mount of SRC at DEST in the test's own
 * mount namespace. Nothing is copied, and any write fails with EROFS, for root too.
 *
 * Where no mount namespace can be had, stage.c copies the resource without write bits instead:
 * the original stays out of reach, but that copy stops only an unprivileged test (root ignores
 * modes, and the owner of the copy may chmod it back). -v says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stage/strategy.h"

static int make_mount_point(int dfd, const char *name, bool dir)
{
	if (dir)
		return mkdirat(dfd, name, 0755);
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

bool bind_available(const char *src, const struct stat *st, int sandbox_fd,
		    const char *sandbox_path, char *why, size_t whylen)
{
	struct probe ns, p = {0};
	if (!mount_namespace_available(&ns)) {
		why_set(why, whylen, "%s", ns.why);
		return false;
	}
	if (probe_lookup(PROBE_BIND, st->st_dev, st->st_ino, 0, &p)) {
		why_set(why, whylen, "%s", p.why);
		return p.ok;
	}
	struct isola_error e = {0};
	const char *dir = stage_probe_dir(sandbox_fd, &e);
	if (!dir) {
		why_set(why, whylen, "%s", e.message);
		return false;
	}
	char *target = xasprintf("%s/b", dir);
	if (make_mount_point(sandbox_fd, target, S_ISDIR(st->st_mode)) < 0) {
		why_set(p.why, sizeof(p.why), "cannot prepare a probe in the sandbox (%s)",
			 strerror(errno));
	} else {
		struct mount_plan plan = MOUNT_PLAN_INIT;
		mount_plan_set_root(&plan, sandbox_path);
		plan.userns = ns.userns;
		mount_plan_add(&plan, MOUNT_BIND_RO, target, src, NULL, NULL);
		if (mount_plan_probe(&plan, &e) < 0)
			why_set(p.why, sizeof(p.why), "%s", e.message);
		else
			p.ok = true;
		mount_plan_release(&plan);
	}
	free(target);
	stage_probe_done(sandbox_fd);
	probe_store(PROBE_BIND, st->st_dev, st->st_ino, 0, &p);
	why_set(why, whylen, "%s", p.why);
	return p.ok;
}

int bind_stage(struct stage *sg, const char *sandbox_path, const struct resource *r,
	       const struct stat *st, int parent_fd, const char *leaf, struct isola_error *e)
{
	(void)sandbox_path;
	struct probe ns;
	(void)mount_namespace_available(&ns);
	if (make_mount_point(parent_fd, leaf, S_ISDIR(st->st_mode)) < 0)
		return err_set(e, errno, r->src, "cannot stage '%s' at '%s'", r->src, r->dest);
	mount_plan_add(&sg->mounts, MOUNT_BIND_RO, r->dest, r->src, NULL, NULL);
	sg->mounts.userns = ns.userns;
	return 0;
}

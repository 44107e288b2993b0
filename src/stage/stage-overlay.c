/* SPDX-License-Identifier: MIT */
/*
 * The overlay strategy (Linux overlayfs): the resource is the read-only lower layer, an empty
 * upper and work directory in the sandbox's .isola/N take every change, and the overlay is
 * mounted at DEST in the test's own mount namespace. Staging costs a few mkdirs whatever the
 * size of the tree; a write copies up the one file written.
 *
 * Whether it works depends on the kernel, on privilege (root, or an unprivileged user
 * namespace), on the resource's filesystem (it may not be able to be a lower layer, e.g. an
 * overlay already stacked too deep) and on the sandbox's (the upper layer needs extended
 * attributes). All of that is probed once, by really mounting in a throwaway namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "stage/strategy.h"

static bool probe_mount(const char *src, int sandbox_fd, const char *sandbox_path, bool userns,
			char *why, size_t whylen)
{
	struct isola_error e = {0};
	const char *dir = stage_probe_dir(sandbox_fd, &e);
	if (!dir) {
		why_set(why, whylen, "%s", e.message);
		return false;
	}
	bool ok = false;
	int pfd = openat(sandbox_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0 || mkdirat(pfd, "u", 0700) < 0 || mkdirat(pfd, "w", 0700) < 0 ||
	    mkdirat(pfd, "m", 0700) < 0) {
		why_set(why, whylen, "cannot prepare a probe in the sandbox (%s)", strerror(errno));
		goto out;
	}
	char *upper = xasprintf("%s/%s/u", sandbox_path, dir);
	char *work = xasprintf("%s/%s/w", sandbox_path, dir);
	char *target = xasprintf("%s/m", dir);
	struct mount_plan plan = MOUNT_PLAN_INIT;
	mount_plan_set_root(&plan, sandbox_path);
	plan.userns = userns;
	plan.overlay_redirect = !userns;
	mount_plan_add(&plan, MOUNT_OVERLAY, target, src, upper, work);
	if (mount_plan_probe(&plan, &e) < 0) {
		why_set(why, whylen, "overlayfs refused it (%s)",
			 e.code ? strerror(e.code) : e.message);
	} else {
		/* overlayfs mounts without extended attributes on the upper layer too, but then
		 * cannot record whiteouts of directories or renames: not the same semantics. */
		const char *name = userns ? "user.isola.probe" : "trusted.isola.probe";
		int ufd = openat(pfd, "u", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ufd >= 0 && fsetxattr(ufd, name, "1", 1, 0) == 0)
			ok = true;
		else
			why_set(why, whylen,
				 "the sandbox's filesystem lacks the %s extended attributes overlayfs "
				 "needs (%s)",
				 userns ? "user.*" : "trusted.*", strerror(errno));
		if (ufd >= 0)
			close(ufd);
	}
	mount_plan_release(&plan);
	free(upper);
	free(work);
	free(target);
out:
	if (pfd >= 0)
		close(pfd);
	stage_probe_done(sandbox_fd);
	return ok;
}

bool overlay_available(const char *src, const struct stat *st, int sandbox_fd,
		       const char *sandbox_path, char *why, size_t whylen)
{
	struct probe ns, p = {0}, facts;
	struct stat sbst;
	if (!mount_namespace_available(&ns)) {
		why_set(why, whylen, "%s", ns.why);
		return false;
	}
	if (fstat(sandbox_fd, &sbst) < 0) {
		why_set(why, whylen, "cannot stat the sandbox (%s)", strerror(errno));
		return false;
	}
	if (probe_lookup(PROBE_OVERLAY, st->st_dev, st->st_ino, sbst.st_dev, &p)) {
		why_set(why, whylen, "%s", p.why);
		return p.ok;
	}
	struct isola_error e = {0};
	if (source_facts(src, st, &facts, &e) < 0)
		why_set(p.why, sizeof(p.why), "%s", e.message);
	else if (facts.submounts)
		why_set(p.why, sizeof(p.why),
			 "it has mount points inside, whose contents an overlay would not show");
	else if (ns.userns && facts.foreign)
		why_set(p.why, sizeof(p.why),
			 "it holds files of other users, which an overlay in a user namespace "
			 "cannot copy up");
	else
		p.ok = probe_mount(src, sandbox_fd, sandbox_path, ns.userns, p.why, sizeof(p.why));
	probe_store(PROBE_OVERLAY, st->st_dev, st->st_ino, sbst.st_dev, &p);
	why_set(why, whylen, "%s", p.why);
	return p.ok;
}

int overlay_layer_make(struct stage *sg, int sandbox_fd, const char *sandbox_path,
		       const struct stat *st, const char *lower, const char *shown, bool tree,
		       char **upper, char **work, struct isola_error *e)
{
	struct probe ns;
	(void)mount_namespace_available(&ns);
	char rel[64];
	snprintf(rel, sizeof(rel), "%s/%u", STAGE_PRIVATE_DIR, ++sg->novl);
	if (mkdirat(sandbox_fd, STAGE_PRIVATE_DIR, 0700) < 0 && errno != EEXIST)
		return err_set(e, errno, STAGE_PRIVATE_DIR, "cannot create '%s' in the sandbox",
			       STAGE_PRIVATE_DIR);
	int dfd = -1, ufd = -1, ret = 0;
	if (mkdirat(sandbox_fd, rel, 0700) < 0 ||
	    (dfd = openat(sandbox_fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    mkdirat(dfd, "upper", 0700) < 0 || mkdirat(dfd, "work", 0700) < 0 ||
	    (ufd = openat(dfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ret = err_set(e, errno, rel, "cannot create '%s' in the sandbox", rel);
		goto out;
	}
	/* The top of the merged tree shows the upper directory's attributes: give it the
	 * resource's, as a copy would have them. */
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	if ((geteuid() == 0 && fchown(ufd, st->st_uid, st->st_gid) < 0) ||
	    fchmod(ufd, st->st_mode & 07777) < 0 || futimens(ufd, times) < 0) {
		ret = err_set(e, errno, rel, "cannot set up '%s/upper' in the sandbox", rel);
		goto out;
	}
	struct stat ust;
	if (fstat(ufd, &ust) < 0) {
		ret = err_set(e, errno, rel, "cannot set up '%s/upper' in the sandbox", rel);
		goto out;
	}
	char *urel = xasprintf("%s/upper", rel);
	overlay_layers_add(&sg->layers, urel, lower, shown, tree, &ust);
	free(urel);
	sg->layers.userxattr = ns.userns;
	sg->mounts.userns = ns.userns;
	sg->mounts.overlay_redirect = !ns.userns;
	*upper = xasprintf("%s/%s/upper", sandbox_path, rel);
	*work = xasprintf("%s/%s/work", sandbox_path, rel);
out:
	if (ufd >= 0)
		close(ufd);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int overlay_stage(struct stage *sg, int sandbox_fd, const char *sandbox_path,
		  const struct resource *r, const struct stat *st, int parent_fd, const char *leaf,
		  struct isola_error *e)
{
	char *upper, *work;
	if (overlay_layer_make(sg, sandbox_fd, sandbox_path, st, r->src, r->dest, false, &upper,
			       &work, e) < 0)
		return -1;
	/* The mount point; it exists already if something was staged there before, which is
	 * an error for a copy too. */
	int ret = 0;
	if (mkdirat(parent_fd, leaf, 0755) < 0)
		ret = err_set(e, errno, r->src, "cannot stage '%s' at '%s'", r->src, r->dest);
	else
		mount_plan_add(&sg->mounts, MOUNT_OVERLAY, r->dest, r->src, upper, work);
	free(upper);
	free(work);
	return ret;
}

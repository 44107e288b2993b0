/* SPDX-License-Identifier: MIT */
/* libisola: struct isola_sandbox, the process-wide registry and its atexit cleanup. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/lib.h"
#include "spawn/environ.h"
#include "stage/stage.h"

/* Sandboxes not yet freed, for the atexit handler. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static isola_sandbox *registry;
static bool atexit_done;

static void cleanup_at_exit(void)
{
	pid_t self = getpid();
	for (;;) {
		pthread_mutex_lock(&registry_lock);
		isola_sandbox *sb = registry;
		/* A forked child inherits the list: the sandboxes are its parent's, not its own. */
		while (sb && sb->owner != self)
			sb = sb->next;
		pthread_mutex_unlock(&registry_lock);
		if (!sb)
			return;
		(void)isola_sandbox_free(sb, NULL);
	}
}

static void registry_add(isola_sandbox *sb)
{
	pthread_mutex_lock(&registry_lock);
	if (!atexit_done) {
		atexit(cleanup_at_exit);
		atexit_done = true;
	}
	sb->next = registry;
	registry = sb;
	pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(isola_sandbox *sb)
{
	pthread_mutex_lock(&registry_lock);
	for (isola_sandbox **pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == sb) {
			*pp = sb->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

ISOLA_API isola_sandbox *isola_sandbox_new(const struct isola_sandbox_opts *opts,
					  struct isola_error *err)
{
	static const struct isola_sandbox_opts defaults;
	if (!opts)
		opts = &defaults;
	err_clear(err);

	const char *root = opts->root;
	if (!root || !*root)
		root = getenv("ISOLA_SANDBOX");
	root = rundir_default_root(root);

	isola_sandbox *sb = xcalloc(1, sizeof(*sb));
	sb->rd = (struct rundir)RUNDIR_INIT;
	sb->sb = (struct sandbox)SANDBOX_INIT;
	sb->keep = opts->keep;
	sb->keep_home = opts->keep_home;
	sb->owner = getpid();
	sb->keeper = (struct keeper)KEEPER_INIT;
	if (opts->base_dir && *opts->base_dir) {
		sb->base_dir = xstrdup(opts->base_dir);
	} else {
		char cwd[4096];
		sb->base_dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	}
	if (rundir_create(&sb->rd, root, err) < 0)
		goto fail;
	if (sandbox_create(&sb->sb, &sb->rd, 1, err) < 0) {
		rundir_finish(&sb->rd, NULL);
		goto fail;
	}
	registry_add(sb);
	return sb;
fail:
	free(sb->base_dir);
	free(sb);
	return NULL;
}

ISOLA_API const char *isola_sandbox_path(const isola_sandbox *sb)
{
	return sb ? sb->sb.path : NULL;
}

static int stage(isola_sandbox *sb, enum resource_kind kind, const char *spec,
		 struct isola_error *err)
{
	struct resources res = {0};
	int ret = resources_add(&res, kind, spec, sb->base_dir, err);
	if (ret == 0 && kind == RES_COPY)
		ret = stage_check(&res.v[0], err);
	if (ret == 0)
		ret = stage_resource(sb->sb.fd, &res.v[0], err);
	resources_release(&res);
	return ret;
}

ISOLA_API int isola_sandbox_copy(isola_sandbox *sb, const char *src, const char *dest,
				 struct isola_error *err)
{
	if (!sb || !src)
		return err_set(err, EINVAL, NULL, "isola_sandbox_copy: no sandbox or no source");
	char *spec = dest ? xasprintf("%s:%s", src, dest) : xstrdup(src);
	int ret = stage(sb, RES_COPY, spec, err);
	free(spec);
	return ret;
}

ISOLA_API int isola_sandbox_mkdir(isola_sandbox *sb, const char *dir, struct isola_error *err)
{
	if (!sb || !dir)
		return err_set(err, EINVAL, NULL, "isola_sandbox_mkdir: no sandbox or no directory");
	return stage(sb, RES_MKDIR, dir, err);
}

ISOLA_API int isola_sandbox_setenv(isola_sandbox *sb, const char *name, const char *value,
				   struct isola_error *err)
{
	if (!sb || !name || !value)
		return err_set(err, EINVAL, NULL, "isola_sandbox_setenv: missing argument");
	char *setting = xasprintf("%s=%s", name, value);
	extern const char *const contract_names[];
	if (env_name_check(name, err) < 0 || env_setting_check(setting, contract_names, err) < 0) {
		free(setting);
		return -1;
	}
	strv_push_take(&sb->env_set, setting);
	return 0;
}

ISOLA_API int isola_sandbox_unsetenv(isola_sandbox *sb, const char *name, struct isola_error *err)
{
	if (!sb || !name)
		return err_set(err, EINVAL, NULL, "isola_sandbox_unsetenv: missing argument");
	if (env_name_check(name, err) < 0)
		return -1;
	strv_push(&sb->env_unset, name);
	return 0;
}

ISOLA_API void isola_sandbox_fail(isola_sandbox *sb)
{
	if (sb)
		sb->failed = true;
}

void lib_sandbox_die_with_caller(isola_sandbox *sb)
{
	sb->die_with_caller = true;
}

void lib_sandbox_forget(isola_sandbox *sb, isola_proc *p)
{
	for (isola_proc **pp = &sb->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

ISOLA_API int isola_sandbox_free(isola_sandbox *sb, struct isola_error *err)
{
	if (!sb)
		return 0;
	registry_remove(sb);
	bool ours = sb->owner == getpid();
	/* Commands still running would write into a directory being removed: stop them. A forked
	 * child's copy of the list names its parent's commands: forget those, never signal them. */
	while (sb->procs) {
		if (!ours) {
			lib_proc_forget(sb->procs);
			continue;
		}
		struct isola_result res = {0};
		(void)isola_proc_stop(sb->procs, &res, NULL);
		isola_result_release(&res);
	}
	int ret = 0;
	bool keep = sb->keep == ISOLA_KEEP_ALWAYS ||
		    (sb->keep == ISOLA_KEEP_ON_FAILURE && sb->failed);
	if (ours) {
		keeper_stop(&sb->keeper);
	} else {
		if (sb->keeper.fd >= 0)
			close(sb->keeper.fd); /* the parent's keeper: not ours to stop */
		free(sb->keeper.mark_prefix);
	}
	if (!ours) {
		/* Not ours (a forked child's copy): forget it without touching the disk. */
		sandbox_release(&sb->sb);
		rundir_release(&sb->rd);
	} else if (keep) {
		sandbox_keep(&sb->sb, &sb->rd);
		ret = rundir_finish(&sb->rd, err) < 0 ? -1 : 1;
	} else {
		struct isola_error e2 = {0};
		if (sandbox_remove(&sb->sb, &sb->rd, &e2) < 0) {
			ret = -1;
			if (err)
				*err = e2;
			sb->rd.kept++; /* what is left stays, marked done */
		}
		if (rundir_finish(&sb->rd, ret < 0 ? NULL : err) < 0)
			ret = -1;
	}
	free(sb->base_dir);
	strv_release(&sb->env_set);
	strv_release(&sb->env_unset);
	free(sb);
	return ret;
}

ISOLA_API const char *isola_version(void)
{
	return ISOLA_VERSION;
}

/* SPDX-License-Identifier: MIT */
#include "spawn/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/*
 * posix_spawn: glibc starts the child with CLONE_VM|CLONE_VFORK, the cheapest way to start a
 * program, and reports a failed chdir or exec as its return value rather than an exit status.
 */
int spawn_start(const struct spawn_req *r, pid_t *pid, struct isola_error *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int err;

	if (r->mounts && r->mounts->n)
		return spawn_ns_start(r, pid, e);

	/* posix_spawn does not say which step failed: check the directory first so that an error
	 * names the right culprit. */
	if (r->cwd) {
		struct stat st;
		if (stat(r->cwd, &st) < 0)
			return err_set(e, errno, r->cwd, "cannot change to working directory '%s'",
				       r->cwd);
		if (!S_ISDIR(st.st_mode))
			return err_set(e, ENOTDIR, r->cwd, "cannot change to working directory '%s'",
				       r->cwd);
	}

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);

	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (r->new_pgroup)
		flags |= POSIX_SPAWN_SETPGROUP;
	posix_spawnattr_setflags(&attr, flags);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);

	if (r->stdin_fd < 0)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	else if (r->stdin_fd != 0)
		posix_spawn_file_actions_adddup2(&fa, r->stdin_fd, 0);
	if (r->stdout_fd >= 0 && r->stdout_fd != 1)
		posix_spawn_file_actions_adddup2(&fa, r->stdout_fd, 1);
	if (r->stderr_fd >= 0 && r->stderr_fd != 2)
		posix_spawn_file_actions_adddup2(&fa, r->stderr_fd, 2);
	if (r->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, r->cwd);

	err = posix_spawn(pid, r->path, &fa, &attr, r->argv, r->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		if (err == ENOENT && access(r->path, F_OK) == 0)
			return err_set(e, 0, r->path,
				       "cannot start '%s': its interpreter (the #! line) was not found",
				       r->path);
		return err_set(e, err, r->path, "cannot start '%s'", r->path);
	}
	return 0;
}

void spawn_signal_group(pid_t leader, int sig)
{
	if (kill(-leader, sig) < 0 && errno == ESRCH)
		(void)kill(leader, sig);
}

const char *signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

const char *describe_status(int status, char *buf, size_t len)
{
	char sig[32];
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by %s%s", signal_name(WTERMSIG(status), sig, sizeof(sig)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "status 0x%x", (unsigned)status);
	return buf;
}

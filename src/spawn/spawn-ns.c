/* SPDX-License-Identifier: MIT */
/*
 * Starting a program (spawn_clone()), in a mount namespace of its own when it has a mount plan:
 * clone, with CLONE_NEWNS (and CLONE_NEWUSER when the caller needs one to mount) for a plan,
 * make the plan's mounts, then exec.
 *
 * The child shares its caller's memory until it execs (CLONE_VM|CLONE_VFORK, as posix_spawn
 * does): no page tables are copied, and the caller waits only for the mounts and the exec. So
 * the child runs on its own stack with every signal blocked, touches nothing of its caller's but
 * what was made for it before the clone, and makes only async-signal-safe calls. What fails
 * there travels back over a close-on-exec pipe as {step, op, errno}.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn/mountns.h"
#include "spawn/spawn.h"

enum child_step { STEP_MOUNT = 1, STEP_STDIO, STEP_CHDIR, STEP_EXEC, STEP_FENCE };

struct child_args {
	const struct spawn_req *r; /* NULL: a probe, exit after the mounts */
	const struct mount_exec *x; /* NULL: no namespace, no mounts */
	int report_fd;
};

NO_SANITIZE_ADDRESS static int child_main(void *arg)
{
	const struct child_args *a = arg;
	const struct spawn_req *r = a->r;
	struct spawn_failure rep = {.step = STEP_MOUNT};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	/* isola's handlers must never run here (they would run on isola's memory). */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);

	if (a->x && mount_exec_apply(a->x, &rep.f) < 0)
		goto fail;
	if (!r)
		_exit(0);

	/* After the mounts: the fence allows what they made, and forbids mounting after it. */
	if (r->fence) {
		struct fence_failure ff;
		rep.step = STEP_FENCE;
		if (fence_apply(r->fence, r->mounts, r->stdout_fd, &ff) < 0) {
			rep.f.op = ff.at;
			rep.f.err = ff.err;
			goto fail;
		}
	}
	rep.step = STEP_STDIO;
	if (r->new_pgroup && setpgid(0, 0) < 0)
		goto fail_errno;
	if (r->stdin_fd < 0) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			goto fail_errno;
		if (fd != 0 && (dup2(fd, 0) < 0 || close(fd) < 0))
			goto fail_errno;
	} else if (r->stdin_fd != 0 && dup2(r->stdin_fd, 0) < 0) {
		goto fail_errno;
	}
	if (r->foreground && r->new_pgroup) {
		/* From a background group, tcsetpgrp() would stop us with SIGTTOU: ignored for
		 * the call (SIG_DFL again below; an ignored signal would stay so across exec). Not
		 * a terminal (ENOTTY): nothing to take. */
		struct sigaction ign = {.sa_handler = SIG_IGN};
		(void)sigaction(SIGTTOU, &ign, NULL);
		(void)tcsetpgrp(0, getpgrp());
		(void)sigaction(SIGTTOU, &dfl, NULL);
	}
	if (r->stdout_fd >= 0 && r->stdout_fd != 1 && dup2(r->stdout_fd, 1) < 0)
		goto fail_errno;
	if (r->stderr_fd >= 0 && r->stderr_fd != 2 && dup2(r->stderr_fd, 2) < 0)
		goto fail_errno;
	rep.step = STEP_CHDIR;
	if (r->cwd && chdir(r->cwd) < 0)
		goto fail_errno;
	rep.step = STEP_EXEC;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(r->path, r->argv, r->envp);
fail_errno:
	rep.f.err = errno;
fail:
	(void)!write(a->report_fd, &rep, sizeof(rep));
	_exit(127);
}

pid_t spawn_clone(const struct spawn_req *r, const struct mount_exec *x, char *stack,
		  struct spawn_failure *rep)
{
	int p[2];
	memset(rep, 0, sizeof(*rep));
	if (pipe2(p, O_CLOEXEC) < 0) {
		rep->f.err = errno;
		return -1;
	}
	/* Allocated before the clone: the child must not call malloc. */
	char *own = stack ? NULL : xmalloc(SPAWN_CHILD_STACK);
	struct child_args args = {.r = r, .x = x, .report_fd = p[1]};
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* A probe (no request) may be made on a worker thread while the event loop reaps with
	 * waitpid(-1): with no exit signal, only a __WALL wait by its maker ever sees it end, so
	 * neither can take the other's child. */
	int exit_signal = r ? SIGCHLD : 0;
	char *top = (stack ? stack : own) + SPAWN_CHILD_STACK;
	pid_t pid = clone(child_main, top,
			  CLONE_VM | CLONE_VFORK | exit_signal | (x ? mount_exec_clone_flags(x) : 0),
			  &args);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(own);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		rep->f.err = saved;
		return -1;
	}
	ssize_t n;
	do
		n = read(p[0], rep, sizeof(*rep));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(*rep)) {
		/* It failed and has exited (or is about to): reap it, it never ran the program. */
		while (waitpid(pid, NULL, r ? 0 : __WALL) < 0 && errno == EINTR)
			;
		return -1;
	}
	memset(rep, 0, sizeof(*rep));
	return pid;
}

int spawn_failure_describe(const struct spawn_req *r, const struct spawn_failure *f,
			   struct isola_error *e)
{
	switch (f->step) {
	case 0:
		return err_set(e, f->f.err, r->path, "cannot start '%s'%s", r->path,
			       mount_plan_used(r->mounts) ? " in a mount namespace" : "");
	case STEP_MOUNT:
		return mount_failure_describe(r->mounts, &f->f, e);
	case STEP_STDIO:
		return err_set(e, f->f.err, r->path, "cannot set up the standard streams of '%s'",
			       r->path);
	case STEP_CHDIR:
		return err_set(e, f->f.err, r->cwd, "cannot change to working directory '%s'",
			       r->cwd);
	case STEP_FENCE: {
		struct fence_failure ff = {.at = f->f.op, .err = f->f.err};
		return fence_failure_describe(r->fence, r->mounts, &ff, e);
	}
	default:
		if (f->f.err == ENOENT && access(r->path, F_OK) == 0 && mount_plan_used(r->mounts))
			return err_set(e, 0, r->path,
				       "cannot start '%s': it, or its interpreter (the #! line), is not "
				       "there in the test's mount namespace",
				       r->path);
		if (f->f.err == ENOENT && access(r->path, F_OK) == 0)
			return err_set(e, 0, r->path,
				       "cannot start '%s': its interpreter (the #! line) was not found",
				       r->path);
		return err_set(e, f->f.err, r->path, "cannot start '%s'", r->path);
	}
}

int mount_plan_probe(const struct mount_plan *p, struct isola_error *e)
{
	struct mount_exec x;
	struct spawn_failure rep;
	mount_exec_prepare(&x, p);
	pid_t child = spawn_clone(NULL, &x, NULL, &rep);
	if (child > 0) {
		int status;
		while (waitpid(child, &status, __WALL) < 0 && errno == EINTR)
			;
		return 0;
	}
	if (rep.step == 0)
		return err_set(e, rep.f.err, NULL, "cannot create a %snamespace%s",
			       p->net ? "mount and network " : "mount ",
			       p->userns ? " (through a user namespace)" : "");
	return mount_failure_describe(p, &rep.f, e);
}

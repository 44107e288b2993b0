/* SPDX-License-Identifier: MIT */
#include "spawn/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn/proctree.h"

static void keeper_main(int rfd, int keep_fd, const char *mark_prefix)
{
	/* Hold nothing of the caller's (sockets, pipes) but the pipe and keep_fd, as fds 3 and 4
	 * (moved out of the way first: either may already sit on 3 or 4). */
	int r = fcntl(rfd, F_DUPFD, 10);
	int k = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD, 10) : -1;
	if (r < 0 || dup2(r, 3) < 0 || (keep_fd >= 0 && (k < 0 || dup2(k, 4) < 0)))
		_exit(1);
	rfd = 3;
	(void)close_range(keep_fd >= 0 ? 5 : 4, ~0U, 0);
	/* Out of the terminal's process group and deaf to the signals aimed at isola. */
	(void)setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_NAME, "isola-keeper", 0, 0, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}

	char c;
	ssize_t n;
	do
		n = read(rfd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit(0); /* a normal end: nothing to do */

	/* isola died: everything of its run goes, wherever it was reparented to. */
	struct proc_match m = {.mark = mark_prefix, .prefix = true};
	proctree_kill(&m, 5000);
	_exit(0);
}

int keeper_start(struct keeper *k, const char *mark_prefix, int keep_fd, struct isola_error *e)
{
	int p[2];
	*k = (struct keeper)KEEPER_INIT;
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set(e, errno, NULL, "cannot start the keeper");
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(p[0]);
		close(p[1]);
		return err_set(e, saved, NULL, "cannot start the keeper");
	}
	if (pid == 0) {
		close(p[1]);
		keeper_main(p[0], keep_fd, mark_prefix);
	}
	close(p[0]);
	k->pid = pid;
	k->fd = p[1];
	return 0;
}

void keeper_stop(struct keeper *k)
{
	if (k->fd >= 0) {
		(void)write_all(k->fd, "q", 1);
		close(k->fd);
	}
	if (k->pid > 0)
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	*k = (struct keeper)KEEPER_INIT;
}

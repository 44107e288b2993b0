/* SPDX-License-Identifier: MIT */
#include "spawn/keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "spawn/proctree.h"
#include "util/fdpass.h"

/* How long the inits get to empty their namespaces before the keeper kills them. */
#define INIT_GRACE_MS 2000

struct watched {
	int *fd;
	size_t n, cap;
};

static void watch_add(struct watched *w, int fd)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->fd = xrealloc(w->fd, w->cap * sizeof(*w->fd));
	}
	w->fd[w->n++] = fd;
}

/* Close the pidfds of processes that have exited (a pidfd polls readable then). */
static void watch_prune(struct watched *w, struct pollfd *pfd)
{
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (pfd[i].revents)
			close(w->fd[i]);
		else
			w->fd[k++] = w->fd[i];
	}
	w->n = k;
}

/* A message from isola: 1 for "the run ended", 0 for a pidfd (added), -1 for isola gone. */
static int take(int sock, struct watched *w)
{
	char c;
	int fds[FDPASS_MAX], nfds;
	if (fdpass_recv(sock, &c, 1, fds, &nfds, 0) != 1) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return -1;
	}
	for (int i = 0; i < nfds; i++)
		watch_add(w, fds[i]);
	return c == 'q' ? 1 : 0;
}

static void keeper_main(int sock, int keep_fd, int tty_fd, const struct termios *tio,
                        const char *mark_prefix)
{
	/* Hold nothing of the caller's (sockets, pipes) but the socket, keep_fd and tty_fd, as fds
	 * 3, 4 and 5 (moved out of the way first: any may already sit on 3, 4 or 5). */
	int r = fcntl(sock, F_DUPFD, 10);
	int k = keep_fd >= 0 ? fcntl(keep_fd, F_DUPFD, 10) : -1;
	int t = tty_fd >= 0 ? fcntl(tty_fd, F_DUPFD, 10) : -1;
	if (r < 0 || dup2(r, 3) < 0 || (keep_fd >= 0 && (k < 0 || dup2(k, 4) < 0)))
		_exit(1);
	if (t >= 0 && dup2(t, 5) < 0)
		_exit(1);
	sock = 3;
	tty_fd = t >= 0 ? 5 : -1;
	(void)close_range(6, ~0U, 0);
	if (keep_fd < 0)
		close(4);
	if (tty_fd < 0)
		close(5);
	/* Out of the terminal's process group and deaf to every signal it can be: only the end
	 * of isola (or its word) ends it. */
	(void)setpgid(0, 0);
	struct sigaction ign = {.sa_handler = SIG_IGN};
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			(void)sigaction(sig, &ign, NULL);
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

	struct watched w = {0};
	struct pollfd *pfd = NULL;
	for (;;) {
		pfd = xrealloc(pfd, (w.n + 1) * sizeof(*pfd));
		for (size_t i = 0; i < w.n; i++)
			pfd[i] = (struct pollfd){.fd = w.fd[i], .events = POLLIN};
		pfd[w.n] = (struct pollfd){.fd = sock, .events = POLLIN};
		if (poll(pfd, w.n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		bool from_isola = pfd[w.n].revents != 0;
		watch_prune(&w, pfd);
		if (!from_isola)
			continue;
		int said = take(sock, &w);
		if (said > 0)
			_exit(0); /* a normal end: nothing to do */
		if (said < 0)
			break;
	}

	/* isola died. The terminal first: the user's shell is about to take it back. */
	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSANOW, tio);
	/* Its inits are emptying their namespaces: give them a moment, then end the
	 * ones that are not done (a pid namespace dies with its init). */
	int64_t deadline = now_ns() + INIT_GRACE_MS * NSEC_PER_MSEC;
	while (w.n) {
		int64_t left = (deadline - now_ns()) / NSEC_PER_MSEC;
		if (left <= 0)
			break;
		for (size_t i = 0; i < w.n; i++)
			pfd[i] = (struct pollfd){.fd = w.fd[i], .events = POLLIN};
		if (poll(pfd, w.n, (int)left) > 0)
			watch_prune(&w, pfd);
	}
	for (size_t i = 0; i < w.n; i++)
		(void)syscall(SYS_pidfd_send_signal, w.fd[i], SIGKILL, NULL, 0);
	/* The last fallback: whatever still carries the run's mark, wherever it went (never an
	 * empty prefix: that would be every run's). */
	if (mark_prefix && *mark_prefix) {
		struct proc_match m = {.mark = mark_prefix, .prefix = true};
		proctree_kill(&m, 5000);
	}
	_exit(0);
}

void keeper_prepare(struct keeper *k, const char *mark_prefix, int keep_fd)
{
	*k = (struct keeper)KEEPER_INIT;
	k->mark_prefix = xstrdup(mark_prefix);
	k->keep_fd = keep_fd;
}

int keeper_start(struct keeper *k, int tty_fd, struct isola_error *e)
{
	if (k->pid > 0)
		return 0;
	struct termios tio = {0};
	if (tty_fd >= 0 && (!isatty(tty_fd) || tcgetattr(tty_fd, &tio) < 0))
		tty_fd = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return err_set(e, errno, NULL, "cannot start the keeper");
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(sv[0]);
		close(sv[1]);
		return err_set(e, saved, NULL, "cannot start the keeper");
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(sv[1], k->keep_fd, tty_fd, &tio, k->mark_prefix);
	}
	close(sv[1]);
	k->pid = pid;
	k->fd = sv[0];
	return 0;
}

void keeper_watch(struct keeper *k, int pidfd)
{
	if (k && k->fd >= 0 && pidfd >= 0)
		(void)fdpass_send(k->fd, "w", 1, &pidfd, 1);
}

void keeper_stop(struct keeper *k)
{
	if (k->fd >= 0) {
		(void)!send(k->fd, "q", 1, MSG_NOSIGNAL);
		close(k->fd);
	}
	if (k->pid > 0)
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	free(k->mark_prefix);
	*k = (struct keeper)KEEPER_INIT;
}

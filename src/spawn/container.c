/* SPDX-License-Identifier: MIT */
/* isola's init: see container.h. The init's half is at the top, isola's half below it. */
#include "spawn/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fdpass.h"

#define REGION_SIZE (8u << 20) /* more than execve takes (ARG_MAX is a quarter of the stack) */
#define INIT_STACK  (256u << 10)

enum msg_kind {
	MSG_SPAWN = 1, /* start the request in the region; fds attached */
	MSG_SIGNAL,    /* send sig to the test's process group */
	REPLY_READY,   /* the init is set up */
	REPLY_SETUP_FAILED,
	REPLY_STARTED, /* pid: the test's pid in the init's namespace; a pidfd attached if asked */
	REPLY_FAILED,  /* f: where starting it failed */
};

enum setup_step { SETUP_NAMESPACE = 1, SETUP_PROC, SETUP_OTHER };

struct init_msg {
	uint32_t kind;
	int32_t sig;
	uint32_t gen;
	uint32_t fds; /* which of stdin, stdout, stderr are attached (bits 0, 1, 2), in order */
	uint32_t want_pidfd;
};

struct init_reply {
	uint32_t kind;
	int32_t pid;
	struct spawn_failure f;
};

/* What isola packs into the region for one test. Pointers are valid in both processes: the
 * region is mapped at the same address in each. */
struct packed_req {
	struct spawn_req r;
	struct mount_plan plan;
	struct mount_exec x;
	bool has_mounts;
	struct fence fence;
};

struct init_args {
	int sock, events;
	enum own_kind kind;
	unsigned slot;
	struct mount_plan empty; /* no mounts: setup only makes the namespaces usable */
	struct mount_exec setup;
	struct packed_req *region;
	char *spawn_stack;
	bool die_with_caller; /* PR_SET_PDEATHSIG: SIGKILL when isola's thread ends */
};

const char *own_kind_name(enum own_kind k)
{
	return k == OWN_PIDNS ? "pid namespace" : "subreaper";
}

/* ---- the init: async-signal-safe from here to the marker below ------------------------------ */

struct init_state {
	const struct init_args *a;
	int mountinfo; /* -1 if not watched */
	pid_t main;    /* the running test's main process, 0 if none */
	uint32_t gen;
	bool keep_rest; /* the running command's spawn_req.keep_rest */
	int64_t cpu_us, maxrss_kb;
};

static int send_reply(int sock, const struct init_reply *rep, int fd)
{
	ssize_t n = fdpass_send(sock, rep, sizeof(*rep), &fd, fd >= 0 ? 1 : 0);
	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

static void account(struct init_state *st, const struct rusage *ru)
{
	st->cpu_us += (int64_t)ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec +
	              (int64_t)ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
	if (ru->ru_maxrss > st->maxrss_kb)
		st->maxrss_kb = ru->ru_maxrss;
}

/* Without a namespace: SIGKILL the init's own children. Their pids are safe to signal: only the
 * init can reap them. Their children, orphaned, come to the init next. */
static void kill_children(void)
{
	char buf[4096];
	int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	pid_t pid = 0;
	for (char *p = buf; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			pid = pid * 10 + (*p - '0');
			continue;
		}
		if (pid > 0)
			(void)kill(pid, SIGKILL);
		pid = 0;
	}
	if (pid > 0)
		(void)kill(pid, SIGKILL);
}

/*
 * The test's main process has ended (or isola is gone): whatever is left is the test's. Kill it
 * and reap it all; returns how many processes there were. The init has no children left after
 * this, so nothing of the test runs any more.
 */
static unsigned empty_out(struct init_state *st)
{
	int status;
	struct rusage ru;
	pid_t p;
	/* What had already ended (orphans reparented to us as zombies) was not left running. */
	while ((p = wait4(-1, &status, WNOHANG, &ru)) > 0)
		account(st, &ru);
	unsigned n = 0;
	while (p == 0) {
		/* Alive: in a namespace of its own, kill(-1) is everything but the init itself;
		 * without one, never: there it would be every process of the user. */
		if (st->a->kind == OWN_PIDNS)
			(void)kill(-1, SIGKILL);
		else
			kill_children();
		p = wait4(-1, &status, 0, &ru);
		if (p > 0) {
			n++;
			account(st, &ru);
			p = 0; /* there may be more: until ECHILD */
		}
	}
	return n;
}

static void test_ended(struct init_state *st, int status)
{
	struct container_end m = {
	    .slot = st->a->slot,
	    .gen = st->gen,
	    .status = status,
	};
	st->main = 0;
	if (st->keep_rest) {
		/* What it started stays (a fixture's server): only what has ended is reaped. */
		struct rusage ru;
		int ignored;
		while (wait4(-1, &ignored, WNOHANG, &ru) > 0)
			account(st, &ru);
	} else {
		m.leaked = empty_out(st);
	}
	m.cpu_us = st->cpu_us;
	m.maxrss_kb = st->maxrss_kb;
	if (st->mountinfo >= 0) {
		struct pollfd pfd = {.fd = st->mountinfo, .events = POLLPRI};
		if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLPRI | POLLERR)))
			m.mounts_changed = 1;
	}
	ssize_t n;
	do
		n = write(st->a->events, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
}

static void reap(struct init_state *st)
{
	for (;;) {
		int status;
		struct rusage ru;
		pid_t p = wait4(-1, &status, WNOHANG, &ru);
		if (p <= 0)
			return;
		if (st->main)
			account(st, &ru); /* an orphan of the test that ended on its own */
		if (p == st->main) {
			test_ended(st, status);
			return;
		}
	}
}

static void start_test(struct init_state *st, const struct init_msg *m, const int *fds, int nfds)
{
	const struct init_args *a = st->a;
	struct init_reply rep = {.kind = REPLY_FAILED};
	struct spawn_req r = a->region->r;
	int k = 0;
	r.stdin_fd = (m->fds & 1) && k < nfds ? fds[k++] : -1;
	r.stdout_fd = (m->fds & 2) && k < nfds ? fds[k++] : -1;
	r.stderr_fd = (m->fds & 4) && k < nfds ? fds[k++] : -1;
	r.mounts = a->region->has_mounts ? &a->region->plan : NULL;
	r.fence = a->region->fence.abi ? &a->region->fence : NULL;
	if (st->main) {
		rep.f.f.err = EBUSY;
		send_reply(a->sock, &rep, -1);
		return;
	}
	st->cpu_us = st->maxrss_kb = 0;
	pid_t pid = spawn_clone(&r, r.mounts ? &a->region->x : NULL, a->spawn_stack, &rep.f);
	if (pid < 0) {
		send_reply(a->sock, &rep, -1);
		return;
	}
	st->main = pid;
	st->gen = m->gen;
	st->keep_rest = r.keep_rest;
	rep.kind = REPLY_STARTED;
	rep.pid = pid;
	int pidfd = m->want_pidfd ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	send_reply(a->sock, &rep, pidfd);
	if (pidfd >= 0)
		close(pidfd);
}

/* A message from isola; returns -1 when isola is gone (or let the init go). */
static int take_message(struct init_state *st)
{
	struct init_msg m;
	int fds[FDPASS_MAX];
	int nfds = 0;
	ssize_t n = fdpass_recv(st->a->sock, &m, sizeof(m), fds, &nfds, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n != (ssize_t)sizeof(m)) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return -1;
	}
	if (m.kind == MSG_SPAWN)
		start_test(st, &m, fds, nfds);
	else if (m.kind == MSG_SIGNAL && st->main > 0 && m.sig > 0 && m.sig < NSIG)
		if (kill(-st->main, m.sig) < 0 && errno == ESRCH)
			(void)kill(st->main, m.sig);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return 0;
}

NO_SANITIZE_ADDRESS static void setup_failed(int sock, int step, int err)
{
	struct init_reply rep = {.kind = REPLY_SETUP_FAILED};
	rep.f.step = step;
	rep.f.f.err = err;
	send_reply(sock, &rep, -1);
	_exit(1);
}

NO_SANITIZE_ADDRESS static int init_main(void *arg)
{
	const struct init_args *a = arg;
	struct init_state st = {.a = a, .mountinfo = -1};

	/* First of all: if isola is already gone, its socket is closed and the first reply below
	 * fails, so there is no window. The kernel then ends everything in the namespace. */
	if (a->die_with_caller && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);

	/* Keep the socket and the events fd as 3 and 4 (moved out of the way first: either may
	 * sit there already), /dev/null as 0-2, and nothing else of isola's. */
	int s = fcntl(a->sock, F_DUPFD_CLOEXEC, 10);
	int ev = a->events >= 0 ? fcntl(a->events, F_DUPFD_CLOEXEC, 10) : -1;
	if (s < 0 || dup3(s, 3, O_CLOEXEC) < 0)
		_exit(1);
	if (ev >= 0 && dup3(ev, 4, O_CLOEXEC) < 0)
		setup_failed(3, SETUP_OTHER, errno);
	(void)close_range(5, ~0U, 0);
	struct init_args local = *a;
	local.sock = 3;
	local.events = ev >= 0 ? 4 : -1;
	st.a = a = &local;
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		setup_failed(a->sock, SETUP_OTHER, errno);
	if (null > 2)
		close(null);

	if (a->kind == OWN_PIDNS) {
		struct mount_failure f;
		if (mount_exec_apply(&a->setup, &f) < 0)
			setup_failed(a->sock, SETUP_NAMESPACE, f.err);
		/* A /proc of this namespace: the test's pids are those it sees there. */
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			setup_failed(a->sock, SETUP_PROC, errno);
		st.mountinfo = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	} else if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		setup_failed(a->sock, SETUP_OTHER, errno);
	}
	/* Out of the terminal's process group: Ctrl-C is isola's to handle. */
	(void)setpgid(0, 0);
	(void)prctl(PR_SET_NAME, "isola-init", 0, 0, 0);

	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		setup_failed(a->sock, SETUP_OTHER, errno);
	struct init_reply ready = {.kind = REPLY_READY};
	if (send_reply(a->sock, &ready, -1) < 0)
		_exit(1);

	for (;;) {
		struct pollfd pfd[2] = {{.fd = a->sock, .events = POLLIN},
		                        {.fd = sigfd, .events = POLLIN}};
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) > 0)
				;
			reap(&st);
		}
		if (pfd[0].revents && take_message(&st) < 0)
			break;
	}
	/* isola is gone, or let us go: nothing of a test outlives its init. */
	(void)empty_out(&st);
	_exit(0);
}

/* ---- isola's side -------------------------------------------------------------------------- */

static int recv_reply(int sock, struct init_reply *rep, int *fd)
{
	int fds[FDPASS_MAX], nfds;
	ssize_t n = fdpass_recv(sock, rep, sizeof(*rep), fds, &nfds, 0);
	for (int i = 0; i < nfds; i++) {
		if (fd && i == 0)
			*fd = fds[i];
		else
			close(fds[i]);
	}
	if (fd && nfds == 0)
		*fd = -1;
	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

static void release(struct container *c)
{
	if (c->sock >= 0)
		close(c->sock);
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->region)
		munmap(c->region, REGION_SIZE);
	*c = (struct container)CONTAINER_INIT;
}

static int open_kind(struct container *c, enum own_kind kind, unsigned slot, int events_fd,
                     unsigned flags, struct isola_error *e)
{
	int sv[2];
	*c = (struct container)CONTAINER_INIT;
	c->kind = kind;
	c->slot = slot;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return err_set(e, errno, NULL, "cannot start isola's init: socketpair");
	c->sock = sv[0];
	c->region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
	                 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	size_t stacks_len = INIT_STACK + SPAWN_CHILD_STACK;
	char *stacks = mmap(NULL, stacks_len, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (c->region == MAP_FAILED || stacks == MAP_FAILED) {
		int saved = errno;
		if (c->region == MAP_FAILED)
			c->region = NULL;
		if (stacks != MAP_FAILED)
			munmap(stacks, stacks_len);
		close(sv[1]);
		release(c);
		return err_set(e, saved, NULL, "cannot start isola's init: mmap");
	}

	bool root = geteuid() == 0;
	struct init_args ia = {
	    .sock = sv[1],
	    .events = events_fd,
	    .kind = kind,
	    .slot = slot,
	    .region = c->region,
	    .spawn_stack = stacks + INIT_STACK,
	    .die_with_caller = kind == OWN_PIDNS && (flags & CONTAINER_DIE_WITH_CALLER),
	};
	ia.empty.userns = kind == OWN_PIDNS && !root;
	mount_exec_prepare(&ia.setup, &ia.empty);
	ia.setup.plan = &ia.empty; /* the init's copy of ia, at the same address */
	int clone_flags = SIGCHLD;
	if (kind == OWN_PIDNS)
		clone_flags |= CLONE_NEWPID | CLONE_NEWNS | (root ? 0 : CLONE_NEWUSER);

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = clone(init_main, stacks + INIT_STACK, clone_flags, &ia);
	int saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stacks, stacks_len); /* the init has its own copy */
	close(sv[1]);
	if (pid < 0) {
		release(c);
		return err_set(e, saved, NULL, "cannot start isola's init%s",
		               kind == OWN_PIDNS ? " in a pid namespace" : "");
	}
	c->pid = pid;

	struct init_reply rep;
	if (recv_reply(c->sock, &rep, NULL) < 0 || rep.kind != REPLY_READY) {
		bool said = rep.kind == REPLY_SETUP_FAILED;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		release(c);
		if (!said)
			return err_set(e, 0, NULL, "isola's init (pid %d) died while starting",
			               (int)pid);
		switch (rep.f.step) {
		case SETUP_NAMESPACE:
			return err_set(e, rep.f.f.err, NULL,
			               "cannot set up the pid namespace's mount namespace%s",
			               root ? "" : " (through a user namespace)");
		case SETUP_PROC:
			return err_set(e, rep.f.f.err, NULL,
			               "cannot mount a /proc for the pid namespace");
		default:
			return err_set(e, rep.f.f.err, NULL, "cannot set up isola's init");
		}
	}
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

static pthread_mutex_t best_lock = PTHREAD_MUTEX_INITIALIZER;

static int best = -1; /* enum own_kind once decided; under best_lock */
static char best_why[sizeof(((struct isola_error *)0)->message) + 64];

/*
 * Decide the best kind, under best_lock. Where that takes trying a pid namespace, the try is the
 * caller's container c (slot, events_fd) when there is one, so that the first init of a process
 * costs one clone, not a probe and then the real one: returns 1 if c was opened that way.
 */
static int decide(struct container *c, unsigned slot, int events_fd, unsigned flags)
{
	if (best >= 0)
		return 0;
	best = OWN_SUBREAPER;
	if (env_flag("ISOLA_TEST_NO_PIDNS")) {
		snprintf(best_why, sizeof(best_why), "pid namespaces are disabled (ISOLA_TEST_NO_PIDNS)");
		return 0;
	}
	if (env_flag("ISOLA_TEST_NO_NAMESPACES")) {
		snprintf(best_why, sizeof(best_why),
		         "namespaces are disabled (ISOLA_TEST_NO_NAMESPACES)");
		return 0;
	}
	if (geteuid() != 0 && env_flag("ISOLA_TEST_NO_USERNS")) {
		snprintf(best_why, sizeof(best_why),
		         "an ordinary user needs a user namespace for a pid namespace, and user "
		         "namespaces are disabled (ISOLA_TEST_NO_USERNS)");
		return 0;
	}
	struct container probe;
	struct isola_error e = {0};
	if (open_kind(c ? c : &probe, OWN_PIDNS, slot, c ? events_fd : -1, c ? flags : 0, &e) == 0) {
		best = OWN_PIDNS;
		best_why[0] = '\0';
		if (c)
			return 1;
		container_close(&probe, true);
		return 0;
	}
	snprintf(best_why, sizeof(best_why), "no pid namespace: %s%s%s", e.message,
	         e.code ? ": " : "", e.code ? strerror(e.code) : "");
	return 0;
}

enum own_kind container_best(const char **why)
{
	pthread_mutex_lock(&best_lock);
	(void)decide(NULL, 0, -1, 0);
	enum own_kind k = (enum own_kind)best;
	pthread_mutex_unlock(&best_lock);
	if (why)
		*why = best_why;
	return k;
}

int container_open(struct container *c, unsigned slot, int events_fd, unsigned flags,
                   struct isola_error *e)
{
	pthread_mutex_lock(&best_lock);
	int opened = decide(c, slot, events_fd, flags);
	enum own_kind k = (enum own_kind)best;
	pthread_mutex_unlock(&best_lock);
	return opened ? 0 : open_kind(c, k, slot, events_fd, flags, e);
}

/* A bump allocator over the shared region. */
struct arena {
	char *p;
	size_t left;
	bool full;
};

static void *arena_take(struct arena *ar, size_t n)
{
	size_t pad = (16 - ((uintptr_t)ar->p & 15)) & 15;
	if (ar->full || pad + n > ar->left) {
		ar->full = true;
		return NULL;
	}
	void *r = ar->p + pad;
	ar->p += pad + n;
	ar->left -= pad + n;
	return r;
}

static char *arena_str(struct arena *ar, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = arena_take(ar, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static char **arena_strv(struct arena *ar, char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **d = arena_take(ar, (n + 1) * sizeof(*d));
	for (size_t i = 0; d && i < n; i++)
		d[i] = arena_str(ar, v[i]);
	if (d)
		d[n] = NULL;
	return d;
}

/* Copy r (and its mount plan) into the region; false if it does not fit. */
static bool pack(struct container *c, const struct spawn_req *r)
{
	struct packed_req *pr = c->region;
	struct arena ar = {.p = (char *)(pr + 1), .left = REGION_SIZE - sizeof(*pr)};
	memset(pr, 0, sizeof(*pr));
	pr->r = *r;
	pr->r.path = arena_str(&ar, r->path);
	pr->r.argv = arena_strv(&ar, r->argv);
	pr->r.envp = arena_strv(&ar, r->envp);
	pr->r.cwd = arena_str(&ar, r->cwd);
	pr->r.mounts = NULL;
	pr->r.fence = NULL;
	if (r->fence) {
		pr->fence = *r->fence;
		pr->fence.paths = arena_take(&ar, r->fence->n * sizeof(char *));
		for (size_t i = 0; pr->fence.paths && i < r->fence->n; i++)
			pr->fence.paths[i] = arena_str(&ar, r->fence->paths[i]);
		pr->fence.cap = r->fence->n;
	}
	const struct mount_plan *p = r->mounts;
	if (mount_plan_used(p)) {
		pr->has_mounts = true;
		pr->plan = *p;
		pr->plan.root = arena_str(&ar, p->root);
		pr->plan.v = arena_take(&ar, p->n * sizeof(*p->v));
		for (size_t i = 0; pr->plan.v && i < p->n; i++) {
			pr->plan.v[i] = p->v[i];
			pr->plan.v[i].target = arena_str(&ar, p->v[i].target);
			pr->plan.v[i].src = arena_str(&ar, p->v[i].src);
			pr->plan.v[i].upper = arena_str(&ar, p->v[i].upper);
			pr->plan.v[i].work = arena_str(&ar, p->v[i].work);
		}
		pr->plan.cap = p->n;
		mount_exec_prepare(&pr->x, &pr->plan);
		/* An init in a user namespace of its own can mount already. */
		if (c->kind == OWN_PIDNS && geteuid() != 0)
			pr->x.userns = false;
		/* Its mounts are slaves (or private) since its setup: copies of them made for the
		 * test are too, so nothing the test mounts can propagate back, without another
		 * pass over every mount of the machine (a measurable part of each test's cost
		 * where the mount table is long: bench/RESULTS-isolate.md). */
		if (c->kind == OWN_PIDNS)
			pr->x.slave_already = true;
	}
	return !ar.full;
}

/* The pid a pidfd refers to, as this process sees it (fdinfo's "Pid:" line). */
static pid_t pidfd_pid(int pidfd)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nPid:");
	return p ? (pid_t)strtol(p + 5, NULL, 10) : -1;
}

int container_spawn(struct container *c, const struct spawn_req *r, uint32_t gen, pid_t *host_pid,
                    struct isola_error *e)
{
	if (c->sock < 0)
		return err_set(e, EPIPE, NULL, "cannot start '%s': isola's init is gone", r->path);
	if (!pack(c, r))
		return err_set(e, E2BIG, r->path,
		               "cannot start '%s': its arguments, environment and mounts take more "
		               "than %u MiB",
		               r->path, REGION_SIZE >> 20);

	struct init_msg m = {
	    .kind = MSG_SPAWN, .gen = gen, .want_pidfd = host_pid && c->kind == OWN_PIDNS};
	int fds[3], nfds = 0;
	/* -1 is /dev/null for stdin (the init has one), but "inherit" for the others: ours. */
	const int want[3] = {r->stdin_fd, r->stdout_fd >= 0 ? r->stdout_fd : 1,
	                     r->stderr_fd >= 0 ? r->stderr_fd : 2};
	for (int i = 0; i < 3; i++) {
		if (want[i] >= 0) {
			m.fds |= 1u << i;
			fds[nfds++] = want[i];
		}
	}
	ssize_t n = fdpass_send(c->sock, &m, sizeof(m), fds, nfds);

	struct init_reply rep;
	int pidfd = -1;
	if (n != (ssize_t)sizeof(m) || recv_reply(c->sock, &rep, &pidfd) < 0) {
		int saved = errno;
		close(c->sock); /* it is dead or dying: the caller reaps it */
		c->sock = -1;
		return err_set(e, saved, NULL, "cannot start '%s': isola's init (pid %d) is gone",
		               r->path, (int)c->pid);
	}
	if (rep.kind != REPLY_STARTED) {
		if (pidfd >= 0)
			close(pidfd);
		return spawn_failure_describe(r, &rep.f, e);
	}
	if (host_pid)
		*host_pid = c->kind == OWN_PIDNS ? pidfd_pid(pidfd) : rep.pid;
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

void container_drop_pidfd(struct container *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
}

void container_signal(struct container *c, int sig)
{
	if (c->sock < 0)
		return; /* the init drops it too if no test runs */
	struct init_msg m = {.kind = MSG_SIGNAL, .sig = sig};
	(void)!send(c->sock, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int container_read_end(int events_fd, struct container_end *m)
{
	ssize_t n;
	do
		n = read(events_fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 1 : 0;
}

void container_close(struct container *c, bool wait)
{
	pid_t pid = c->pid;
	release(c);
	if (wait && pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

void container_forget(struct container *c)
{
	release(c);
}

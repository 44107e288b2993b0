/* SPDX-License-Identifier: MIT */
/* libisola: struct isola_proc, commands run in a sandbox, each under an init of its own. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/lib.h"
#include "spawn/contract.h"
#include "spawn/spawn.h"
#include "testlist/testlist.h"

extern char **environ;

#define DEFAULT_CAP   (64 * 1024)
#define DEFAULT_GRACE (1000 * NSEC_PER_MSEC)

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);
	unsigned n;
	return v && parse_uint(v, 0, 1u << 30, &n) == 0 ? n : dflt;
}

static int open_output(isola_sandbox *sb, unsigned n, const char *stream, char **path,
		       struct isola_error *err)
{
	if (mkdirat(sb->sb.fd, ".isola-output", 0700) < 0 && errno != EEXIST)
		return err_set(err, errno, sb->sb.path, "cannot create '%s/.isola-output'",
			       sb->sb.path);
	*path = xasprintf("%s/.isola-output/%u.%s", sb->sb.path, n, stream);
	int fd = open(*path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		err_set(err, errno, *path, "cannot create '%s'", *path);
	return fd;
}

ISOLA_API isola_proc *isola_start(isola_sandbox *sb, char *const argv[],
				  const struct isola_run_opts *opts, struct isola_error *err)
{
	static const struct isola_run_opts defaults;
	if (!opts)
		opts = &defaults;
	err_clear(err);
	if (!sb || !argv || !argv[0]) {
		err_set(err, EINVAL, NULL, "isola_start: no sandbox or no command");
		return NULL;
	}

	char *path;
	if (strchr(argv[0], '/'))
		path = argv[0][0] == '/' ? xstrdup(argv[0])
					 : xasprintf("%s/%s", sb->base_dir, argv[0]);
	else
		path = find_in_path(argv[0]);
	if (!path) {
		err_set(err, 0, argv[0], "cannot start '%s': not found in PATH", argv[0]);
		if (err)
			err->code = ENOENT;
		return NULL;
	}

	isola_proc *p = xcalloc(1, sizeof(*p));
	unsigned n = ++sb->nprocs;
	p->sb = sb;
	p->init = (struct container)CONTAINER_INIT;
	p->events = -1;
	p->cap = opts->output_cap ? opts->output_cap : DEFAULT_CAP;
	p->grace_ns = opts->grace_ms > 0 ? opts->grace_ms * NSEC_PER_MSEC : DEFAULT_GRACE;
	snprintf(p->token, sizeof(p->token), "%s.%u", sb->rd.id, n);

	int out = -1, errfd = -1;
	if (opts->stdio == ISOLA_STDIO_CAPTURE) {
		out = open_output(sb, n, "stdout", &p->out_path, err);
		if (out < 0)
			goto fail;
		errfd = open_output(sb, n, "stderr", &p->err_path, err);
		if (errfd < 0)
			goto fail;
	}

	const char *test = getenv("ISOLA_TEST");
	const char *source = getenv("ISOLA_SOURCE_DIR");
	struct contract c = {
		.run_id = sb->rd.id,
		.test = test && *test ? test : argv[0],
		.sandbox = sb->sb.path,
		.source_dir = source && *source ? source : sb->base_dir,
		.slot = env_uint("ISOLA_SLOT", 0),
		.attempt = env_uint("ISOLA_ATTEMPT", 1),
		.keep_home = sb->keep_home,
		.mark_token = p->token,
	};
	struct strv envp = STRV_INIT;
	contract_env(&c, environ, &sb->env_set, &sb->env_unset, &envp);
	char *cwd = opts->cwd ? (opts->cwd[0] == '/' ? xstrdup(opts->cwd)
						      : xasprintf("%s/%s", sb->sb.path, opts->cwd))
			      : xstrdup(sb->sb.path);
	bool inherit = opts->stdio == ISOLA_STDIO_INHERIT;
	struct spawn_req req = {
		.path = path,
		.argv = argv,
		.envp = strv_get(&envp),
		.cwd = cwd,
		.stdin_fd = inherit ? 0 : -1,
		.stdout_fd = inherit ? -1 : out,
		.stderr_fd = inherit ? -1 : errfd,
		.new_pgroup = true,
	};
	/* Its own init: everything it starts is found there, and dies there (container.h). Only
	 * the init keeps the events pipe's write end, so its death reads as EOF here. */
	int ev[2];
	int r = -1;
	if (pipe2(ev, O_CLOEXEC) < 0) {
		err_set(err, errno, NULL, "cannot create a pipe");
	} else {
		p->events = ev[0];
		r = container_open(&p->init, 0, ev[1],
		                   sb->die_with_caller ? CONTAINER_DIE_WITH_CALLER : 0, err);
		close(ev[1]);
	}
	if (r == 0 && (!sb->die_with_caller || p->init.kind != OWN_PIDNS)) {
		/* If this process dies (even by SIGKILL), the keeper kills what it started here.
		 * (An init that dies with its caller needs none.) */
		if (sb->keeper.pid <= 0 && !sb->keeper.mark_prefix) {
			char *prefix = xasprintf("%s.", sb->rd.id);
			keeper_prepare(&sb->keeper, prefix, sb->rd.fd);
			free(prefix);
		}
		r = keeper_start(&sb->keeper, -1, err);
		if (r == 0)
			keeper_watch(&sb->keeper, p->init.pidfd);
	}
	if (r == 0) {
		container_drop_pidfd(&p->init);
		p->start_ns = now_ns();
		r = container_spawn(&p->init, &req, 1, &p->pid, err);
	}
	strv_release(&envp);
	free(cwd);
	if (r < 0)
		goto fail;
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	free(path);
	p->deadline_ns = opts->timeout_ms > 0 ? p->start_ns + opts->timeout_ms * NSEC_PER_MSEC : 0;
	p->next = sb->procs;
	sb->procs = p;
	return p;

fail:
	container_close(&p->init, true);
	if (p->events >= 0)
		close(p->events);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	free(path);
	free(p->out_path);
	free(p->err_path);
	free(p);
	return NULL;
}

ISOLA_API pid_t isola_proc_pid(const isola_proc *p)
{
	return p ? p->pid : -1;
}

/* Read the first cap bytes of path into a NUL-terminated buffer. */
static void read_capped(const char *path, size_t cap, char **buf, size_t *len, int *truncated)
{
	*buf = NULL;
	*len = 0;
	*truncated = 0;
	if (!path)
		return;
	int fd = open_regular(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		*buf = xstrdup("");
		return;
	}
	size_t want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
	*buf = xmalloc(want + 1);
	ssize_t n = pread(fd, *buf, want, 0);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	(*buf)[*len] = '\0';
	*truncated = (size_t)st.st_size > cap;
}

/* The next moment something must happen (deadline, grace end), or 0 for none. */
static int64_t next_event(const isola_proc *p)
{
	return p->deadline_ns;
}

static void escalate(isola_proc *p)
{
	if (!p->stopping) {
		container_signal(&p->init, SIGTERM);
		p->stopping = true;
		p->deadline_ns = now_ns() + p->grace_ns;
	} else if (!p->killed) {
		container_signal(&p->init, SIGKILL);
		p->killed = true;
		p->deadline_ns = 0;
	}
}

/* Wait until the init says the command ended (its processes are all gone by then); fills *m.
 * Returns 0, or -1 if the init died without a word. */
static int wait_end(isola_proc *p, int sigfd, struct container_end *m)
{
	for (;;) {
		int64_t next = next_event(p);
		int timeout_ms = -1;
		if (next) {
			int64_t left = next - now_ns();
			timeout_ms = left <= 0 ? 0 : (int)((left + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
		}
		struct pollfd pfd[2] = {{.fd = p->events, .events = POLLIN},
					{.fd = sigfd, .events = POLLIN}};
		int n = poll(pfd, sigfd >= 0 ? 2 : 1, timeout_ms);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && pfd[0].revents) {
			if (container_read_end(p->events, m) == 1)
				return 0;
			if (pfd[0].revents & (POLLHUP | POLLERR))
				return -1;
		}
		if (sigfd >= 0 && n > 0 && (pfd[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				if (p->stopping) {
					escalate(p);
					continue;
				}
				/* The first signal is passed on as it is; the grace starts. */
				container_signal(&p->init, (int)si.ssi_signo);
				p->stopping = true;
				p->deadline_ns = now_ns() + p->grace_ns;
			}
		}
		if (next && now_ns() >= next) {
			if (!p->stopping)
				p->timed_out = true;
			escalate(p);
		}
	}
}

int lib_proc_wait(isola_proc *p, int sigfd, struct isola_result *res, struct isola_error *err)
{
	struct isola_result empty = {0};
	*res = empty;
	err_clear(err);
	struct container_end m;
	int got = wait_end(p, sigfd, &m);
	res->duration_ns = now_ns() - p->start_ns;
	pid_t init_pid = p->init.pid;
	container_close(&p->init, true);
	if (got == 0 && !p->stopping)
		res->leaked = m.leaked;

	int ret = 0;
	int status = m.status;
	if (got < 0) {
		ret = err_set(err, ECHILD, NULL,
			      "the init of process %d (pid %d) died: it was killed", (int)p->pid,
			      (int)init_pid);
	} else if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	res->timed_out = p->timed_out;
	read_capped(p->out_path, p->cap, &res->out, &res->out_len, &res->out_truncated);
	read_capped(p->err_path, p->cap, &res->err, &res->err_len, &res->err_truncated);
	res->out_path = p->out_path;
	res->err_path = p->err_path;

	lib_sandbox_forget(p->sb, p);
	close(p->events);
	free(p);
	return ret;
}

void lib_proc_forget(isola_proc *p)
{
	lib_sandbox_forget(p->sb, p);
	container_close(&p->init, true); /* its init ends whatever is left of it */
	close(p->events);
	free(p->out_path);
	free(p->err_path);
	free(p);
}

ISOLA_API int isola_proc_wait(isola_proc *p, struct isola_result *res, struct isola_error *err)
{
	if (!p || !res)
		return err_set(err, EINVAL, NULL, "isola_proc_wait: no process or no result");
	return lib_proc_wait(p, -1, res, err);
}

ISOLA_API int isola_proc_stop(isola_proc *p, struct isola_result *res, struct isola_error *err)
{
	if (!p || !res)
		return err_set(err, EINVAL, NULL, "isola_proc_stop: no process or no result");
	escalate(p);
	return lib_proc_wait(p, -1, res, err);
}

ISOLA_API int isola_run(isola_sandbox *sb, char *const argv[], const struct isola_run_opts *opts,
			struct isola_result *res, struct isola_error *err)
{
	if (!res)
		return err_set(err, EINVAL, NULL, "isola_run: no result");
	isola_proc *p = isola_start(sb, argv, opts, err);
	if (!p) {
		struct isola_result empty = {0};
		*res = empty;
		return -1;
	}
	return isola_proc_wait(p, res, err);
}

ISOLA_API void isola_result_release(struct isola_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	free(res->out_path);
	free(res->err_path);
	struct isola_result empty = {0};
	*res = empty;
}

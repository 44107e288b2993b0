/* SPDX-License-Identifier: MIT */
#include "sched/fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/capture.h"
#include "config/settings.h"
#include "spawn/container.h"
#include "spawn/contract.h"
#include "spawn/environ.h"
#include "spawn/spawn.h"

extern char **environ;

/* The most an export file may hold: it is a few KEY=VALUE lines. */
#define EXPORT_MAX  (64 * 1024)
#define EXPORT_FILE "export.env"

struct fixture {
	const struct setup_decl *d;
	size_t *deps; /* indices in fixtures.v of the setups it requires */
	size_t ndeps;
	struct sandbox sb;
	char *log_path;
	int log_fd;
	struct container c;
	bool ran; /* its command was started (its teardown is owed) */
	bool ok;  /* it ended with exit 0 and good exports */
	bool teardown_failed;
	char *reason;        /* why not ok */
	struct strv exports; /* KEY=VALUE, '$' doubled (env values expand ${NAME}) */
	unsigned tests;      /* tests that require it */
};

/* ---- checks ---------------------------------------------------------------------------------- */

static size_t setup_index(const struct config *cfg, const char *name)
{
	const struct setup_decl *d = config_setup(cfg, name);
	return d ? (size_t)(d - cfg->setups) : SIZE_MAX;
}

/* Depth-first over the setups' requires: 0 white, 1 on the path, 2 done. */
static int find_cycle(const struct config *cfg, size_t i, unsigned char *colour, size_t *path,
                      size_t depth, struct isola_error *e)
{
	colour[i] = 1;
	path[depth] = i;
	const struct setup_decl *d = &cfg->setups[i];
	for (size_t k = 0; k < d->s.requires.n; k++) {
		size_t j = setup_index(cfg, d->s.requires.v[k]);
		if (colour[j] == 1) {
			char cycle[512] = "";
			size_t from = depth, len = 0;
			while (path[from] != j)
				from--;
			for (size_t p = from; p <= depth + 1 && len < sizeof(cycle); p++)
				len += (size_t)snprintf(cycle + len, sizeof(cycle) - len, "%s%s",
				                        p > from ? " -> " : "",
				                        cfg->setups[p <= depth ? path[p] : j].name);
			err_set(
			    e, 0, cfg->path,
			    "%s:%d: the setups require each other in a cycle (%s): remove one of "
			    "those requires",
			    cfg->path, cfg->setups[j].line, cycle);
			return -1;
		}
		if (colour[j] == 0 && find_cycle(cfg, j, colour, path, depth + 1, e) < 0)
			return -1;
	}
	colour[i] = 2;
	return 0;
}

int fixtures_check(const struct testlist *tl, const struct config *cfg, struct isola_error *e)
{
	for (size_t i = 0; i < tl->n; i++) {
		const struct test *t = &tl->v[i];
		for (size_t k = 0; k < t->s.requires.n; k++) {
			const char *name = t->s.requires.v[k];
			if (!cfg)
				return err_set(
				    e, 0, NULL,
				    "test '%s' requires the setup '%s', but there is no config "
				    "file to define it in: add a [setup %s] section to one",
				    t->name, name, name);
			if (!config_setup(cfg, name))
				return err_set(
				    e, 0, cfg->path,
				    "test '%s' requires the setup '%s', which %s does not "
				    "define: add a [setup %s] section, or remove the requires",
				    t->name, name, cfg->path, name);
		}
	}
	if (!cfg || !cfg->nsetups)
		return 0;
	for (size_t i = 0; i < cfg->nsetups; i++) {
		const struct setup_decl *d = &cfg->setups[i];
		if (!d->argv.n)
			return err_set(
			    e, 0, cfg->path,
			    "%s:%d: [setup %s] has no command (give it command = PROGRAM "
			    "ARGS...)",
			    cfg->path, d->line, d->name);
		for (size_t k = 0; k < d->s.requires.n; k++)
			if (!config_setup(cfg, d->s.requires.v[k]))
				return err_set(
				    e, 0, cfg->path,
				    "%s:%d: [setup %s] requires the setup '%s', which is not "
				    "defined: add a [setup %s] section, or remove the requires",
				    cfg->path, d->line, d->name, d->s.requires.v[k],
				    d->s.requires.v[k]);
		if (d->s.res.n)
			return err_set(
			    e, 0, cfg->path,
			    "%s:%d: [setup %s] stages resources (copy, ro, mkdir): a setup "
			    "prepares what the tests share; let it make what it needs in its "
			    "sandbox ($ISOLA_SANDBOX)",
			    cfg->path, d->line, d->name);
	}
	unsigned char *colour = xcalloc(cfg->nsetups, 1);
	size_t *path = xcalloc(cfg->nsetups, sizeof(*path));
	int ret = 0;
	for (size_t i = 0; i < cfg->nsetups && !ret; i++)
		if (!colour[i])
			ret = find_cycle(cfg, i, colour, path, 0, e);
	free(colour);
	free(path);
	return ret;
}

/* ---- running one command of a fixture ---------------------------------------------------------
 */

/* Add setup i of cfg and what it requires to f, those first (post-order); returns its index. */
static size_t need(struct fixtures *f, const struct config *cfg, size_t i, size_t *index_of)
{
	if (index_of[i] != SIZE_MAX)
		return index_of[i];
	const struct setup_decl *d = &cfg->setups[i];
	size_t *deps = xcalloc(d->s.requires.n + 1, sizeof(*deps));
	for (size_t k = 0; k < d->s.requires.n; k++)
		deps[k] = need(f, cfg, setup_index(cfg, d->s.requires.v[k]), index_of);
	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n] = (struct fixture){
	    .d = d,
	    .deps = deps,
	    .ndeps = d->s.requires.n,
	    .sb = SANDBOX_INIT,
	    .log_fd = -1,
	    .c = CONTAINER_INIT,
	};
	return index_of[i] = f->n++;
}

/* Why the setup failed, for people. */
#define set_reason(fx, ...) xasprintf_to(&(fx)->reason, __VA_ARGS__)

/* Every export of fx's requirements, then its own: the environment values it hands on. */
static void gather_exports(const struct fixtures *f, const struct fixture *fx, struct strv *out)
{
	for (size_t k = 0; k < fx->ndeps; k++)
		gather_exports(f, &f->v[fx->deps[k]], out);
	strv_extend(out, &fx->exports);
}

/* A line for people, through f->say. */
static void say(const struct fixtures *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct fixtures *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	if (!f->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	f->say(line);
}

/* How often wait_end() looks whether the init is still there (it may be killed: a subreaper's
 * command can kill it, and so can the OOM killer). */
#define INIT_CHECK_MS 100

/*
 * Wait for the command running in fx's init to end: its status, or -1 if the init died first
 * (then fx->c is forgotten). A stopping signal (read from sigfd) ends it as Ctrl-C ends a test:
 * SIGTERM, the grace, SIGKILL; *why says so, or that it timed out, or is NULL.
 */
static int wait_end(struct fixtures *f, struct fixture *fx, int sigfd, int64_t timeout_ns,
                    int64_t grace_ns, int *status, const char **why)
{
	int64_t deadline = timeout_ns > 0 ? now_ns() + timeout_ns : 0;
	int stage = 0; /* 1: SIGTERM sent, 2: SIGKILL sent */
	*why = NULL;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = f->events[0], .events = POLLIN},
		                        {.fd = sigfd, .events = POLLIN}};
		int wait = INIT_CHECK_MS;
		if (deadline) {
			int64_t left = deadline - now_ns();
			if (left < (int64_t)INIT_CHECK_MS * NSEC_PER_MSEC)
				wait = left <= 0 ? 0 : (int)(left / NSEC_PER_MSEC) + 1;
		}
		int r = poll(pfd, 2, wait);
		if (r < 0 && errno != EINTR)
			return -1;
		struct container_end m;
		if (r > 0 && pfd[0].revents && container_read_end(f->events[0], &m) == 1) {
			*status = m.status;
			return 0;
		}
		/* Its end message is written before the init could die: none, and it is gone. */
		if (waitpid(fx->c.pid, NULL, WNOHANG) == fx->c.pid) {
			if (container_read_end(f->events[0], &m) == 1) {
				container_forget(&fx->c);
				*status = m.status;
				return 0;
			}
			container_forget(&fx->c);
			return -1;
		}
		struct signalfd_siginfo si;
		if (r > 0 && pfd[1].revents && read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (!f->stop_signal)
				f->stop_signal = (int)si.ssi_signo;
			*why = "interrupted";
			container_signal(&fx->c, stage ? SIGKILL : SIGTERM);
			stage = stage ? 2 : 1;
			deadline = stage == 1 ? now_ns() + grace_ns : 0;
			continue;
		}
		if (deadline && now_ns() >= deadline) {
			if (!*why)
				*why = "timed out";
			container_signal(&fx->c, stage ? SIGKILL : SIGTERM);
			stage = stage ? 2 : 1;
			deadline = stage == 1 ? now_ns() + (grace_ns > 0 ? grace_ns : 1) : 0;
		}
	}
}

/* Start argv in fx's init with fx's environment; keep_rest for the setup. Returns 0 or -1. */
static int start(struct fixtures *f, struct fixture *fx, const struct config *cfg,
                 const struct strv *argv, bool keep_rest, struct rundir *rd, const char *source_dir,
                 struct isola_error *e)
{
	char *prog = program_path(cfg->dir, argv->v[0]);
	if (!prog)
		return err_set(e, 0, cfg->path, "'%s' is not an executable program%s", argv->v[0],
		               strchr(argv->v[0], '/') ? "" : " found in PATH");
	char token[96];
	snprintf(token, sizeof(token), "%s.setup-%s", rd->id, fx->d->name);
	char *test = xasprintf("setup %s", fx->d->name);
	struct contract c = {
	    .run_id = rd->id,
	    .test = test,
	    .sandbox = fx->sb.path,
	    .source_dir = source_dir,
	    .slot = 0,
	    .attempt = 1,
	    .keep_home = fx->d->s.keep_home > 0,
	    .mark_token = token,
	};
	struct strv set = STRV_INIT, envp = STRV_INIT;
	for (size_t k = 0; k < fx->ndeps; k++)
		gather_exports(f, &f->v[fx->deps[k]], &set);
	strv_extend(&set, &fx->d->s.env_set);
	contract_env(&c, environ, &set, &fx->d->s.env_unset, &envp);
	strv_push_take(&envp, xasprintf("ISOLA_EXPORT=%s/" EXPORT_FILE, fx->sb.path));
	const char *cwdset = fx->d->s.cwd;
	char *cwd = !cwdset            ? xstrdup(fx->sb.path)
	            : cwdset[0] == '/' ? xstrdup(cwdset)
	                               : xasprintf("%s/%s", fx->sb.path, cwdset);
	struct spawn_req req = {
	    .path = prog,
	    .argv = argv->v,
	    .envp = strv_get(&envp),
	    .cwd = cwd,
	    .stdin_fd = -1,
	    .stdout_fd = fx->log_fd,
	    .stderr_fd = fx->log_fd,
	    .new_pgroup = true,
	    .keep_rest = keep_rest,
	};
	int r = container_spawn(&fx->c, &req, 1, NULL, e);
	free(cwd);
	free(prog);
	free(test);
	strv_release(&set);
	strv_release(&envp);
	return r;
}

/* Read $ISOLA_EXPORT: KEY=VALUE lines (blank lines and # comments skipped). */
static int read_exports(struct fixture *fx, struct isola_error *e)
{
	int fd = openat(fx->sb.fd, EXPORT_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(e, errno, NULL, "cannot read $ISOLA_EXPORT");
	struct stat st;
	char *buf = NULL;
	int ret = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > EXPORT_MAX) {
		ret = err_set(e, 0, NULL, "$ISOLA_EXPORT is not a regular file of at most %d bytes",
		              EXPORT_MAX);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		ret = err_set(e, errno, NULL, "cannot read $ISOLA_EXPORT");
		goto out;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n)) {
		ret = err_set(e, 0, NULL, "$ISOLA_EXPORT holds a NUL byte: it is not text");
		goto out;
	}
	unsigned line = 0;
	for (char *p = buf, *next; p && *p && !ret; p = next) {
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		line++;
		if (!*p || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		struct isola_error ne = {0};
		if (eq)
			*eq = '\0';
		if (!eq || env_name_check(p, &ne) < 0) {
			ret =
			    err_set(e, 0, NULL, "$ISOLA_EXPORT line %u: expected KEY=VALUE", line);
			break;
		}
		for (const char *const *c = contract_names; *c; c++)
			if (strcmp(*c, p) == 0)
				ret =
				    err_set(e, 0, NULL,
				            "$ISOLA_EXPORT line %u: %s is isola's to set (a test's "
				            "environment contract)",
				            line, p);
		/* Doubled '$': the value is taken as it is, not expanded as ${NAME}. */
		const char *v = eq + 1;
		size_t klen = strlen(p), size = klen + 1;
		for (const char *c = v; *c; c++)
			size += *c == '$' ? 2 : 1;
		char *kv = xmalloc(size + 1), *o = kv + klen + 1;
		memcpy(kv, p, klen);
		kv[klen] = '=';
		for (const char *c = v; *c; c++) {
			if (*c == '$')
				*o++ = '$';
			*o++ = *c;
		}
		*o = '\0';
		strv_push_take(&fx->exports, kv);
	}
out:
	free(buf);
	close(fd);
	return ret;
}

/* Make fx's sandbox, log and init, and run its setup command to its end. */
static void run_setup(struct fixtures *f, struct fixture *fx, const struct config *cfg,
                      struct rundir *rd, const char *source_dir, int sigfd, struct keeper *k)
{
	struct isola_error e = {0};
	int64_t t0 = now_ns();
	if (sandbox_create(&fx->sb, rd, 0, &e) < 0 ||
	    (fx->log_fd = capture_open(rd->fd, rd->path, fx->sb.name, &fx->log_path, &e)) < 0 ||
	    container_open(&fx->c, 0, f->events[1], CONTAINER_DIE_WITH_CALLER, &e) < 0) {
		set_reason(fx, "isola: %s", e.message);
		return;
	}
	if (k && (fx->c.kind != OWN_PIDNS || k->pid > 0)) {
		if (keeper_start(k, -1, &e) < 0) {
			set_reason(fx, "isola: %s", e.message);
			return;
		}
		keeper_watch(k, fx->c.pidfd);
	}
	container_drop_pidfd(&fx->c);
	if (start(f, fx, cfg, &fx->d->argv, true, rd, source_dir, &e) < 0) {
		set_reason(fx, "isola: %s", e.message);
		return;
	}
	fx->ran = true;
	int status = 0;
	const char *why;
	if (wait_end(f, fx, sigfd, fx->d->s.timeout_ns, fx->d->s.grace_ns, &status, &why) < 0) {
		set_reason(fx, "isola: its init ended before it did");
		return;
	}
	char buf[64], d[32];
	if (why && strcmp(why, "timed out") == 0)
		set_reason(fx, "timed out after %s; %s",
		           fmt_duration(fx->d->s.timeout_ns, d, sizeof(d)),
		           describe_status(status, buf, sizeof(buf)));
	else if (why)
		set_reason(fx, "%s; %s", why, describe_status(status, buf, sizeof(buf)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		set_reason(fx, "%s", describe_status(status, buf, sizeof(buf)));
	else if (read_exports(fx, &e) < 0)
		set_reason(fx, "%s", e.message);
	else
		fx->ok = true;
	if (fx->ok)
		say(f, "setup %s: ready in %s", fx->d->name,
		    fmt_duration(now_ns() - t0, d, sizeof(d)));
}

/* Does test t require fixture fx, directly or through another setup? */
static bool requires_fixture(const struct fixtures *f, const struct fixture *fx,
                             const struct strv *requires)
{
	for (size_t k = 0; k < requires->n; k++) {
		for (size_t i = 0; i < f->n; i++) {
			if (strcmp(f->v[i].d->name, requires->v[k]) != 0)
				continue;
			if (&f->v[i] == fx || requires_fixture(f, fx, &f->v[i].d->s.requires))
				return true;
		}
	}
	return false;
}

int fixtures_setup(struct fixtures *f, struct testlist *tl, const struct config *cfg,
                   struct rundir *rd, const char *source_dir, struct keeper *k,
                   struct isola_error *e)
{
	*f = (struct fixtures){.events = {-1, -1}, .say = f->say, .keep = f->keep};
	if (!cfg || !cfg->nsetups)
		return 0;
	size_t *index_of = xmalloc(cfg->nsetups * sizeof(*index_of));
	for (size_t i = 0; i < cfg->nsetups; i++)
		index_of[i] = SIZE_MAX;
	for (size_t i = 0; i < tl->n; i++)
		for (size_t r = 0; r < tl->v[i].s.requires.n; r++)
			need(f, cfg, setup_index(cfg, tl->v[i].s.requires.v[r]), index_of);
	free(index_of);
	if (!f->n)
		return 0;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0 || pipe2(f->events, O_CLOEXEC) < 0) {
		int saved = errno;
		if (sigfd >= 0)
			close(sigfd);
		return err_set(e, saved, NULL, "cannot set up the fixtures");
	}
	(void)fcntl(f->events[0], F_SETFL, O_NONBLOCK);

	for (size_t i = 0; i < f->n; i++) {
		struct fixture *fx = &f->v[i];
		for (size_t k2 = 0; k2 < fx->ndeps && !fx->reason; k2++)
			if (!f->v[fx->deps[k2]].ok)
				set_reason(fx, "not run: the setup %s it requires failed",
				           f->v[fx->deps[k2]].d->name);
		if (f->stop_signal && !fx->reason)
			set_reason(fx, "not run: interrupted");
		if (!fx->reason)
			run_setup(f, fx, cfg, rd, source_dir, sigfd, k);
	}
	close(sigfd);

	/* Hand each test what its setups exported, or their failure. */
	for (size_t i = 0; i < tl->n; i++) {
		struct test *t = &tl->v[i];
		if (!t->s.requires.n)
			continue;
		struct strv env = STRV_INIT;
		for (size_t x = 0; x < f->n; x++) {
			struct fixture *fx = &f->v[x];
			if (!requires_fixture(f, fx, &t->s.requires))
				continue;
			fx->tests++;
			if (!fx->ok && !t->blocked) {
				t->blocked = xasprintf("setup %s failed: %s", fx->d->name,
				                       fx->reason ? fx->reason : "?");
				t->blocked_log = fx->log_path ? xstrdup(fx->log_path) : NULL;
			}
			strv_extend(&env, &fx->exports);
			if (fx->sb.path) /* NULL: it never ran (a setup it requires failed) */
				strv_push(&t->setup_dirs, fx->sb.path);
		}
		strv_extend(&env, &t->s.env_set);
		strv_release(&t->s.env_set);
		t->s.env_set = env;
	}
	for (size_t i = 0; i < f->n; i++) {
		struct fixture *fx = &f->v[i];
		if (fx->ok)
			continue;
		say(f, "setup %s failed (%s): its %u test%s %s ERROR%s%s", fx->d->name,
		    fx->reason ? fx->reason : "?", fx->tests, fx->tests == 1 ? "" : "s",
		    fx->tests == 1 ? "is an" : "are", fx->log_path ? "; log: " : "",
		    fx->log_path ? fx->log_path : "");
	}
	return 0;
}

pid_t *fixtures_pids(const struct fixtures *f, size_t *n)
{
	pid_t *v = xcalloc(f->n + 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].c.pid > 0)
			v[(*n)++] = f->v[i].c.pid;
	return v;
}

unsigned fixtures_teardown(struct fixtures *f, struct rundir *rd, const char *source_dir,
                           const struct config *cfg)
{
	unsigned failed = 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	int sigfd = f->n ? signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) : -1;
	for (size_t i = f->n; i-- > 0;) {
		struct fixture *fx = &f->v[i];
		struct isola_error e = {0};
		if (fx->ran && fx->d->teardown.n && fx->c.pid > 0) {
			static const char sep[] = "\n--- isola: teardown ---\n";
			if (write(fx->log_fd, sep, sizeof(sep) - 1) < 0) {
				/* the log is evidence only: the teardown runs all the same */
			}
			int status = 0;
			const char *why = NULL;
			char buf[64];
			if (start(f, fx, cfg, &fx->d->teardown, false, rd, source_dir, &e) < 0) {
				say(f, "teardown %s failed: %s", fx->d->name, e.message);
				fx->teardown_failed = true;
			} else if (wait_end(f, fx, sigfd, fx->d->s.timeout_ns, fx->d->s.grace_ns,
			                    &status, &why) < 0) {
				say(f, "teardown %s failed: its init ended before it did; log: %s",
				    fx->d->name, fx->log_path ? fx->log_path : "?");
				fx->teardown_failed = true;
			} else if (why || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				say(f, "teardown %s failed (%s%s%s); log: %s", fx->d->name,
				    why ? why : "", why ? "; " : "",
				    describe_status(status, buf, sizeof(buf)),
				    fx->log_path ? fx->log_path : "?");
				fx->teardown_failed = true;
			}
		}
		failed += fx->teardown_failed;
		/* The init kills what the setup left running, and only then is it gone. */
		if (fx->c.pid > 0)
			container_close(&fx->c, true);
		if (fx->log_fd >= 0)
			close(fx->log_fd);
		fx->log_fd = -1;
		bool keep = f->keep == KEEP_ALL ||
		            (f->keep == KEEP_FAILED && (!fx->ok || fx->teardown_failed));
		if (fx->sb.name && !keep && sandbox_remove(&fx->sb, rd, &e) == 0) {
			if (fx->log_path)
				(void)unlink(fx->log_path);
		} else if (fx->sb.name) {
			say(f, "kept the sandbox of setup %s: %s", fx->d->name, fx->sb.path);
			sandbox_keep(&fx->sb, rd);
		}
	}
	if (sigfd >= 0)
		close(sigfd);
	for (size_t i = 0; i < f->n; i++) {
		struct fixture *fx = &f->v[i];
		sandbox_release(&fx->sb);
		free(fx->deps);
		free(fx->log_path);
		free(fx->reason);
		strv_release(&fx->exports);
	}
	free(f->v);
	if (f->events[0] >= 0) {
		close(f->events[0]);
		close(f->events[1]);
	}
	*f = (struct fixtures){
	    .events = {-1, -1}, .stop_signal = f->stop_signal, .say = f->say, .keep = f->keep};
	return failed;
}

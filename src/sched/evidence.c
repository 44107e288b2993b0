/* SPDX-License-Identifier: MIT */
#include "sched/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/rmtree.h"

#define HEADER "isola-evidence"
/* Bigger than any record isola writes (execve takes at most a quarter of the stack limit for
 * argv and envp: a few MiB); a larger file is not ours. */
#define EVIDENCE_MAX (64u << 20)
#define NOT_OURS "it is not isola's evidence"

/* ---- writing --------------------------------------------------------------------------------- */

struct buf {
	char *p;
	size_t n, cap;
};

static void put_raw(struct buf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		while (b->n + n > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void put_n(struct buf *b, const char *key, const void *v, size_t n)
{
	char head[96];
	int h = snprintf(head, sizeof(head), "%s %zu\n", key, n);
	put_raw(b, head, (size_t)h);
	put_raw(b, v, n);
	put_raw(b, "\n", 1);
}

static void put(struct buf *b, const char *key, const char *v)
{
	if (v)
		put_n(b, key, v, strlen(v));
}

static void put_i(struct buf *b, const char *key, int64_t v)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRId64, v);
	put(b, key, s);
}

static void put_list(struct buf *b, const char *key, const struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		put(b, key, l->v[i]);
}

static void put_settings(struct buf *b, const struct settings *s)
{
	for (size_t i = 0; i < s->res.n; i++) {
		const struct resource *r = &s->res.v[i];
		if (r->kind == RES_MKDIR) {
			put(b, "mkdir", r->dest);
			continue;
		}
		/* SRC NUL DEST: neither holds a NUL. */
		size_t ls = strlen(r->src), ld = strlen(r->dest);
		char *v = xmalloc(ls + 1 + ld);
		memcpy(v, r->src, ls + 1);
		memcpy(v + ls + 1, r->dest, ld);
		put_n(b, r->kind == RES_COPY ? "copy" : "ro", v, ls + 1 + ld);
		free(v);
	}
	put(b, "stage", s->stage >= 0 ? stage_strategy_name((enum stage_strategy)s->stage) : NULL);
	put_list(b, "env-set", &s->env_set);
	put_list(b, "env-unset", &s->env_unset);
	put_i(b, "timeout-ns", s->timeout_ns);
	put_i(b, "grace-ns", s->grace_ns);
	put(b, "cwd-setting", s->cwd);
	put_i(b, "keep-home", s->keep_home);
	put_i(b, "leak", s->leak);
	put_i(b, "skip-exit", s->skip_exit);
	put_i(b, "error-exit", s->error_exit);
	put_i(b, "will-fail", s->will_fail);
	put_i(b, "protocol", s->protocol);
	put_i(b, "isolate", s->isolate);
	put_list(b, "tree", &s->trees);
	put_list(b, "share", &s->shares);
	put_i(b, "fence", s->fence);
	put_list(b, "allow-write", &s->allow_write);
	put_list(b, "lock", &s->locks);
}

/*
 * Make the evidence directory. Its name is isola's: what the test left there (a directory, a
 * file, a symlink planted to send isola's writes elsewhere, a record forged for isola repro to
 * trust) is removed first, never followed. Nothing of the test runs any more by now, so nothing
 * can plant it again. Returns its fd, or -1.
 */
static int make_dir(int sandbox_fd)
{
	if (mkdirat(sandbox_fd, EVIDENCE_DIR, 0700) < 0) {
		struct isola_error e = {0};
		if (errno != EEXIST)
			return -1;
		if (rmtree_at(sandbox_fd, EVIDENCE_DIR, &e) < 0) {
			errno = e.code ? e.code : EEXIST;
			return -1;
		}
		if (mkdirat(sandbox_fd, EVIDENCE_DIR, 0700) < 0)
			return -1;
	}
	return openat(sandbox_fd, EVIDENCE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int evidence_write(int sandbox_fd, int rundir_fd, const char *log_name, const struct evidence *ev,
		   struct isola_error *e)
{
	int dfd = make_dir(sandbox_fd);
	if (dfd < 0)
		return err_set(e, errno, ev->sandbox, "cannot make the evidence directory in '%s'",
			       ev->sandbox);

	bool linked = log_name && linkat(rundir_fd, log_name, dfd, EVIDENCE_LOG, 0) == 0;
	struct buf b = {0};
	char head[64];
	int h = snprintf(head, sizeof(head), HEADER " %d\n", EVIDENCE_FORMAT);
	put_raw(&b, head, (size_t)h);
	put(&b, "isola-version", ev->isola_version);
	put(&b, "run-id", ev->run_id);
	put(&b, "test", ev->test);
	put(&b, "sandbox", ev->sandbox);
	put(&b, "source-dir", ev->source_dir);
	put_i(&b, "seq", ev->seq);
	put_i(&b, "attempt", ev->attempt);
	put_i(&b, "iteration", ev->iteration);
	put_i(&b, "slot", ev->slot);
	put_i(&b, "start-wall-ns", ev->start_wall_ns);
	put_i(&b, "end-wall-ns", ev->end_wall_ns);
	put(&b, "path", ev->path);
	put_list(&b, "argv", &ev->argv);
	put_list(&b, "test-argv", &ev->test_argv);
	put_list(&b, "env", &ev->env);
	put_list(&b, "env-base", &ev->env_base);
	put(&b, "cwd", ev->cwd);
	put_settings(&b, &ev->s);
	put(&b, "strategy", ev->strategy);
	put_list(&b, "staged", &ev->staged);
	put(&b, "strategy-reason", ev->strategy_reason);
	put(&b, "owner", ev->owner);
	put(&b, "outcome", ev->outcome);
	put(&b, "reason", ev->reason);
	put_i(&b, "exit-code", ev->exit_code);
	put_i(&b, "signal", ev->signal);
	put(&b, "log-path", ev->log_path);
	put_i(&b, "log-linked", linked);
	put(&b, "shared-writes", ev->shared_writes);

	int ret = 0;
	int fd = openat(dfd, EVIDENCE_FILE, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (fd < 0 || write_all(fd, b.p, b.n) < 0)
		ret = err_set(e, errno, ev->sandbox, "cannot write the evidence in '%s/%s'",
			      ev->sandbox, EVIDENCE_DIR);
	if (fd >= 0)
		close(fd);
	close(dfd);
	free(b.p);
	return ret;
}

/* ---- reading --------------------------------------------------------------------------------- */

static int parse_i64(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return -1;
	*out = x;
	return 0;
}

static int set_int(const char *v, int *out)
{
	int64_t x;
	if (parse_i64(v, &x) < 0 || x < INT32_MIN || x > INT32_MAX)
		return -1;
	*out = (int)x;
	return 0;
}

static void add_resource(struct resources *l, enum resource_kind kind, char *src, char *dest)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = (struct resource){.kind = kind, .src = src, .dest = dest};
}

/* A safe DEST: relative, normalised, no "..": what resources_add() lets through. */
static bool dest_ok(const char *d)
{
	if (!*d || d[0] == '/')
		return false;
	for (const char *p = d; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

/* One record into ev. Returns 0, or -1 when its value is not what the key takes. */
static int take(struct evidence *ev, const char *k, char *v, size_t n)
{
	struct settings *s = &ev->s;
	int64_t x;
	bool has_nul = memchr(v, '\0', n) != NULL;
	struct {
		const char *key;
		char **dst;
	} strs[] = {
		{"isola-version", &ev->isola_version}, {"run-id", &ev->run_id},
		{"test", &ev->test}, {"sandbox", &ev->sandbox}, {"source-dir", &ev->source_dir},
		{"path", &ev->path}, {"cwd", &ev->cwd}, {"cwd-setting", &s->cwd},
		{"strategy", &ev->strategy}, {"strategy-reason", &ev->strategy_reason},
		{"owner", &ev->owner}, {"outcome", &ev->outcome}, {"reason", &ev->reason},
		{"log-path", &ev->log_path}, {"shared-writes", &ev->shared_writes},
	};
	struct {
		const char *key;
		struct strv *dst;
	} lists[] = {
		{"argv", &ev->argv}, {"test-argv", &ev->test_argv}, {"env", &ev->env}, {"env-base", &ev->env_base}, {"env-set", &s->env_set},
		{"env-unset", &s->env_unset}, {"tree", &s->trees}, {"share", &s->shares},
		{"allow-write", &s->allow_write}, {"lock", &s->locks}, {"staged", &ev->staged},
	};
	struct {
		const char *key;
		int *dst;
	} ints[] = {
		{"keep-home", &s->keep_home}, {"leak", &s->leak}, {"skip-exit", &s->skip_exit},
		{"error-exit", &s->error_exit}, {"will-fail", &s->will_fail},
		{"protocol", &s->protocol}, {"isolate", &s->isolate}, {"fence", &s->fence},
		{"exit-code", &ev->exit_code}, {"signal", &ev->signal},
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
		if (strcmp(k, strs[i].key) == 0) {
			if (has_nul || *strs[i].dst)
				return -1;
			*strs[i].dst = xstrdup(v);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		if (strcmp(k, lists[i].key) == 0) {
			if (has_nul)
				return -1;
			strv_push(lists[i].dst, v);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++)
		if (strcmp(k, ints[i].key) == 0)
			return has_nul ? -1 : set_int(v, ints[i].dst);
	if (strcmp(k, "copy") == 0 || strcmp(k, "ro") == 0) {
		size_t ls = strlen(v);
		if (ls == n || ls == 0 || v[0] != '/' || memchr(v + ls + 1, '\0', n - ls - 1) ||
		    !dest_ok(v + ls + 1))
			return -1;
		add_resource(&s->res, k[0] == 'c' ? RES_COPY : RES_RO, xstrdup(v),
			     xstrdup(v + ls + 1));
		return 0;
	}
	if (strcmp(k, "mkdir") == 0) {
		if (has_nul || !dest_ok(v))
			return -1;
		add_resource(&s->res, RES_MKDIR, NULL, xstrdup(v));
		return 0;
	}
	if (strcmp(k, "stage") == 0) {
		enum stage_strategy st;
		if (has_nul || stage_strategy_parse(v, &st) < 0)
			return -1;
		s->stage = (int)st;
		return 0;
	}
	if (strcmp(k, "log-linked") == 0) {
		if (has_nul || parse_i64(v, &x) < 0)
			return -1;
		ev->log_linked = x != 0;
		return 0;
	}
	struct {
		const char *key;
		int64_t *dst;
	} i64s[] = {
		{"timeout-ns", &s->timeout_ns}, {"grace-ns", &s->grace_ns},
		{"start-wall-ns", &ev->start_wall_ns}, {"end-wall-ns", &ev->end_wall_ns},
	};
	for (size_t i = 0; i < ARRAY_SIZE(i64s); i++)
		if (strcmp(k, i64s[i].key) == 0)
			return has_nul ? -1 : parse_i64(v, i64s[i].dst);
	unsigned *us[] = {&ev->seq, &ev->attempt, &ev->iteration, &ev->slot};
	const char *uk[] = {"seq", "attempt", "iteration", "slot"};
	for (size_t i = 0; i < ARRAY_SIZE(uk); i++)
		if (strcmp(k, uk[i]) == 0) {
			if (has_nul || parse_i64(v, &x) < 0 || x < 0 || x > UINT32_MAX)
				return -1;
			*us[i] = (unsigned)x;
			return 0;
		}
	return 0; /* a key of this format this reader does not need */
}

/* Parse the whole record in p[0..n) (p[n] is writable). Returns 0, or -1 with *why. */
static int parse(struct evidence *ev, char *p, size_t n, const char **why)
{
	char *end = p + n;
	char *nl = memchr(p, '\n', n);
	*why = NOT_OURS;
	size_t hl = sizeof(HEADER) - 1;
	if (!nl || (size_t)(nl - p) <= hl || memcmp(p, HEADER " ", hl + 1) != 0)
		return -1;
	*nl = '\0';
	int64_t fmt;
	if (parse_i64(p + hl + 1, &fmt) < 0)
		return -1;
	if (fmt != EVIDENCE_FORMAT) {
		*why = "its evidence is of another format version";
		return -1;
	}
	*why = "its evidence is damaged";
	for (p = nl + 1; p < end;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		char *sp = nl ? memchr(p, ' ', (size_t)(nl - p)) : NULL;
		if (!sp || sp == p)
			return -1;
		for (char *c = p; c < sp; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
				return -1;
		*sp = '\0';
		*nl = '\0';
		int64_t len;
		if (sp[1] < '0' || sp[1] > '9' || parse_i64(sp + 1, &len) < 0 || len < 0 ||
		    len >= end - nl || nl[1 + len] != '\n')
			return -1;
		char *v = nl + 1;
		v[len] = '\0'; /* the '\n' that ends the value */
		if (take(ev, p, v, (size_t)len) < 0)
			return -1;
		p = v + len + 1;
	}
	if (!ev->isola_version || !ev->test || !ev->path || !ev->argv.n || !ev->cwd ||
	    !ev->sandbox || !ev->outcome)
		return -1;
	return 0;
}

/* Read dir/EVIDENCE_FILE of the sandbox dfd into a buffer: only a regular file of ours. */
static char *slurp(int dfd, const char *dir, size_t *len)
{
	int d = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return NULL;
	struct stat st;
	int fd = -1;
	char *p = NULL;
	if (fstat(d, &st) < 0 || st.st_uid != geteuid())
		goto out;
	fd = openat(d, EVIDENCE_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size > EVIDENCE_MAX)
		goto out;
	size_t n = (size_t)st.st_size, got = 0;
	p = xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	p[got] = '\0';
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	close(d);
	return p;
}

int evidence_read(const char *sandbox_path, struct evidence *ev, struct isola_error *e)
{
	*ev = (struct evidence){.s = SETTINGS_INIT, .exit_code = -1};
	int dfd = open(sandbox_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set(e, errno, sandbox_path,
			       "cannot open the sandbox '%s' (give a kept sandbox's path or a test's "
			       "name)",
			       sandbox_path);
	struct stat st;
	if (fstat(dfd, &st) < 0 || st.st_uid != geteuid()) {
		close(dfd);
		return err_set(e, 0, sandbox_path,
			       "'%s' belongs to another user: isola repro reruns only your own "
			       "sandboxes",
			       sandbox_path);
	}
	char *real = realpath(sandbox_path, NULL);
	/* Written by isola after the test ended (whatever the test left under the name was
	 * removed first): its record must still name this sandbox, not a copy's original. */
	const char *why = NULL;
	int ret = -1;
	size_t n;
	char *buf = slurp(dfd, EVIDENCE_DIR, &n);
	if (buf && parse(ev, buf, n, &why) == 0) {
		char *named = realpath(ev->sandbox, NULL);
		if (real && named && strcmp(named, real) == 0)
			ret = 0;
		else
			why = "its evidence names another sandbox";
		free(named);
	}
	free(buf);
	close(dfd);
	free(real);
	if (ret < 0) {
		evidence_release(ev);
		*ev = (struct evidence){.s = SETTINGS_INIT, .exit_code = -1};
		return err_set(e, 0, sandbox_path,
			       "'%s' is not a sandbox isola kept with evidence: %s (isola repro takes "
			       "a sandbox kept by isola %s, or a test's name)",
			       sandbox_path, why ? why : "it has no " EVIDENCE_DIR "/", ISOLA_VERSION);
	}
	if (strcmp(ev->isola_version, ISOLA_VERSION) != 0) {
		err_set(e, 0, sandbox_path,
			"'%s' was kept by isola %s, and this is isola %s: rerun it with that version",
			sandbox_path, ev->isola_version, ISOLA_VERSION);
		evidence_release(ev);
		*ev = (struct evidence){.s = SETTINGS_INIT, .exit_code = -1};
		return -1;
	}
	return 0;
}

void evidence_release(struct evidence *ev)
{
	free(ev->isola_version);
	free(ev->run_id);
	free(ev->test);
	free(ev->sandbox);
	free(ev->source_dir);
	free(ev->path);
	strv_release(&ev->argv);
	strv_release(&ev->test_argv);
	strv_release(&ev->env);
	strv_release(&ev->env_base);
	free(ev->cwd);
	settings_release(&ev->s);
	free(ev->strategy);
	strv_release(&ev->staged);
	free(ev->strategy_reason);
	free(ev->owner);
	free(ev->outcome);
	free(ev->reason);
	free(ev->log_path);
	free(ev->shared_writes);
	*ev = (struct evidence){0};
}

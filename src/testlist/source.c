/* SPDX-License-Identifier: MIT */
#include "testlist/source.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "config/settings.h"
#include "spawn/spawn.h"
#include "testlist/testlist.h"

extern char **environ;

/* The most a listing may print: a suite of a hundred thousand cases fits. */
#define LIST_MAX (64u << 20)

static const char *const kind_names[] = {
    [SRC_GTEST] = "gtest", [SRC_CATCH2] = "catch2",  [SRC_CRITERION] = "criterion",
    [SRC_LINES] = "lines", [SRC_FILE] = "from-file", [SRC_CTEST] = "ctest",
    [SRC_MESON] = "meson",
};

int source_kind_parse(const char *key, enum source_kind *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (strcmp(key, kind_names[i]) == 0) {
			*out = (enum source_kind)i;
			return 0;
		}
	return -1;
}

const char *source_kind_name(enum source_kind k)
{
	return kind_names[k];
}

struct source *sources_add(struct sources *ss, enum source_kind kind, const char *spec,
                           const char *base_dir, const char *origin)
{
	ss->v = xrealloc(ss->v, (ss->n + 1) * sizeof(*ss->v));
	struct source *s = &ss->v[ss->n++];
	*s = (struct source){.kind = kind,
	                     .spec = xstrdup(spec),
	                     .base_dir = xstrdup(base_dir),
	                     .origin = xstrdup(origin)};
	return s;
}

int sources_set(struct sources *ss, const char *key, const char *value, struct isola_error *e)
{
	struct source *s = ss->n ? &ss->v[ss->n - 1] : NULL;
	if (strcmp(key, "disabled") == 0) {
		if (!s || (s->kind != SRC_GTEST && s->kind != SRC_CRITERION))
			return err_set(e, 0, NULL,
			               "disabled = %s goes with the gtest = or criterion = before it "
			               "(give that first)",
			               value);
		if (strcmp(value, "skip") != 0 && strcmp(value, "omit") != 0)
			return err_set(e, 0, NULL,
			               "invalid value '%s' for disabled (expected skip or omit)", value);
		s->disabled_skip = value[0] == 's';
		return 0;
	}
	if (strcmp(key, "gtest-shards") == 0) {
		if (!s || s->kind != SRC_GTEST)
			return err_set(e, 0, NULL,
			               "gtest-shards = %s goes with the gtest = before it (give that "
			               "first)",
			               value);
		if (parse_uint(value, 1, 10000, &s->shards) < 0)
			return err_set(e, 0, NULL,
			               "invalid value '%s' for gtest-shards (expected 1 to 10000)",
			               value);
		return 0;
	}
	if (!s || s->kind != SRC_LINES)
		return err_set(e, 0, NULL,
		               "%s = %s goes with the lines = CMD before it (give that first)", key,
		               value);
	if (strcmp(key, "pattern") == 0) {
		regex_t re;
		int r = regcomp(&re, value, REG_EXTENDED);
		if (r != 0) {
			char msg[128];
			regerror(r, &re, msg, sizeof(msg));
			return err_set(e, 0, NULL, "invalid value '%s' for pattern (%s)", value,
			               msg);
		}
		size_t groups = re.re_nsub;
		regfree(&re);
		if (groups < 1)
			return err_set(
			    e, 0, NULL,
			    "invalid value '%s' for pattern (it needs a group, (...), whose "
			    "match is the test's name)",
			    value);
		free(s->pattern);
		s->pattern = xstrdup(value);
		return 0;
	}
	struct strv words = STRV_INIT;
	int bad = split_command(value, &words) < 0 || words.n == 0;
	bool has_name = false;
	for (size_t i = 0; i < words.n && !has_name; i++)
		has_name = strstr(words.v[i], "{}") != NULL;
	strv_release(&words);
	if (bad || !has_name)
		return err_set(
		    e, 0, NULL,
		    "invalid value '%s' for argv (a command with {} where the test's name "
		    "goes)",
		    value);
	free(s->argv);
	s->argv = xstrdup(value);
	return 0;
}

void sources_release(struct sources *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		free(ss->v[i].spec);
		free(ss->v[i].argv);
		free(ss->v[i].pattern);
		free(ss->v[i].base_dir);
		free(ss->v[i].origin);
	}
	free(ss->v);
	*ss = (struct sources){0};
}

/* ---- running a listing ----------------------------------------------------------------------- */

/* What a listing printed: stdout whole, and the first line of stderr for the error messages. */
struct listing {
	char *out;     /* NUL-terminated; the caller's */
	char err[200]; /* "" if it said nothing there */
	int status;    /* its wait status */
};

/* Append what fd has now to *buf; returns false at its end (or on an error). */
static bool drain(int fd, char **buf, size_t *len, size_t *cap, size_t max)
{
	for (;;) {
		if (*len + 4096 > *cap)
			*buf = xrealloc(*buf, *cap *= 2);
		ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		if (*len < max)
			*len += (size_t)n;
	}
}

/*
 * Run path with argv (no shell, stdin /dev/null, in a process group of its own) and take what it
 * prints, stdout up to LIST_MAX, within SOURCE_LIST_TIMEOUT seconds. Once it has exited, what it
 * left running (its group) is killed: a listing leaves nothing behind, and a grandchild that
 * holds the pipe open cannot hold isola up. Returns 0 with *l filled, or -1 with *e.
 */
static int run_listing(const struct source *s, const char *path, char *const argv[],
                       struct listing *l, struct isola_error *e)
{
	int outp[2], errp[2];
	*l = (struct listing){0};
	if (pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(e, errno, NULL, "%s: cannot create a pipe", s->origin);
	if (pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
		int saved = errno;
		close(outp[0]);
		close(outp[1]);
		return err_set(e, saved, NULL, "%s: cannot create a pipe", s->origin);
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	pid_t pid;
	int r = posix_spawn(&pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	if (r != 0) {
		close(outp[0]);
		close(errp[0]);
		return err_set(e, r, NULL, "%s: cannot run '%s'", s->origin, path);
	}
	size_t len = 0, cap = 4096, elen = 0, ecap = 4096;
	char *buf = xmalloc(cap), *ebuf = xmalloc(ecap);
	int64_t deadline = now_ns() + (int64_t)SOURCE_LIST_TIMEOUT * NSEC_PER_SEC;
	bool out_open = true, err_open = true, exited = false, timed_out = false;
	int status = 0;
	while (!exited && !timed_out) {
		struct pollfd pfd[2] = {{.fd = out_open ? outp[0] : -1, .events = POLLIN},
		                        {.fd = err_open ? errp[0] : -1, .events = POLLIN}};
		int pr = poll(pfd, 2, 100);
		if (pr < 0 && errno != EINTR) {
			timed_out = true; /* cannot wait for it: it is stopped below */
			break;
		}
		if (pr > 0 && pfd[0].revents)
			out_open = drain(outp[0], &buf, &len, &cap, LIST_MAX + 1);
		if (pr > 0 && pfd[1].revents)
			err_open = drain(errp[0], &ebuf, &elen, &ecap, 4096);
		pid_t w = waitpid(pid, &status, WNOHANG);
		exited = w == pid;
		timed_out = !exited && now_ns() >= deadline;
	}
	/* What it wrote before it exited is in the pipes: take it, then end its group. */
	if (exited) {
		if (out_open)
			(void)drain(outp[0], &buf, &len, &cap, LIST_MAX + 1);
		if (err_open)
			(void)drain(errp[0], &ebuf, &elen, &ecap, 4096);
	}
	(void)kill(-pid, SIGKILL);
	if (!exited)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	close(outp[0]);
	close(errp[0]);
	buf[len] = '\0';
	ebuf[elen] = '\0';
	snprintf(l->err, sizeof(l->err), "%.*s", (int)strcspn(ebuf, "\n"), ebuf);
	free(ebuf);
	if (timed_out || len > LIST_MAX) {
		free(buf);
		return err_set(e, 0, NULL,
		               timed_out ? "%s: '%s' did not finish listing its tests within %d s"
		                         : "%s: '%s' printed more than %d MiB listing its tests",
		               s->origin, path,
		               timed_out ? SOURCE_LIST_TIMEOUT : (int)(LIST_MAX >> 20));
	}
	l->out = buf;
	l->status = status;
	return 0;
}

/* " (it said: ...)" when the listing said something on stderr, else "". */
static const char *said(const struct listing *l, char *buf, size_t len)
{
	if (!l->err[0])
		return "";
	snprintf(buf, len, " (it said: %s)", l->err);
	return buf;
}

/* The next line of *p (cut at '\n', a trailing '\r' dropped), or NULL at the end. */
static char *next_line(char **p)
{
	if (!*p || !**p)
		return NULL;
	char *line = *p, *nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* Found: PREFIX::CASE, running path with argv. */
static int emit(const struct source *s, const char *prefix, const char *name_case, const char *path,
                char *const *argv, const char *skip, found_fn *found, void *ctx,
                unsigned *count, struct isola_error *e)
{
	char *name = prefix ? xasprintf("%s::%s", prefix, name_case) : xstrdup(name_case);
	char *from = xasprintf("%s %s (%s)", source_kind_name(s->kind), s->spec, s->origin);
	struct found_test ft = {.name = name,
	                        .path = path,
	                        .argv = argv,
	                        .from = from,
	                        .lock = s->kind == SRC_CRITERION ? CRITERION_LOCK : NULL,
	                        .skip = skip};
	int r = found(ctx, &ft, e);
	free(name);
	free(from);
	(*count)++;
	return r;
}

/* ---- the frameworks ------------------------------------------------------------------------- */

/* A binary to list: where it is, and the prefix of its tests' names. */
struct binary {
	const char *path;
	const char *prefix;
};

typedef int list_fn(const struct source *s, const struct binary *b, found_fn *found, void *ctx,
                    unsigned *count, struct isola_error *e);

/* Copy a name part into a fixed buffer; a longer one is an error, never cut short. */
static int name_part(const struct source *s, const char *path, char *dst, size_t cap,
                     const char *src, size_t n, struct isola_error *e)
{
	if (n >= cap)
		return err_set(e, 0, NULL, "%s: '%s' listed a name longer than %zu bytes",
		               s->origin, path, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* Found: case full of binary b, run as b OPTIONFULL (--gtest_filter=, --filter=). */
static int emit_filtered(const struct source *s, const struct binary *b, const char *full,
                         const char *option, const char *skip, found_fn *found, void *ctx,
                         unsigned *count, struct isola_error *e)
{
	char *filter = xasprintf("%s%s", option, full);
	char *run[] = {(char *)b->path, filter, NULL};
	int ret = emit(s, b->prefix, full, b->path, run, skip, found, ctx, count, e);
	free(filter);
	return ret;
}

/* Run b with its listing flag; it must exit 0 (else: is it a KIND binary?). */
static int list_exit0(const struct source *s, const struct binary *b, const char *flag,
                      const char *kind, struct listing *l, struct isola_error *e)
{
	char *argv[] = {(char *)b->path, (char *)flag, NULL};
	if (run_listing(s, b->path, argv, l, e) < 0)
		return -1;
	if (WIFEXITED(l->status) && WEXITSTATUS(l->status) == 0)
		return 0;
	char buf[64], why[256];
	err_set(e, 0, NULL, "%s: '%s' %s ended with %s%s: is it a %s binary?", s->origin, b->path,
	        flag, describe_status(l->status, buf, sizeof(buf)), said(l, why, sizeof(why)),
	        kind);
	free(l->out);
	return -1;
}

/* GoogleTest's own rule (its default negative filter DISABLED_*:*\/DISABLED_*): a suite or case
 * named DISABLED_..., or whose last part after a '/' is. */
static bool gtest_disabled(const char *name)
{
	return strncmp(name, "DISABLED_", 9) == 0 || strstr(name, "/DISABLED_") != NULL;
}

/*
 * gtest-shards = N: the binary run whole N times, as gtest's sharding protocol (and Bazel's) has
 * it: shard K of N runs the cases whose number modulo N is K. Each shard is a test named
 * PROGRAM::shard-K/N (K from 1) that speaks the gtest protocol, so its cases are its sub-results.
 */
static int emit_shards(const struct source *s, const struct binary *b, found_fn *found,
                       void *ctx, struct isola_error *e)
{
	char *run[] = {(char *)b->path, NULL};
	char *from = xasprintf("%s %s (%s), gtest-shards = %u", source_kind_name(s->kind), s->spec,
	                       s->origin, s->shards);
	int ret = 0;
	for (unsigned k = 0; k < s->shards && ret == 0; k++) {
		struct settings st = SETTINGS_INIT;
		char *name = xasprintf("%s::shard-%u/%u", b->prefix, k + 1, s->shards);
		char *vars[] = {
		    xasprintf("GTEST_SHARD_INDEX=%u", k),
		    xasprintf("GTEST_TOTAL_SHARDS=%u", s->shards),
		    xasprintf("TEST_SHARD_INDEX=%u", k),
		    xasprintf("TEST_TOTAL_SHARDS=%u", s->shards),
		    xstrdup("TEST_SHARD_STATUS_FILE=${ISOLA_SANDBOX}/shard-status"),
		    xstrdup("GTEST_SHARD_STATUS_FILE=${ISOLA_SANDBOX}/shard-status"),
		};
		for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
			(void)settings_apply(&st, "env", vars[i], s->base_dir, NULL);
			free(vars[i]);
		}
		/* The cases' results come from the XML gtest writes (protocol = gtest). */
		struct isola_error pe = {0};
		bool proto = settings_apply(&st, "protocol", "gtest", s->base_dir, &pe) > 0;
		struct found_test ft = {.name = name,
		                        .path = b->path,
		                        .argv = run,
		                        .from = from,
		                        .s = &st,
		                        .notes = proto ? NULL
		                                       : "its cases' results (this isola reads exit "
		                                         "statuses only)"};
		ret = found(ctx, &ft, e);
		free(name);
		settings_release(&st);
	}
	free(from);
	return ret;
}

/*
 * --gtest_list_tests prints each suite at the start of a line, ending with '.', then its cases
 * indented by two spaces; a typed or parameterised one carries a "  # TypeParam = ..." comment.
 * Anything before the first suite (gtest_main's "Running main() from ...") is not a suite.
 */
static int read_gtest(const struct source *s, const struct binary *b, char *out, found_fn *found,
                      void *ctx, unsigned *count, struct isola_error *e)
{
	char suite[1024] = "";
	int ret = 0;
	unsigned before = *count;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		char *hash = strstr(line, "  #");
		if (hash)
			*hash = '\0';
		size_t n = strlen(line);
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		if (n && line[0] != ' ' && line[n - 1] == '.' && !strchr(line, ' ')) {
			ret = name_part(s, b->path, suite, sizeof(suite), line, n - 1, e);
			continue;
		}
		if (!suite[0] || strncmp(line, "  ", 2) != 0 || !line[2] || strchr(line + 2, ' '))
			continue;
		const char *c = line + 2;
		bool disabled = gtest_disabled(suite) || gtest_disabled(c);
		if (disabled && (!s->disabled_skip || s->shards))
			continue;
		if (s->shards) {
			(*count)++; /* counted only: the shards run them */
			continue;
		}
		char *full = xasprintf("%s.%s", suite, c);
		ret = emit_filtered(s, b, full, "--gtest_filter=",
		                    disabled ? "disabled in the source (DISABLED_)" : NULL, found, ctx,
		                    count, e);
		free(full);
	}
	if (ret == 0 && s->shards && *count > before)
		ret = emit_shards(s, b, found, ctx, e);
	if (ret == 0 && *count == before)
		return err_set(
		    e, 0, NULL,
		    "%s: '%s' --gtest_list_tests listed no test case: is it a GoogleTest "
		    "binary?",
		    s->origin, b->path);
	return ret;
}

static int list_gtest(const struct source *s, const struct binary *b, found_fn *found, void *ctx,
                      unsigned *count, struct isola_error *e)
{
	struct listing l;
	if (list_exit0(s, b, "--gtest_list_tests", "GoogleTest", &l, e) < 0)
		return -1;
	int ret = read_gtest(s, b, l.out, found, ctx, count, e);
	free(l.out);
	return ret;
}

/* A Catch2 test name as one test spec: its special characters escaped. */
static char *catch2_spec(const char *name)
{
	char *out = xmalloc(2 * strlen(name) + 1), *o = out;
	for (const char *c = name; *c; c++) {
		if (strchr("\\,[]\"*~", *c))
			*o++ = '\\';
		*o++ = *c;
	}
	*o = '\0';
	return out;
}

/*
 * Can Catch2 2.13's test-spec parser select this name alone? It drops the escapes before it looks
 * for wildcards and "exclude:", and it matches names without case and outer blanks: a name with a
 * '*' at either end, one starting with "exclude:", or one that another name equals that way,
 * cannot be run alone. (Said rather than run: such a test would run others, or none.)
 */
static int catch2_selectable(const struct source *s, const char *path, const char *name,
                             const struct strv *seen, struct isola_error *e)
{
	size_t n = strlen(name);
	if (name[0] == '*' || (n && name[n - 1] == '*') || strncasecmp(name, "exclude:", 8) == 0 ||
	    name[0] == ' ' || (n && name[n - 1] == ' '))
		return err_set(
		    e, 0, NULL,
		    "%s: '%s' has the test case '%s', which Catch2 cannot select alone (a "
		    "'*' or a blank at an end, or 'exclude:' first): rename it",
		    s->origin, path, name);
	for (size_t i = 0; i < seen->n; i++)
		if (strcasecmp(seen->v[i], name) == 0)
			return err_set(
			    e, 0, NULL,
			    "%s: '%s' has the test cases '%s' and '%s', which Catch2 cannot "
			    "tell apart (it matches names without case): rename one",
			    s->origin, path, seen->v[i], name);
	return 0;
}

/* What v2 --list-test-names-only or v3 --list-tests --verbosity quiet printed: a name a line. */
static int read_catch2(const struct source *s, const struct binary *b, int major, char *out,
                       found_fn *found, void *ctx, unsigned *count, struct isola_error *e)
{
	int ret = 0;
	unsigned before = *count;
	struct strv seen = STRV_INIT;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		size_t n = strlen(line);
		if (!n)
			continue;
		if (n >= 3 && line[0] == '"' && line[1] == '#' && line[n - 1] == '"') {
			line[n - 1] = '\0';
			line++;
		}
		ret = catch2_selectable(s, b->path, line, &seen, e);
		if (ret < 0)
			break;
		strv_push(&seen, line);
		char *spec = catch2_spec(line);
		char *run[] = {(char *)b->path, "--warn", "NoTests", spec, NULL};
		ret = emit(s, b->prefix, line, b->path, run, NULL, found, ctx, count, e);
		free(spec);
	}
	strv_release(&seen);
	if (ret == 0 && *count == before)
		return err_set(e, 0, NULL, "%s: '%s' (Catch2 %d) listed no test case", s->origin,
		               b->path, major);
	return ret;
}

/*
 * A Catch2 binary says so with --libidentify ("framework: Catch Test", "version: 2.13.10"), in v2
 * and v3 alike. Then v2 lists names alone with --list-test-names-only (its exit status is their
 * number), v3 with --list-tests --verbosity quiet; both quote a name that starts with '#'. A case
 * runs with --warn NoTests, so that a spec that matched nothing fails rather than passes.
 */
static int list_catch2(const struct source *s, const struct binary *b, found_fn *found, void *ctx,
                       unsigned *count, struct isola_error *e)
{
	struct listing l;
	char *ident[] = {(char *)b->path, "--libidentify", NULL};
	if (run_listing(s, b->path, ident, &l, e) < 0)
		return -1;
	const char *fw = strstr(l.out, "framework:");
	const char *ver = strstr(l.out, "version:");
	bool catch2 = WIFEXITED(l.status) && WEXITSTATUS(l.status) == 0 && fw &&
	              strncmp(fw + 10 + strspn(fw + 10, " \t"), "Catch", 5) == 0;
	int major = ver ? atoi(ver + 8 + strspn(ver + 8, " \t")) : 0;
	free(l.out);
	if (!catch2)
		return err_set(
		    e, 0, NULL,
		    "%s: '%s' --libidentify does not say it is a Catch2 binary (framework: "
		    "Catch ...)",
		    s->origin, b->path);
	char *v2[] = {(char *)b->path, "--list-test-names-only", NULL};
	char *v3[] = {(char *)b->path, "--list-tests", "--verbosity", "quiet", NULL};
	if (run_listing(s, b->path, major >= 3 ? v3 : v2, &l, e) < 0)
		return -1;
	/* v2's exit status is the number of names; a binary killed listing listed nothing. */
	if (!WIFEXITED(l.status))
		l.out[0] = '\0';
	int ret = read_catch2(s, b, major, l.out, found, ctx, count, e);
	free(l.out);
	return ret;
}

/*
 * Criterion's --list: "SUITE: N tests", then a tree line per test ("├── name", "└── name", or
 * "|-- name", "`-- name" where the locale is not UTF-8), "(skipped)" after a disabled one.
 */
static int read_criterion(const struct source *s, const struct binary *b, char *out,
                          found_fn *found, void *ctx, unsigned *count, struct isola_error *e)
{
	static const char *const branches[] = {"\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 ",
	                                       "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 ", "|-- ",
	                                       "`-- "};
	char suite[512] = "";
	int ret = 0;
	unsigned before = *count;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		const char *colon = strstr(line, ": ");
		if (colon && line[0] != ' ' && strstr(colon, " test")) {
			ret = name_part(s, b->path, suite, sizeof(suite), line,
			                (size_t)(colon - line), e);
			continue;
		}
		const char *t = NULL;
		for (size_t k = 0; k < ARRAY_SIZE(branches) && !t; k++)
			if (strncmp(line, branches[k], strlen(branches[k])) == 0)
				t = line + strlen(branches[k]);
		if (!t || !suite[0] || !*t)
			continue;
		char *skipped = strstr(t, " (skipped)");
		if (skipped && !s->disabled_skip)
			continue;
		if (skipped)
			*skipped = '\0';
		char *full = xasprintf("%s/%s", suite, t);
		ret = emit_filtered(s, b, full, "--filter=",
		                    skipped ? "disabled in the source (.disabled)" : NULL, found, ctx,
		                    count, e);
		free(full);
	}
	if (ret == 0 && *count == before)
		return err_set(e, 0, NULL,
		               "%s: '%s' --list listed no test: is it a Criterion binary?",
		               s->origin, b->path);
	return ret;
}

static int list_criterion(const struct source *s, const struct binary *b, found_fn *found,
                          void *ctx, unsigned *count, struct isola_error *e)
{
	struct listing l;
	if (list_exit0(s, b, "--list", "Criterion", &l, e) < 0)
		return -1;
	int ret = read_criterion(s, b, l.out, found, ctx, count, e);
	free(l.out);
	return ret;
}

/*
 * Each executable that spec (a path, a glob, or a program in PATH) names. Its tests' names start
 * with its file name, or, where two binaries of the glob share one, with its path as matched.
 */
static int for_each_binary(const struct source *s, list_fn *each, found_fn *found, void *ctx,
                           struct isola_error *e)
{
	unsigned count = 0;
	if (!strpbrk(s->spec, "*?[")) {
		char *path = program_path(s->base_dir, s->spec);
		if (!path)
			return err_set(e, 0, NULL, "%s: '%s' is not an executable program%s",
			               s->origin, s->spec,
			               strchr(s->spec, '/') ? "" : " found in PATH");
		struct binary b = {.path = path, .prefix = base_name(path)};
		int r = each(s, &b, found, ctx, &count, e);
		free(path);
		return r;
	}
	char *qdir = glob_quote(s->base_dir);
	char *pattern = s->spec[0] == '/' ? xstrdup(s->spec) : xasprintf("%s/%s", qdir, s->spec);
	free(qdir);
	glob_t g;
	int gr = glob(pattern, 0, NULL, &g);
	free(pattern);
	struct strv paths = STRV_INIT;
	for (size_t i = 0; gr == 0 && i < g.gl_pathc; i++) {
		char *path = program_path("/", g.gl_pathv[i]);
		if (path)
			strv_push_take(&paths, path);
	}
	if (gr == 0)
		globfree(&g);
	int ret = 0;
	size_t dlen = strlen(s->base_dir);
	for (size_t i = 0; i < paths.n && ret == 0; i++) {
		const char *path = paths.v[i];
		bool clash = false;
		for (size_t k = 0; k < paths.n && !clash; k++)
			clash = k != i && strcmp(base_name(paths.v[k]), base_name(path)) == 0;
		const char *prefix = base_name(path);
		if (clash)
			prefix = strncmp(path, s->base_dir, dlen) == 0 && path[dlen] == '/'
			             ? path + dlen + 1
			             : path;
		struct binary b = {.path = path, .prefix = prefix};
		ret = each(s, &b, found, ctx, &count, e);
	}
	if (ret == 0 && !paths.n)
		ret = err_set(e, 0, NULL, "%s: no executable program matches '%s'", s->origin,
		              s->spec);
	strv_release(&paths);
	return ret;
}

/* The words of template with every {} replaced by name. */
static void fill_template(const struct strv *words, const char *name, struct strv *out)
{
	for (size_t i = 0; i < words->n; i++) {
		const char *w = words->v[i];
		size_t extra = 0;
		for (const char *c = strstr(w, "{}"); c; c = strstr(c + 2, "{}"))
			extra += strlen(name);
		char *o = xmalloc(strlen(w) + extra + 1), *d = o;
		while (*w) {
			if (w[0] == '{' && w[1] == '}') {
				d = stpcpy(d, name);
				w += 2;
			} else {
				*d++ = *w++;
			}
		}
		*d = '\0';
		strv_push_take(out, o);
	}
}

/*
 * What lines = CMD printed: each non-empty line is a test, named by its first word or the
 * pattern's first group, run as run_prog with the template's words ({} the name). prog is CMD's
 * program, whose file name prefixes the names.
 */
static int read_lines(const struct source *s, const char *prog, const char *run_prog,
                      const struct strv *tmpl, char *out, found_fn *found, void *ctx,
                      struct isola_error *e)
{
	regex_t re;
	bool have_re = s->pattern != NULL;
	if (have_re && regcomp(&re, s->pattern, REG_EXTENDED) != 0)
		abort(); /* checked by sources_set() */
	unsigned count = 0;
	int ret = 0;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		char name[1024];
		if (have_re) {
			regmatch_t m[2];
			if (regexec(&re, line, 2, m, 0) != 0 || m[1].rm_so < 0 ||
			    m[1].rm_eo == m[1].rm_so)
				continue;
			ret = name_part(s, s->spec, name, sizeof(name), line + m[1].rm_so,
			                (size_t)(m[1].rm_eo - m[1].rm_so), e);
		} else {
			const char *w = line + strspn(line, " \t");
			size_t n = strcspn(w, " \t");
			if (!n)
				continue;
			ret = name_part(s, s->spec, name, sizeof(name), w, n, e);
		}
		if (ret < 0)
			break;
		struct strv run = STRV_INIT;
		fill_template(tmpl, name, &run);
		ret =
		    emit(s, base_name(prog), name, run_prog, strv_get(&run), NULL, found, ctx, &count,
		         e);
		strv_release(&run);
	}
	if (have_re)
		regfree(&re);
	if (ret == 0 && !count)
		ret = err_set(e, 0, NULL, "%s: '%s' listed no test%s", s->origin, s->spec,
		              have_re ? " that the pattern matches" : "");
	return ret;
}

/* The template of a lines source into tmpl: argv = ..., else CMD's program (cmd0) and {}.
 * Returns the program that runs the tests (a new string), or NULL with *e. */
static char *lines_runner(const struct source *s, const char *cmd0, struct strv *tmpl,
                          struct isola_error *e)
{
	if (s->argv) {
		(void)split_command(s->argv, tmpl);
	} else {
		strv_push(tmpl, cmd0);
		strv_push(tmpl, "{}");
	}
	char *run_prog = program_path(s->base_dir, tmpl->v[0]);
	if (!run_prog)
		err_set(e, 0, NULL, "%s: argv: '%s' is not an executable program%s", s->origin,
		        tmpl->v[0], strchr(tmpl->v[0], '/') ? "" : " found in PATH");
	return run_prog;
}

/* lines = CMD: run CMD, and read what it printed. */
static int list_lines(const struct source *s, found_fn *found, void *ctx, struct isola_error *e)
{
	struct strv cmd = STRV_INIT, tmpl = STRV_INIT;
	char *prog = NULL, *run_prog = NULL;
	struct listing l = {0};
	int ret = -1;
	if (split_command(s->spec, &cmd) < 0 || cmd.n == 0) {
		err_set(e, 0, NULL, "%s: invalid command '%s' (unterminated quote, or empty)",
		        s->origin, s->spec);
		goto out;
	}
	prog = program_path(s->base_dir, cmd.v[0]);
	if (!prog) {
		err_set(e, 0, NULL, "%s: '%s' is not an executable program%s", s->origin, cmd.v[0],
		        strchr(cmd.v[0], '/') ? "" : " found in PATH");
		goto out;
	}
	if (!(run_prog = lines_runner(s, cmd.v[0], &tmpl, e)))
		goto out;
	if (run_listing(s, prog, strv_get(&cmd), &l, e) < 0)
		goto out;
	char buf[64], why[256];
	if (!WIFEXITED(l.status) || WEXITSTATUS(l.status) != 0) {
		err_set(e, 0, NULL, "%s: '%s' ended with %s listing the tests%s: fix the command",
		        s->origin, s->spec, describe_status(l.status, buf, sizeof(buf)),
		        said(&l, why, sizeof(why)));
		goto out;
	}
	ret = read_lines(s, prog, run_prog, &tmpl, l.out, found, ctx, e);
out:
	strv_release(&cmd);
	strv_release(&tmpl);
	free(prog);
	free(run_prog);
	free(l.out);
	return ret;
}

/* from-file = FILE: each non-empty line not starting with # is a test's command. */
static int list_file(const struct source *s, found_fn *found, void *ctx, struct isola_error *e)
{
	char *path =
	    s->spec[0] == '/' ? xstrdup(s->spec) : xasprintf("%s/%s", s->base_dir, s->spec);
	FILE *f = fopen(path, "re");
	if (!f) {
		int saved = errno;
		free(path);
		return err_set(e, saved, NULL, "%s: cannot read '%s'", s->origin, s->spec);
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	unsigned count = 0;
	int ret = 0;
	while (ret == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *p = line;
		(void)next_line(&p);
		size_t n = strlen(line);
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		const char *t = line + strspn(line, " \t");
		if (!*t || *t == '#')
			continue;
		struct strv argv = STRV_INIT;
		char *prog = NULL;
		if (split_command(t, &argv) < 0 || argv.n == 0)
			ret = err_set(e, 0, NULL, "%s:%zu: invalid command (unterminated quote)",
			              s->spec, lineno);
		else if (!(prog = program_path(s->base_dir, argv.v[0])))
			ret = err_set(e, 0, NULL, "%s:%zu: '%s' is not an executable program%s",
			              s->spec, lineno, argv.v[0],
			              strchr(argv.v[0], '/') ? "" : " found in PATH");
		else
			ret = emit(s, NULL, t, prog, strv_get(&argv), NULL, found, ctx, &count, e);
		strv_release(&argv);
		free(prog);
	}
	free(line);
	fclose(f);
	free(path);
	if (ret == 0 && !count)
		ret = err_set(e, 0, NULL, "%s: '%s' holds no test command", s->origin, s->spec);
	return ret;
}

/* ---- build systems: ctest, meson ------------------------------------------------------------ */

/*
 * ctest = DIR, meson = DIR: ask the build system for its tests (ctest --show-only=json-v1,
 * meson introspect --tests) and hand what it printed to the importer, which reads JSON.
 */
static int list_build(const struct source *s, import_fn *import, found_fn *found, void *ctx,
                      struct isola_error *e)
{
	bool ctest = s->kind == SRC_CTEST;
	const char *tool = ctest ? "ctest" : "meson", *package = ctest ? "cmake" : "meson";
	/* What makes a directory one the tool can list: CTest's test file, Meson's info. */
	const char *mark = ctest ? "CTestTestfile.cmake" : "meson-info/meson-info.json";
	char *dir = s->spec[0] == '/' ? xstrdup(s->spec) : xasprintf("%s/%s", s->base_dir, s->spec);
	char *marked = xasprintf("%s/%s", dir, mark);
	char *prog = NULL;
	struct listing l = {0};
	int ret = -1;
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		err_set(e, 0, NULL, "%s: %s = %s: no such directory (give the build directory, "
		        "configured by %s)", s->origin, tool, s->spec, ctest ? "cmake" : "meson setup");
		goto out;
	}
	if (access(marked, F_OK) < 0) {
		err_set(e, 0, NULL, "%s: %s = %s: not a %s build directory (it has no %s; give the "
		        "directory %s configured)", s->origin, tool, s->spec,
		        ctest ? "CMake" : "Meson", mark, ctest ? "cmake" : "meson setup");
		goto out;
	}
	if (!(prog = find_in_path(tool))) {
		err_set(e, 0, NULL, "%s: %s = %s: %s is not installed (install %s)", s->origin, tool,
		        s->spec, tool, package);
		goto out;
	}
	if (!import) {
		err_set(e, 0, NULL, "%s: %s = %s: importing needs the JSON plugin, which this "
		        "program cannot load", s->origin, tool, s->spec);
		goto out;
	}
	char *cargv[] = {prog, "--test-dir", dir, "--show-only=json-v1", NULL};
	char *margv[] = {prog, "introspect", "--tests", dir, NULL};
	if (run_listing(s, prog, ctest ? cargv : margv, &l, e) < 0)
		goto out;
	if (!WIFEXITED(l.status) || WEXITSTATUS(l.status) != 0) {
		char buf[64], why[256];
		/* meson says why on stdout ("Introspection version 9.0.0 is not supported"). */
		if (!l.err[0])
			snprintf(l.err, sizeof(l.err), "%.*s", (int)strcspn(l.out, "\n"), l.out);
		err_set(e, 0, NULL, "%s: '%s %s' ended with %s%s", s->origin, tool,
		        ctest ? "--show-only=json-v1" : "introspect --tests",
		        describe_status(l.status, buf, sizeof(buf)), said(&l, why, sizeof(why)));
		goto out;
	}
	ret = import(s, dir, l.out, strlen(l.out), found, ctx, e);
out:
	free(l.out);
	free(prog);
	free(marked);
	free(dir);
	return ret;
}

int source_read_listing(const struct source *s, const char *path, int major, char *out,
                        found_fn *found, void *ctx, struct isola_error *e)
{
	struct binary b = {.path = path, .prefix = base_name(path)};
	unsigned count = 0;
	switch (s->kind) {
	case SRC_GTEST:
		return read_gtest(s, &b, out, found, ctx, &count, e);
	case SRC_CATCH2:
		return read_catch2(s, &b, major, out, found, ctx, &count, e);
	case SRC_CRITERION:
		return read_criterion(s, &b, out, found, ctx, &count, e);
	case SRC_LINES: {
		struct strv tmpl = STRV_INIT;
		char *run_prog = lines_runner(s, path, &tmpl, e);
		int r = run_prog ? read_lines(s, path, run_prog, &tmpl, out, found, ctx, e) : -1;
		free(run_prog);
		strv_release(&tmpl);
		return r;
	}
	default:
		return err_set(e, EINVAL, NULL, "%s: a %s source is not a binary's listing",
		               s->origin, source_kind_name(s->kind));
	}
}

int source_expand(const struct source *s, import_fn *import, found_fn *found, void *ctx,
                  struct isola_error *e)
{
	switch (s->kind) {
	case SRC_CTEST:
	case SRC_MESON:
		return list_build(s, import, found, ctx, e);
	case SRC_GTEST:
		return for_each_binary(s, list_gtest, found, ctx, e);
	case SRC_CATCH2:
		return for_each_binary(s, list_catch2, found, ctx, e);
	case SRC_CRITERION:
		return for_each_binary(s, list_criterion, found, ctx, e);
	case SRC_LINES:
		return list_lines(s, found, ctx, e);
	case SRC_FILE:
		return list_file(s, found, ctx, e);
	}
	abort();
}

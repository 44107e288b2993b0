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
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "spawn/spawn.h"
#include "testlist/testlist.h"

extern char **environ;

/* The most a listing may print: a suite of a hundred thousand cases fits. */
#define LIST_MAX (64u << 20)

static const char *const kind_names[] = {
    [SRC_GTEST] = "gtest", [SRC_CATCH2] = "catch2", [SRC_CRITERION] = "criterion",
    [SRC_LINES] = "lines", [SRC_FILE] = "from-file",
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
	if (!s || s->kind != SRC_LINES)
		return err_set(e, 0, NULL, "%s = %s goes with the lines = CMD before it (give that first)",
		               key, value);
	if (strcmp(key, "pattern") == 0) {
		regex_t re;
		int r = regcomp(&re, value, REG_EXTENDED);
		if (r != 0) {
			char msg[128];
			regerror(r, &re, msg, sizeof(msg));
			return err_set(e, 0, NULL, "invalid value '%s' for pattern (%s)", value, msg);
		}
		size_t groups = re.re_nsub;
		regfree(&re);
		if (groups < 1)
			return err_set(e, 0, NULL,
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
		return err_set(e, 0, NULL,
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

/*
 * Run path with argv (no shell, stdin /dev/null, stderr discarded) and take what it prints, up to
 * LIST_MAX, within SOURCE_LIST_TIMEOUT seconds. *out (NUL-terminated) is the caller's. Returns
 * its wait status, or -1 with *e.
 */
static int run_listing(const struct source *s, const char *path, char *const argv[], char **out,
                       struct isola_error *e)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return err_set(e, errno, NULL, "%s: cannot create a pipe", s->origin);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return err_set(e, r, NULL, "%s: cannot run '%s'", s->origin, path);
	}
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	int64_t deadline = now_ns() + (int64_t)SOURCE_LIST_TIMEOUT * NSEC_PER_SEC;
	bool timed_out = false, too_much = false;
	for (;;) {
		int64_t left = deadline - now_ns();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
		int pr = poll(&pfd, 1, (int)(left / NSEC_PER_MSEC) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (len + 4096 > cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t n = read(pipefd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > LIST_MAX) {
			too_much = true;
			break;
		}
	}
	close(pipefd[0]);
	if (timed_out || too_much)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	if (timed_out || too_much) {
		free(buf);
		return err_set(e, 0, NULL,
		               timed_out ? "%s: '%s' did not finish listing its tests within %d s"
		                         : "%s: '%s' printed more than %d MiB listing its tests",
		               s->origin, path, timed_out ? SOURCE_LIST_TIMEOUT : (int)(LIST_MAX >> 20));
	}
	*out = buf;
	return status;
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
static int emit(const struct source *s, const char *prefix, const char *name_case,
                const char *path, char *const *argv, found_fn *found, void *ctx, unsigned *count,
                struct isola_error *e)
{
	char *name = prefix ? xasprintf("%s::%s", prefix, name_case) : xstrdup(name_case);
	char *from = xasprintf("%s %s (%s)", source_kind_name(s->kind), s->spec, s->origin);
	struct found_test ft = {.name = name,
	                        .path = path,
	                        .argv = argv,
	                        .from = from,
	                        .lock = s->kind == SRC_CRITERION ? CRITERION_LOCK : NULL};
	int r = found(ctx, &ft, e);
	free(name);
	free(from);
	(*count)++;
	return r;
}

/* ---- the frameworks ------------------------------------------------------------------------- */

/*
 * --gtest_list_tests prints each suite at the start of a line, ending with '.', then its cases
 * indented by two spaces; a typed or parameterised one carries a "  # TypeParam = ..." comment.
 * Anything before the first suite (gtest_main's "Running main() from ...") is not a suite.
 */
static int list_gtest(const struct source *s, const char *path, found_fn *found, void *ctx,
                      unsigned *count, struct isola_error *e)
{
	char *out;
	char *argv[] = {(char *)path, "--gtest_list_tests", NULL};
	int status = run_listing(s, path, argv, &out, e);
	if (status < 0)
		return -1;
	char buf[64];
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return err_set(e, 0, NULL,
		               "%s: '%s' --gtest_list_tests ended with %s: is it a GoogleTest binary?",
		               s->origin, path, describe_status(status, buf, sizeof(buf)));
	}
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
			snprintf(suite, sizeof(suite), "%.*s", (int)(n - 1), line);
			continue;
		}
		if (!suite[0] || strncmp(line, "  ", 2) != 0 || !line[2] || strchr(line + 2, ' '))
			continue;
		const char *c = line + 2;
		if (strncmp(suite, "DISABLED_", 9) == 0 || strncmp(c, "DISABLED_", 9) == 0)
			continue;
		char *full = xasprintf("%s.%s", suite, c);
		char *filter = xasprintf("--gtest_filter=%s", full);
		char *run[] = {(char *)path, filter, NULL};
		ret = emit(s, base_name(path), full, path, run, found, ctx, count, e);
		free(filter);
		free(full);
	}
	free(out);
	if (ret == 0 && *count == before)
		return err_set(e, 0, NULL,
		               "%s: '%s' --gtest_list_tests listed no test case: is it a GoogleTest "
		               "binary?",
		               s->origin, path);
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
 * A Catch2 binary says so with --libidentify ("framework: Catch Test", "version: 2.13.10"), in v2
 * and v3 alike. Then v2 lists names alone with --list-test-names-only (its exit status is their
 * number), v3 with --list-tests --verbosity quiet.
 */
static int list_catch2(const struct source *s, const char *path, found_fn *found, void *ctx,
                       unsigned *count, struct isola_error *e)
{
	char *out;
	char *ident[] = {(char *)path, "--libidentify", NULL};
	int status = run_listing(s, path, ident, &out, e);
	if (status < 0)
		return -1;
	const char *fw = strstr(out, "framework:");
	const char *ver = strstr(out, "version:");
	bool catch2 = WIFEXITED(status) && WEXITSTATUS(status) == 0 && fw &&
	              strncmp(fw + 10 + strspn(fw + 10, " \t"), "Catch", 5) == 0;
	int major = ver ? atoi(ver + 8 + strspn(ver + 8, " \t")) : 0;
	free(out);
	if (!catch2)
		return err_set(e, 0, NULL,
		               "%s: '%s' --libidentify does not say it is a Catch2 binary (framework: "
		               "Catch ...)",
		               s->origin, path);
	char *v2[] = {(char *)path, "--list-test-names-only", NULL};
	char *v3[] = {(char *)path, "--list-tests", "--verbosity", "quiet", NULL};
	status = run_listing(s, path, major >= 3 ? v3 : v2, &out, e);
	if (status < 0)
		return -1;
	int ret = 0;
	unsigned before = *count;
	char *p = out;
	for (char *line; WIFEXITED(status) && ret == 0 && (line = next_line(&p));) {
		if (!line[0] || line[0] == ' ')
			continue;
		char *spec = catch2_spec(line);
		char *run[] = {(char *)path, spec, NULL};
		ret = emit(s, base_name(path), line, path, run, found, ctx, count, e);
		free(spec);
	}
	free(out);
	if (ret == 0 && *count == before)
		return err_set(e, 0, NULL, "%s: '%s' (Catch2 %d) listed no test case", s->origin, path,
		               major);
	return ret;
}

/*
 * Criterion's --list: "SUITE: N tests", then a tree line per test ("├── name", "└── name", or
 * "|-- name", "`-- name"), "(skipped)" after a disabled one.
 */
static int list_criterion(const struct source *s, const char *path, found_fn *found, void *ctx,
                          unsigned *count, struct isola_error *e)
{
	char *out;
	char *argv[] = {(char *)path, "--list", NULL};
	int status = run_listing(s, path, argv, &out, e);
	if (status < 0)
		return -1;
	char buf[64];
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return err_set(e, 0, NULL,
		               "%s: '%s' --list ended with %s: is it a Criterion binary?", s->origin,
		               path, describe_status(status, buf, sizeof(buf)));
	}
	/* The tree is drawn in UTF-8, or in ASCII where the locale is not UTF-8. */
	static const char *const branches[] = {"\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 ",
	                                       "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 ",
	                                       "|-- ", "`-- "};
	char suite[512] = "";
	int ret = 0;
	unsigned before = *count;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		const char *colon = strstr(line, ": ");
		if (colon && line[0] != ' ' && strstr(colon, " test")) {
			snprintf(suite, sizeof(suite), "%.*s", (int)(colon - line), line);
			continue;
		}
		const char *t = NULL;
		for (size_t b = 0; b < ARRAY_SIZE(branches) && !t; b++)
			if (strncmp(line, branches[b], strlen(branches[b])) == 0)
				t = line + strlen(branches[b]);
		if (!t || !suite[0] || !*t || strstr(t, " (skipped)"))
			continue;
		char *full = xasprintf("%s/%s", suite, t);
		char *filter = xasprintf("--filter=%s", full);
		char *run[] = {(char *)path, filter, NULL};
		ret = emit(s, base_name(path), full, path, run, found, ctx, count, e);
		free(filter);
		free(full);
	}
	free(out);
	if (ret == 0 && *count == before)
		return err_set(e, 0, NULL,
		               "%s: '%s' --list listed no test: is it a Criterion binary?", s->origin,
		               path);
	return ret;
}

/* Each executable that spec (a path, a glob, or a program in PATH) names. */
static int for_each_binary(const struct source *s,
                           int (*each)(const struct source *, const char *, found_fn *, void *,
                                       unsigned *, struct isola_error *),
                           found_fn *found, void *ctx, struct isola_error *e)
{
	unsigned count = 0;
	if (!strpbrk(s->spec, "*?[")) {
		char *path = program_path(s->base_dir, s->spec);
		if (!path)
			return err_set(e, 0, NULL, "%s: '%s' is not an executable program%s", s->origin,
			               s->spec, strchr(s->spec, '/') ? "" : " found in PATH");
		int r = each(s, path, found, ctx, &count, e);
		free(path);
		return r;
	}
	char *pattern = s->spec[0] == '/' ? xstrdup(s->spec) : xasprintf("%s/%s", s->base_dir, s->spec);
	glob_t g;
	int gr = glob(pattern, 0, NULL, &g);
	free(pattern);
	int ret = 0;
	size_t ran = 0;
	for (size_t i = 0; gr == 0 && i < g.gl_pathc && ret == 0; i++) {
		char *path = program_path("/", g.gl_pathv[i]);
		if (!path)
			continue;
		ran++;
		ret = each(s, path, found, ctx, &count, e);
		free(path);
	}
	if (gr == 0)
		globfree(&g);
	if (ret == 0 && !ran)
		return err_set(e, 0, NULL, "%s: no executable program matches '%s'", s->origin, s->spec);
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

/* lines = CMD: each non-empty line is a test, by its first word or the pattern's first group. */
static int list_lines(const struct source *s, found_fn *found, void *ctx, struct isola_error *e)
{
	struct strv cmd = STRV_INIT, tmpl = STRV_INIT;
	char *prog = NULL, *run_prog = NULL, *out = NULL;
	regex_t re;
	bool have_re = false;
	int ret = -1;
	if (split_command(s->spec, &cmd) < 0 || cmd.n == 0) {
		err_set(e, 0, NULL, "%s: invalid command '%s' (unterminated quote, or empty)", s->origin,
		        s->spec);
		goto out;
	}
	prog = program_path(s->base_dir, cmd.v[0]);
	if (!prog) {
		err_set(e, 0, NULL, "%s: '%s' is not an executable program%s", s->origin, cmd.v[0],
		        strchr(cmd.v[0], '/') ? "" : " found in PATH");
		goto out;
	}
	if (s->argv)
		(void)split_command(s->argv, &tmpl);
	else {
		strv_push(&tmpl, cmd.v[0]);
		strv_push(&tmpl, "{}");
	}
	run_prog = program_path(s->base_dir, tmpl.v[0]);
	if (!run_prog) {
		err_set(e, 0, NULL, "%s: argv: '%s' is not an executable program%s", s->origin,
		        tmpl.v[0], strchr(tmpl.v[0], '/') ? "" : " found in PATH");
		goto out;
	}
	if (s->pattern) {
		if (regcomp(&re, s->pattern, REG_EXTENDED) != 0)
			abort(); /* checked by sources_set() */
		have_re = true;
	}
	int status = run_listing(s, prog, strv_get(&cmd), &out, e);
	if (status < 0)
		goto out;
	char buf[64];
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		err_set(e, 0, NULL, "%s: '%s' ended with %s listing the tests: fix the command", s->origin,
		        s->spec, describe_status(status, buf, sizeof(buf)));
		goto out;
	}
	unsigned count = 0;
	ret = 0;
	char *p = out;
	for (char *line; ret == 0 && (line = next_line(&p));) {
		char name[1024];
		if (have_re) {
			regmatch_t m[2];
			if (regexec(&re, line, 2, m, 0) != 0 || m[1].rm_so < 0 || m[1].rm_eo == m[1].rm_so)
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
			         line + m[1].rm_so);
		} else {
			const char *w = line + strspn(line, " \t");
			size_t n = strcspn(w, " \t");
			if (!n)
				continue;
			snprintf(name, sizeof(name), "%.*s", (int)n, w);
		}
		struct strv run = STRV_INIT;
		fill_template(&tmpl, name, &run);
		ret = emit(s, base_name(prog), name, run_prog, strv_get(&run), found, ctx, &count, e);
		strv_release(&run);
	}
	if (ret == 0 && !count)
		ret = err_set(e, 0, NULL, "%s: '%s' listed no test%s", s->origin, s->spec,
		              have_re ? " that the pattern matches" : "");
out:
	if (have_re)
		regfree(&re);
	strv_release(&cmd);
	strv_release(&tmpl);
	free(prog);
	free(run_prog);
	free(out);
	return ret;
}

/* from-file = FILE: each non-empty line not starting with # is a test's command. */
static int list_file(const struct source *s, found_fn *found, void *ctx, struct isola_error *e)
{
	char *path = s->spec[0] == '/' ? xstrdup(s->spec) : xasprintf("%s/%s", s->base_dir, s->spec);
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
		const char *t = line + strspn(line, " \t");
		if (!*t || *t == '#')
			continue;
		struct strv argv = STRV_INIT;
		char *prog = NULL;
		if (split_command(t, &argv) < 0 || argv.n == 0)
			ret = err_set(e, 0, NULL, "%s:%zu: invalid command (unterminated quote)", s->spec,
			              lineno);
		else if (!(prog = program_path(s->base_dir, argv.v[0])))
			ret = err_set(e, 0, NULL, "%s:%zu: '%s' is not an executable program%s", s->spec,
			              lineno, argv.v[0], strchr(argv.v[0], '/') ? "" : " found in PATH");
		else
			ret = emit(s, NULL, t, prog, strv_get(&argv), found, ctx, &count, e);
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

int source_expand(const struct source *s, found_fn *found, void *ctx, struct isola_error *e)
{
	switch (s->kind) {
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

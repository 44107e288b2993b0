/* SPDX-License-Identifier: MIT */
#include "testlist/testlist.h"

#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *find_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	while (*path) {
		size_t len = strcspn(path, ":");
		/* An empty entry means the current directory; relative ones are relative to it.
		 * The test runs elsewhere (its sandbox): hand back an absolute path. */
		char *cand = !len ? xasprintf("%s/%s", cwd, prog)
			     : path[0] == '/' ? xasprintf("%.*s/%s", (int)len, path, prog)
					      : xasprintf("%s/%.*s/%s", cwd, (int)len, path, prog);
		if (executable_file(cand))
			return cand;
		free(cand);
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* Names are looked up once per test added: a hash keeps 10,000 tests linear. */
static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The index slot where name is, or would go. */
static size_t *index_slot(const struct testlist *tl, const char *name)
{
	size_t mask = tl->index_cap - 1;
	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
		size_t *slot = &tl->index[i];
		if (!*slot || strcmp(tl->v[*slot - 1].name, name) == 0)
			return slot;
	}
}

static void index_rebuild(struct testlist *tl)
{
	free(tl->index);
	tl->index_cap = tl->index_cap ? tl->index_cap * 2 : 64;
	tl->index = xcalloc(tl->index_cap, sizeof(*tl->index));
	for (size_t i = 0; i < tl->n; i++)
		*index_slot(tl, tl->v[i].name) = i + 1;
}

static struct test *find_test(struct testlist *tl, const char *name)
{
	if (!tl->index_cap)
		return NULL;
	size_t *slot = index_slot(tl, name);
	return *slot ? &tl->v[*slot - 1] : NULL;
}

static struct test *add_test(struct testlist *tl, const char *name, const char *path)
{
	struct test *t = find_test(tl, name);
	if (t)
		return t; /* named twice: run once */
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 16;
		tl->v = xrealloc(tl->v, tl->cap * sizeof(*tl->v));
	}
	t = &tl->v[tl->n++];
	*t = (struct test){.name = xstrdup(name),
	                   .path = xstrdup(path),
	                   .s = SETTINGS_INIT,
	                   .found = SETTINGS_INIT};
	if (2 * tl->n > tl->index_cap)
		index_rebuild(tl);
	else
		*index_slot(tl, name) = tl->n;
	return t;
}

static char *join(const char *dir, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", dir, p);
}

/* A literal test path: must be an executable regular file. */
static int add_path(struct testlist *tl, const char *name, const char *dir, struct isola_error *e)
{
	cleanup_free char *abs = join(dir, name);
	struct stat st;
	if (stat(abs, &st) < 0)
		return err_set(e, errno, name, "test '%s' not found", name);
	if (!S_ISREG(st.st_mode))
		return err_set(e, 0, name, "test '%s' is not a regular file", name);
	if (access(abs, X_OK) < 0)
		return err_set(e, 0, name, "test '%s' is not executable (chmod +x it)", name);
	add_test(tl, name, abs);
	return 0;
}

char *glob_quote(const char *dir)
{
	char *out = xmalloc(2 * strlen(dir) + 1), *o = out;
	for (const char *p = dir; *p; p++) {
		if (strchr("*?[]\\", *p))
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* Expand pattern (absolute or relative to dir); names drop the "dir/" prefix. */
static int add_glob(struct testlist *tl, const char *pattern, const char *dir, const char *shown,
		    struct isola_error *e)
{
	cleanup_free char *qdir = glob_quote(dir);
	cleanup_free char *abs = join(qdir, pattern);
	glob_t g;
	int r = glob(abs, 0, NULL, &g);
	size_t added = 0;
	size_t dlen = strlen(dir);
	for (size_t i = 0; r == 0 && i < g.gl_pathc; i++) {
		const char *m = g.gl_pathv[i];
		if (!executable_file(m))
			continue;
		const char *name = m;
		if (pattern[0] != '/' && strncmp(m, dir, dlen) == 0 && m[dlen] == '/')
			name = m + dlen + 1;
		add_test(tl, name, m);
		added++;
	}
	if (r == 0)
		globfree(&g);
	if (added == 0)
		return err_set(e, 0, shown, "no executable test matches '%s'", shown);
	return 0;
}

char *program_path(const char *dir, const char *prog)
{
	char *path = strchr(prog, '/') ? join(dir, prog) : find_in_path(prog);
	if (path && !executable_file(path)) {
		free(path);
		path = NULL;
	}
	return path;
}

/* The program the last section named, and where it was found: thousands of sections often run
 * one program, and looking it up costs a search of PATH and two system calls. */
struct prog_cache {
	char *prog, *path;
};

static int resolve_decl(struct test *t, const struct test_decl *d, const struct config *cfg,
			struct prog_cache *pc, struct isola_error *e)
{
	if (d->argv.n == 0)
		return 0;
	const char *prog = d->argv.v[0];
	char *path;
	if (pc->prog && strcmp(pc->prog, prog) == 0) {
		path = xstrdup(pc->path);
	} else {
		path = program_path(cfg->dir, prog);
		if (!path) {
			return err_set(e, 0, cfg->path,
				       "%s:%d: command '%s' of test '%s' is not an executable program%s",
				       cfg->path, d->line, prog, d->name,
				       strchr(prog, '/') ? "" : " found in PATH");
		}
		free(pc->prog);
		free(pc->path);
		pc->prog = xstrdup(prog);
		pc->path = xstrdup(path);
	}
	free(t->path);
	t->path = path;
	strv_release(&t->argv);
	strv_extend(&t->argv, &d->argv);
	return 0;
}

static bool matches_any(const struct strv *globs, const char *name)
{
	for (size_t i = 0; globs && i < globs->n; i++)
		if (fnmatch(globs->v[i], name, 0) == 0)
			return true;
	return false;
}

/* Has the test a label that one of globs matches? */
static bool any_label(const struct strv *globs, const struct strv *labels)
{
	for (size_t i = 0; i < labels->n; i++)
		if (matches_any(globs, labels->v[i]))
			return true;
	return false;
}

/* A test a source found: a new name, with its own program and argv. */
static int add_found(void *ctx, const struct found_test *ft, struct isola_error *e)
{
	struct testlist *tl = ctx;
	const struct test *old = find_test(tl, ft->name);
	if (old)
		return err_set(e, 0, NULL,
		               "two tests are named '%s' (from %s, and %s): a name must say which "
		               "test it is",
		               ft->name, old->from ? old->from : "a program or [test] section",
		               ft->from);
	struct test *t = add_test(tl, ft->name, ft->path);
	for (char *const *a = ft->argv; *a; a++)
		strv_push(&t->argv, *a);
	t->from = xstrdup(ft->from);
	if (ft->lock)
		strv_push(&t->s.locks, ft->lock);
	if (ft->s)
		settings_merge(&t->found, ft->s);
	t->skip = ft->skip ? xstrdup(ft->skip) : NULL;
	t->blocked = ft->error ? xstrdup(ft->error) : NULL;
	t->notes = ft->notes ? xstrdup(ft->notes) : NULL;
	return 0;
}

static int add_sources(struct testlist *tl, const struct sources *ss, import_fn *import,
                       struct isola_error *e)
{
	for (size_t i = 0; ss && i < ss->n; i++)
		if (source_expand(&ss->v[i], import, add_found, tl, e) < 0)
			return -1;
	return 0;
}

int testlist_build(struct testlist *tl, const struct testlist_opts *o, struct isola_error *e)
{
	const struct config *cfg = o->cfg;
	*tl = (struct testlist){0};
	bool cli_sources = o->sources && o->sources->n;

	if (o->nargs || cli_sources) {
		for (size_t i = 0; i < o->nargs; i++) {
			const char *a = o->args[i];
			const struct test_decl *d = cfg ? config_decl(cfg, a) : NULL;
			int r;
			if (d && d->argv.n) {
				add_test(tl, a, a);
				r = 0;
			} else if (is_glob(a)) {
				r = add_glob(tl, a, o->source_dir, a, e);
			} else {
				r = add_path(tl, a, o->source_dir, e);
			}
			if (r < 0)
				goto fail;
		}
		if (add_sources(tl, o->sources, o->import, e) < 0)
			goto fail;
	} else if (cfg) {
		for (size_t i = 0; i < cfg->tests.n; i++) {
			const char *pat = cfg->tests.v[i];
			const char *shown = pat;
			if (strncmp(pat, cfg->dir, strlen(cfg->dir)) == 0 && pat[strlen(cfg->dir)] == '/')
				shown = pat + strlen(cfg->dir) + 1;
			if (add_glob(tl, shown[0] == '/' ? pat : shown, cfg->dir, shown, e) < 0) {
				err_set(e, 0, cfg->path, "%s: [suite] tests: no executable test matches '%s'",
					cfg->path, shown);
				goto fail;
			}
		}
		if (!o->no_sources && add_sources(tl, &cfg->sources, o->import, e) < 0)
			goto fail;
		for (size_t k = 0; k < cfg->ndecls; k++) {
			const struct test_decl *d = &cfg->decls[k];
			if (find_test(tl, d->name))
				continue;
			if (d->argv.n)
				add_test(tl, d->name, d->name);
			else if (add_path(tl, d->name, cfg->dir, e) < 0)
				goto fail;
		}
	}
	if (tl->n == 0) {
		err_set(e, 0, NULL,
			cfg ? "no tests: the config file declares none and none were named"
			    : "no tests given (name test programs or globs, or write an isola.ini; "
			      "see isola run --help)");
		goto fail;
	}

	/* Settings: suite < [test NAME] < command line; and the program a section names. */
	struct prog_cache pc = {0};
	for (size_t i = 0; i < tl->n; i++) {
		struct test *t = &tl->v[i];
		if (cfg)
			settings_merge(&t->s, &cfg->suite);
		settings_merge(&t->s, &t->found);
		settings_release(&t->found);
		if (cfg) {
			const struct test_decl *d = config_decl(cfg, t->name);
			if (d) {
				settings_merge(&t->s, &d->s);
				if (resolve_decl(t, d, cfg, &pc, e) < 0) {
					free(pc.prog);
					free(pc.path);
					goto fail;
				}
			}
		}
		if (o->cli)
			settings_merge(&t->s, o->cli);
		settings_finalise(&t->s);
	}
	free(pc.prog);
	free(pc.path);

	size_t kept = 0;
	for (size_t i = 0; i < tl->n; i++) {
		struct test *t = &tl->v[i];
		bool keep = (!o->filters || o->filters->n == 0 || matches_any(o->filters, t->name)) &&
			    !matches_any(o->excludes, t->name) &&
			    (!o->with_labels || o->with_labels->n == 0 ||
			     any_label(o->with_labels, &t->s.labels)) &&
			    !any_label(o->without_labels, &t->s.labels);
		if (keep)
			tl->v[kept++] = *t;
		else
			test_release(t);
	}
	tl->n = kept;
	/* Filtering moved tests around: the index is done with. */
	free(tl->index);
	tl->index = NULL;
	tl->index_cap = 0;
	return 0;
fail:
	testlist_release(tl);
	return -1;
}

void test_release(struct test *t)
{
	free(t->name);
	free(t->path);
	strv_release(&t->argv);
	settings_release(&t->s);
	free(t->blocked);
	free(t->blocked_log);
	strv_release(&t->setup_dirs);
	free(t->from);
	free(t->skip);
	free(t->notes);
	settings_release(&t->found);
}

void testlist_release(struct testlist *tl)
{
	for (size_t i = 0; i < tl->n; i++)
		test_release(&tl->v[i]);
	free(tl->v);
	free(tl->index);
	*tl = (struct testlist){0};
}

char *const *test_argv(const struct test *t, char *two[2])
{
	if (t->argv.n)
		return t->argv.v;
	two[0] = t->path;
	two[1] = NULL;
	return two;
}

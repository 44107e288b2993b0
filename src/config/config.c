/* SPDX-License-Identifier: MIT */
#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parse {
	struct config *c;
	FILE *fp;
	int line;       /* the line the parser is on, counted by our reader */
	bool long_line; /* the current line did not fit inih's buffer */
	int section_line; /* where the current [section] header is */
	char *section;    /* its whole name: inih keeps only its first 49 characters */
	unsigned section_keys; /* keys seen in it so far */
	size_t last;      /* 1 + the c->decls index of the last key's section (most keys follow
			   * it); 0: none */
	int err_line;
	struct isola_error err;
};

static bool section_known(const char *name)
{
	return strcmp(name, "suite") == 0 || (strncmp(name, "test ", 5) == 0 && name[5]) ||
	       (strncmp(name, "lock ", 5) == 0 && name[5]) ||
	       (strncmp(name, "setup ", 6) == 0 && name[6]);
}

/* A [test NAME] section with no key in it says nothing: an error, not a test quietly dropped. */
static void check_section_used(struct parse *p)
{
	if (p->section && !p->section_keys && strncmp(p->section, "test ", 5) == 0 &&
	    !p->err_line) {
		p->err_line = p->section_line;
		err_set(&p->err, 0, NULL, "[%s] is empty (give it a command = ..., or remove it)",
			p->section);
	}
}

/*
 * In INI a ';' after a space starts a comment: "command = true ; false" would silently run only
 * "true". A command is no shell line, so such a ';' can only be a mistake or an argument: refuse
 * it, and say how to pass it as an argument (";" quoted, which inih leaves alone).
 */
static void check_command_comment(struct parse *p, const char *line)
{
	/* The keys whose value is a command (or its template). */
	static const char *const keys[] = {"command", "teardown", "lines", "argv"};
	size_t k = strcspn(line, " \t=");
	bool is_command = false;
	for (size_t i = 0; i < ARRAY_SIZE(keys) && !is_command; i++)
		is_command = k == strlen(keys[i]) && strncmp(line, keys[i], k) == 0;
	if (!is_command || p->err_line)
		return;
	const char *eq = strchr(line, '=');
	if (!eq || line[k + strspn(line + k, " \t")] != '=')
		return;
	for (const char *c = eq + 1; *c; c++) {
		if (*c == ';' && (c[-1] == ' ' || c[-1] == '\t')) {
			p->err_line = p->line;
			err_set(&p->err, 0, NULL,
				"' ;' starts a comment in this file, which would cut the command short "
				"(commands run no shell); to pass ';' as an argument, quote it: \";\"");
			return;
		}
	}
}

/* inih calls this for every line: count them so that errors can name their line. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(str, num, p->fp);
	if (!r)
		return NULL;
	size_t len = strlen(r);
	if (!p->long_line) {
		p->line++;
		/* inih reads an indented line as the continuation of the previous value, so that
		 * "\ttimeout = 7s" under "command = ..." would join the command. Indentation means
		 * nothing here: drop it (a value takes one line; repeat a key for lists). */
		size_t indent = strspn(r, " \t");
		if (indent) {
			memmove(r, r + indent, len - indent + 1);
			len -= indent;
		}
		const char *t = r;
		const char *end = *t == '[' ? strchr(t, ']') : NULL;
		if (end)
			check_section_used(p);
		check_command_comment(p, t);
		if (end) {
			/* The same text inih takes as the name: from '[' to the first ']'. */
			p->section_line = p->line;
			p->section_keys = 0;
			free(p->section);
			p->section = strndup(t + 1, (size_t)(end - t - 1));
			if (!p->section)
				abort();
			if (!section_known(p->section) && !p->err_line) {
				p->err_line = p->line;
				err_set(&p->err, 0, NULL,
					"unknown section [%s] (expected [suite], [test NAME], [lock "
					"NAME] or [setup NAME])",
					p->section);
			}
		}
	}
	p->long_line = len > 0 && r[len - 1] != '\n' && !feof(p->fp);
	if (p->long_line && !p->err_line) {
		p->err_line = p->line;
		err_set(&p->err, 0, NULL, "line longer than %d characters", num - 2);
	}
	return r;
}

static int fail(struct parse *p, struct isola_error *e)
{
	if (!p->err_line) {
		p->err_line = p->line;
		p->err = *e;
	}
	return 0;
}

/* The index of a [test NAME] in c->decls, by name (a tsearch tree: big configs stay linear). */
struct decl_ref {
	const char *name; /* the decl's own copy */
	size_t index;
};

static int decl_ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct decl_ref *)a)->name, ((const struct decl_ref *)b)->name);
}

const struct test_decl *config_decl(const struct config *c, const char *name)
{
	struct decl_ref key = {.name = name};
	struct decl_ref *const *found = tfind(&key, &c->decl_index, decl_ref_cmp);
	return found ? &c->decls[(*found)->index] : NULL;
}

static struct test_decl *find_decl(struct parse *p, const char *name)
{
	struct config *c = p->c;
	if (p->last && strcmp(c->decls[p->last - 1].name, name) == 0)
		return &c->decls[p->last - 1];
	return (struct test_decl *)config_decl(c, name);
}

static struct test_decl *add_decl(struct parse *p, const char *name)
{
	struct config *c = p->c;
	c->decls = xrealloc(c->decls, (c->ndecls + 1) * sizeof(*c->decls));
	struct test_decl *d = &c->decls[c->ndecls];
	*d = (struct test_decl){.name = xstrdup(name), .s = SETTINGS_INIT, .line = p->line};
	struct decl_ref *ref = xmalloc(sizeof(*ref));
	*ref = (struct decl_ref){.name = d->name, .index = c->ndecls++};
	if (!tsearch(ref, &c->decl_index, decl_ref_cmp))
		abort();
	return d;
}

/* [lock NAME]: max = N. */
static int lock_key(struct parse *p, const char *name, const char *key, const char *value)
{
	struct config *c = p->c;
	struct isola_error e = {0};
	if (!name_ok(name)) {
		err_set(&e, 0, NULL, "invalid lock name '%s' in [lock %s] (letters, digits, '.', '_' "
			"and '-', at most 64)", name, name);
		return fail(p, &e);
	}
	if (strcmp(key, "max") != 0) {
		err_set(&e, 0, NULL, "unknown key '%s' in [lock %s] (a lock has max = N)", key, name);
		return fail(p, &e);
	}
	unsigned max;
	if (parse_uint(value, 1, 4096, &max) < 0) {
		err_set(&e, 0, NULL, "invalid value '%s' for max in [lock %s] (expected how many "
			"tests may hold it at once, 1 to 4096)", value, name);
		return fail(p, &e);
	}
	for (size_t i = 0; i < c->nlocks; i++)
		if (strcmp(c->locks[i].name, name) == 0) {
			c->locks[i].max = max;
			return 1;
		}
	c->locks = xrealloc(c->locks, (c->nlocks + 1) * sizeof(*c->locks));
	c->locks[c->nlocks++] = (struct lock_decl){.name = xstrdup(name), .max = max, .line = p->line};
	return 1;
}

const struct setup_decl *config_setup(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nsetups; i++)
		if (strcmp(c->setups[i].name, name) == 0)
			return &c->setups[i];
	return NULL;
}

/* [setup NAME]: command = ..., teardown = ..., and the settings of its sandbox. */
static int setup_key(struct parse *p, const char *name, const char *key, const char *value)
{
	struct config *c = p->c;
	struct isola_error e = {0};
	if (!name_ok(name)) {
		err_set(&e, 0, NULL, "invalid setup name '%s' in [setup %s] (letters, digits, '.', "
			"'_' and '-', at most 64)", name, name);
		return fail(p, &e);
	}
	struct setup_decl *d = (struct setup_decl *)config_setup(c, name);
	if (!d) {
		c->setups = xrealloc(c->setups, (c->nsetups + 1) * sizeof(*c->setups));
		d = &c->setups[c->nsetups++];
		*d = (struct setup_decl){.name = xstrdup(name), .s = SETTINGS_INIT,
					 .line = p->section_line};
	}
	if (strcmp(key, "command") == 0 || strcmp(key, "teardown") == 0) {
		struct strv *argv = key[0] == 'c' ? &d->argv : &d->teardown;
		strv_release(argv);
		if (split_command(value, argv) < 0 || argv->n == 0) {
			err_set(&e, 0, NULL, "invalid %s '%s' (unterminated quote, or empty)", key,
				value);
			return fail(p, &e);
		}
		return 1;
	}
	int r = settings_apply(&d->s, key, value, c->dir, &e);
	if (r < 0)
		return fail(p, &e);
	static const char *const test_only[] = {"lock", "slots", "serial", "will-fail", "label",
	                                         "after"};
	bool only = false;
	for (size_t i = 0; i < ARRAY_SIZE(test_only) && !only; i++)
		only = strcmp(key, test_only[i]) == 0;
	if (r == 0 || only) {
		err_set(&e, 0, NULL, "unknown key '%s' in [setup %s] (a setup has command, teardown, "
			"requires and the settings of a test's sandbox)", key, name);
		return fail(p, &e);
	}
	return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;
	struct config *c = p->c;
	struct isola_error e = {0};

	if (p->err_line)
		return 1; /* report the first error only */
	if (!key) {
		/* INI_CALL_HANDLER_ON_NEW_SECTION builds call us per section; nothing to do. */
		return 1;
	}
	p->section_keys++;

	/* Our copy of the name is whole where inih's may be cut short. */
	if (p->section && strncmp(p->section, section, strlen(section)) == 0)
		section = p->section;
	struct settings *s;
	bool is_suite = strcmp(section, "suite") == 0;
	if (is_suite) {
		s = &c->suite;
	} else if (strncmp(section, "test ", 5) == 0 && section[5]) {
		const char *name = section + 5;
		struct test_decl *d = find_decl(p, name);
		if (!d)
			d = add_decl(p, name);
		p->last = (size_t)(d - c->decls) + 1;
		if (strcmp(key, "command") == 0) {
			strv_release(&d->argv);
			d->line = p->line;
			if (split_command(value, &d->argv) < 0 || d->argv.n == 0) {
				err_set(&e, 0, NULL,
					"invalid command '%s' (unterminated quote, or empty)", value);
				return fail(p, &e);
			}
			return 1;
		}
		s = &d->s;
	} else if (strncmp(section, "lock ", 5) == 0) {
		return lock_key(p, section + 5, key, value);
	} else if (strncmp(section, "setup ", 6) == 0) {
		return setup_key(p, section + 6, key, value);
	} else {
		/* Keys outside any section (reader() reports unknown ones at their header). */
		err_set(&e, 0, NULL, "'%s' is outside any section (start with [suite])", key);
		return fail(p, &e);
	}

	int r = settings_apply(s, key, value, c->dir, &e);
	if (r < 0)
		return fail(p, &e);
	if (r > 0)
		return 1;

	enum source_kind kind;
	if (is_suite && source_kind_parse(key, &kind) == 0) {
		char origin[64];
		snprintf(origin, sizeof(origin), "%.50s:%d", c->path, p->line);
		sources_add(&c->sources, kind, value, c->dir, origin);
		return 1;
	}
	if (is_suite && (strcmp(key, "argv") == 0 || strcmp(key, "pattern") == 0 ||
	                 strcmp(key, "disabled") == 0 || strcmp(key, "gtest-shards") == 0)) {
		if (sources_set(&c->sources, key, value, &e) < 0)
			return fail(p, &e);
		return 1;
	}
	if (is_suite && strcmp(key, "tests") == 0) {
		strv_push_take(&c->tests,
			       value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", c->dir, value));
		return 1;
	}
	if (is_suite && strcmp(key, "jobs") == 0) {
		if (parse_jobs(value, &c->jobs) < 0) {
			err_set(&e, 0, NULL, "invalid value '%s' for jobs (expected 1 or more, or auto)",
				value);
			return fail(p, &e);
		}
		return 1;
	}
	if (is_suite && strcmp(key, "keep") == 0) {
		enum keep_mode k;
		if (parse_keep(value, &k) < 0) {
			err_set(&e, 0, NULL,
				"invalid value '%s' for keep (expected failed, all or none)", value);
			return fail(p, &e);
		}
		c->keep = (int)k;
		return 1;
	}
	if (is_suite && strcmp(key, "retries") == 0) {
		unsigned n;
		if (parse_uint(value, 0, 100, &n) < 0) {
			err_set(&e, 0, NULL, "invalid value '%s' for retries (expected 0 to 100)",
				value);
			return fail(p, &e);
		}
		c->retries = (int)n;
		return 1;
	}
	if (is_suite && strcmp(key, "flaky-result") == 0) {
		if (parse_flaky_result(value, &c->flaky_result) < 0) {
			err_set(&e, 0, NULL, "invalid value '%s' for flaky-result (expected pass or fail)",
				value);
			return fail(p, &e);
		}
		return 1;
	}
	if (is_suite && strcmp(key, "shared-writes") == 0) {
		if (parse_shared_writes(value, &c->shared_writes) < 0) {
			err_set(&e, 0, NULL,
			        "invalid value '%s' for shared-writes (expected report or fail)", value);
			return fail(p, &e);
		}
		return 1;
	}
	if (is_suite && strcmp(key, "slow") == 0) {
		if (parse_duration(value, &c->slow_ns) < 0 || c->slow_ns <= 0) {
			err_set(&e, 0, NULL, "invalid value '%s' for slow (expected a duration such as "
				"30s or 2m)", value);
			return fail(p, &e);
		}
		return 1;
	}
	if (is_suite && strcmp(key, "timings") == 0) {
		free(c->timings);
		c->timings = strcmp(value, "off") == 0 || value[0] == '/'
		                 ? xstrdup(value)
		                 : xasprintf("%s/%s", c->dir, value);
		return 1;
	}
	if (is_suite && strcmp(key, "root") == 0) {
		free(c->root);
		c->root = value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", c->dir, value);
		return 1;
	}
	err_set(&e, 0, NULL, "unknown key '%s' in [%s]", key, section);
	return fail(p, &e);
}

/* A config is text: a NUL byte is an error at its line (fgets would cut the line there). */
static bool nul_free(struct parse *p)
{
	int ch, line = 1;
	while ((ch = getc(p->fp)) != EOF) {
		if (ch == '\n')
			line++;
		if (ch == '\0') {
			p->err_line = line;
			err_set(&p->err, 0, NULL, "a NUL byte: this is not a text file");
			return false;
		}
	}
	rewind(p->fp);
	return true;
}

int config_load(struct config *c, const char *path, struct isola_error *e)
{
	*c = (struct config)CONFIG_INIT;
	c->path = xstrdup(path);

	char resolved[PATH_MAX];
	struct stat st;
	FILE *fp = fopen(path, "re");
	if (fp && fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		fp = NULL;
		errno = EISDIR;
	}
	if (!fp || !realpath(path, resolved)) {
		int saved = errno;
		if (fp)
			fclose(fp);
		return err_set(e, saved, path, "cannot read config file '%s'", path);
	}
	char *slash = strrchr(resolved, '/');
	c->dir = slash == resolved ? xstrdup("/") : strndup(resolved, (size_t)(slash - resolved));

	struct parse p = {.c = c, .fp = fp};
	int r = nul_free(&p) ? ini_parse_stream(reader, &p, handler, &p) : 0;
	if (r == 0)
		check_section_used(&p);
	/* A setup's timeout and grace default to the suite's, then to a test's defaults. */
	for (size_t i = 0; i < c->nsetups; i++) {
		struct settings *s = &c->setups[i].s;
		if (s->timeout_ns < 0)
			s->timeout_ns = c->suite.timeout_ns;
		if (s->grace_ns < 0)
			s->grace_ns = c->suite.grace_ns;
		settings_finalise(s);
	}
	fclose(fp);
	free(p.section);
	if (r != 0 || p.err_line) {
		int line = p.err_line ? p.err_line : r;
		if (p.err_line && r > 0 && r < p.err_line)
			line = r; /* a syntax error came first */
		if (line == p.err_line)
			err_set(e, 0, path, "%s:%d: %s", path, line, p.err.message);
		else
			err_set(e, 0, path,
				"%s:%d: syntax error (expected [section], KEY = VALUE or a comment)",
				path, line);
		return -1;
	}
	return 0;
}

void config_release(struct config *c)
{
	free(c->path);
	free(c->dir);
	settings_release(&c->suite);
	strv_release(&c->tests);
	for (size_t i = 0; i < c->ndecls; i++) {
		free(c->decls[i].name);
		strv_release(&c->decls[i].argv);
		settings_release(&c->decls[i].s);
	}
	free(c->decls);
	tdestroy(c->decl_index, free);
	free(c->root);
	free(c->timings);
	sources_release(&c->sources);
	for (size_t i = 0; i < c->nlocks; i++)
		free(c->locks[i].name);
	free(c->locks);
	for (size_t i = 0; i < c->nsetups; i++) {
		free(c->setups[i].name);
		strv_release(&c->setups[i].argv);
		strv_release(&c->setups[i].teardown);
		settings_release(&c->setups[i].s);
	}
	free(c->setups);
	*c = (struct config)CONFIG_INIT;
}

int split_command(const char *line, struct strv *out)
{
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		char *word = xmalloc(strlen(p) + 1);
		size_t n = 0;
		char quote = 0;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (quote && *p == quote) {
				quote = 0;
			} else if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
			} else if (*p == '\\' && p[1] && quote != '\'') {
				word[n++] = *++p;
			} else {
				word[n++] = *p;
			}
		}
		word[n] = '\0';
		if (quote) {
			free(word);
			return -1;
		}
		strv_push_take(out, word);
	}
}

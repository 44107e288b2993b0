/* SPDX-License-Identifier: MIT */
/*
 * Importing a build system's tests, read with jansson: CTest's json-v1 (ctest
 * --show-only=json-v1) and Meson's introspection (meson introspect --tests). Each test becomes
 * one of isola's with its command and the settings its properties mean to isola; what isola
 * cannot honour is kept as the test's notes, which isola list -v shows. Linked into the JSON
 * plugin only (report-plugin.h): the core does not link jansson.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "testlist/source.h"
#include "testlist/testlist.h"

/* One test being read: what it will be found with. */
struct imported {
	const struct source *src;
	const char *dir; /* the build directory, absolute */
	const char *name;
	struct strv argv;
	struct settings s;
	char *notes; /* "PASS_REGULAR_EXPRESSION, COST" */
	char *skip;
	char *error;
};

static void note(struct imported *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct imported *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	xappendf(&t->notes, "; ", "%s", what);
	free(what);
}

/* key = value into the test's settings; what isola refuses is a note, not an error: the build
 * system accepted it, and the other tests must still run. */
static void apply(struct imported *t, const char *key, const char *value)
{
	struct isola_error e = {0};
	int r = settings_apply(&t->s, key, value, t->dir, &e);
	if (r < 0)
		note(t, "%s %s (%s)", key, value, e.message);
	else if (r == 0)
		note(t, "%s = %s (this isola does not know %s)", key, value, key);
}

/* env NAME=VALUE as the build system means it: a literal value, so '$' is doubled. */
static void apply_env(struct imported *t, const char *name, const char *value)
{
	size_t n = strlen(value), dollars = 0;
	for (size_t i = 0; i < n; i++)
		dollars += value[i] == '$';
	char *v = xmalloc(strlen(name) + n + dollars + 2), *o = v;
	o += sprintf(o, "%s=", name);
	for (size_t i = 0; i < n; i++) {
		if (value[i] == '$')
			*o++ = '$';
		*o++ = value[i];
	}
	*o = '\0';
	apply(t, "env", v);
	free(v);
}

/* A lock's name from a CTest resource's (anything): what name_ok() refuses becomes '_', so two
 * resources may share a lock (they then never overlap either: safe), never the other way. */
static void apply_lock(struct imported *t, const char *resource)
{
	char name[65];
	size_t n = 0;
	for (const char *p = resource; *p && n < 64; p++)
		name[n++] = strchr("._-", *p) || (*p >= 'a' && *p <= 'z') ||
		                    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
		                ? *p
		                : '_';
	name[n] = '\0';
	apply(t, "lock", n ? name : "_");
}

static void apply_after(struct imported *t, const char *test)
{
	char *glob = glob_quote(test);
	apply(t, "after", glob);
	free(glob);
}

/* The value's strings: an array of them, or one. Returns how many were called with. */
typedef void str_fn(struct imported *t, const char *v);
static size_t each_string(struct imported *t, json_t *v, str_fn *fn)
{
	if (json_is_string(v)) {
		fn(t, json_string_value(v));
		return 1;
	}
	size_t i, n = 0;
	json_t *x;
	json_array_foreach(v, i, x)
		if (json_is_string(x)) {
			fn(t, json_string_value(x));
			n++;
		}
	return n;
}

static void apply_label(struct imported *t, const char *v)
{
	apply(t, "label", v);
}

/* seconds (a JSON number) as a timeout; 0 or less: none. */
static void apply_timeout(struct imported *t, json_t *v)
{
	double secs = json_number_value(v);
	if (!json_is_number(v) || secs > 1e9) {
		note(t, "TIMEOUT (not a number of seconds)");
		return;
	}
	t->s.timeout_ns = secs <= 0 ? 0 : (int64_t)(secs * 1e9);
}

static void apply_flag(struct imported *t, const char *key, json_t *v)
{
	if (json_is_boolean(v))
		apply(t, key, json_is_true(v) ? "true" : "false");
	else
		note(t, "%s (not true or false)", key);
}

static void apply_number(struct imported *t, const char *key, json_t *v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", json_is_integer(v) ? (long long)json_integer_value(v) : -1);
	apply(t, key, buf);
}

/* The test's argv from a JSON array of strings; its program found as the build system would:
 * an absolute path, or relative to the directory it runs in, or in PATH. Returns its path or
 * NULL (then t->error says why, unless it has no command at all). */
static char *read_command(struct imported *t, json_t *cmd, const char *cwd)
{
	size_t i;
	json_t *x;
	json_array_foreach(cmd, i, x)
		if (json_is_string(x))
			strv_push(&t->argv, json_string_value(x));
	if (!t->argv.n)
		return NULL;
	char *path = program_path(cwd, t->argv.v[0]);
	if (!path)
		t->error = xasprintf("its program '%s' is not an executable file (build the project "
		                     "first?)",
		                     t->argv.v[0]);
	return path;
}

/* The name of test number i of the listing (from 0), or NULL with *e. */
static const char *test_name(const struct source *s, json_t *jt, size_t i, struct isola_error *e)
{
	const char *name = json_string_value(json_object_get(jt, "name"));
	if (!name || !*name)
		err_set(e, 0, NULL, "%s: %s = %s: test %zu of its listing has no name", s->origin,
		        source_kind_name(s->kind), s->spec, i + 1);
	return name && *name ? name : NULL;
}

/* Found: t, with its command (a JSON array) run in cwd. t is released. */
static int emit_imported(struct imported *t, json_t *cmd, const char *cwd, found_fn *found,
                         void *ctx, struct isola_error *e)
{
	char *path = read_command(t, cmd, cwd);
	const char *kind = source_kind_name(t->src->kind);
	char *from = xasprintf("%s %s (%s)", kind, t->src->spec, t->src->origin);
	if (!path && !t->error && !t->skip)
		t->error = xasprintf("%s gives it no command", kind);
	char *none[] = {"-", NULL};
	struct found_test ft = {
	    .name = t->name,
	    .path = path ? path : "-",
	    .argv = t->argv.n ? strv_get(&t->argv) : none,
	    .from = from,
	    .s = &t->s,
	    .skip = t->skip,
	    .notes = t->notes,
	    .error = t->skip ? NULL : t->error,
	};
	int r = found(ctx, &ft, e);
	free(from);
	free(path);
	strv_release(&t->argv);
	settings_release(&t->s);
	free(t->notes);
	free(t->skip);
	free(t->error);
	return r;
}


/* ---- CTest --------------------------------------------------------------------------------- */

/* What one CTest property means to isola; properties it cannot honour become notes. */
static void ctest_property(struct imported *t, const char *name, json_t *v)
{
	if (strcmp(name, "WORKING_DIRECTORY") == 0 && json_is_string(v)) {
		apply(t, "cwd", json_string_value(v));
	} else if (strcmp(name, "ENVIRONMENT") == 0) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			const char *kv = json_string_value(x), *eq = kv ? strchr(kv, '=') : NULL;
			if (!eq) {
				note(t, "ENVIRONMENT %s (not NAME=VALUE)", kv ? kv : "?");
				continue;
			}
			char *n = xasprintf("%.*s", (int)(eq - kv), kv);
			apply_env(t, n, eq + 1);
			free(n);
		}
	} else if (strcmp(name, "ENVIRONMENT_MODIFICATION") == 0) {
		/* NAME=OP:VALUE: set and unset mean what env and unset do; the list operations
		 * work on a value isola does not know before the test starts. */
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			const char *m = json_string_value(x), *eq = m ? strchr(m, '=') : NULL;
			const char *colon = eq ? strchr(eq, ':') : NULL;
			char *n = eq ? xasprintf("%.*s", (int)(eq - m), m) : NULL;
			if (colon && strncmp(eq + 1, "set:", 4) == 0)
				apply_env(t, n, colon + 1);
			else if (colon && strncmp(eq + 1, "unset:", 6) == 0)
				apply(t, "unset", n);
			else
				note(t, "ENVIRONMENT_MODIFICATION %s", m ? m : "?");
			free(n);
		}
	} else if (strcmp(name, "TIMEOUT") == 0) {
		apply_timeout(t, v);
	} else if (strcmp(name, "WILL_FAIL") == 0) {
		apply_flag(t, "will-fail", v);
	} else if (strcmp(name, "RUN_SERIAL") == 0) {
		apply_flag(t, "serial", v);
	} else if (strcmp(name, "SKIP_RETURN_CODE") == 0) {
		apply_number(t, "skip-exit", v);
	} else if (strcmp(name, "PROCESSORS") == 0) {
		apply_number(t, "slots", v);
	} else if (strcmp(name, "LABELS") == 0) {
		each_string(t, v, apply_label);
	} else if (strcmp(name, "RESOURCE_LOCK") == 0) {
		each_string(t, v, apply_lock);
	} else if (strcmp(name, "DEPENDS") == 0) {
		/* CTest has put the fixtures' order here too: a FIXTURES_REQUIRED test depends on
		 * the fixture's setup tests, its cleanup tests on the tests that require it. */
		each_string(t, v, apply_after);
	} else if (strcmp(name, "DISABLED") == 0) {
		if (json_is_true(v))
			t->skip = xstrdup("DISABLED in CTest");
	} else if (strcmp(name, "FIXTURES_SETUP") == 0 || strcmp(name, "FIXTURES_CLEANUP") == 0 ||
	           strcmp(name, "FIXTURES_REQUIRED") == 0) {
		/* Their order is in DEPENDS (above). */
	} else {
		note(t, "%s", name);
	}
}

static int import_ctest(const struct source *s, const char *dir, json_t *root, found_fn *found,
                        void *ctx, struct isola_error *e)
{
	json_t *version = json_object_get(root, "version");
	json_t *major = json_object_get(version, "major");
	if (!json_is_object(root) || !json_is_string(json_object_get(root, "kind")) ||
	    strcmp(json_string_value(json_object_get(root, "kind")), "ctestInfo") != 0)
		return err_set(e, 0, NULL,
		               "%s: ctest = %s: what ctest printed is not a json-v1 test listing "
		               "(no \"kind\": \"ctestInfo\"): is this CMake 3.14 or later?",
		               s->origin, s->spec);
	if (json_integer_value(major) != 1)
		return err_set(e, 0, NULL,
		               "%s: ctest = %s: json-v1 listing of version %lld, and isola reads "
		               "version 1 (a newer CMake: tell isola's authors)",
		               s->origin, s->spec, (long long)json_integer_value(major));
	json_t *tests = json_object_get(root, "tests");
	if (!json_is_array(tests))
		return err_set(e, 0, NULL, "%s: ctest = %s: its json-v1 listing has no \"tests\" list",
		               s->origin, s->spec);
	if (json_array_size(tests) == 0)
		return err_set(e, 0, NULL,
		               "%s: ctest = %s: CTest lists no test there (does the project call "
		               "enable_testing() and add_test()?)",
		               s->origin, s->spec);
	size_t i;
	json_t *jt;
	json_array_foreach(tests, i, jt) {
		const char *name = test_name(s, jt, i, e);
		if (!name)
			return -1;
		struct imported t = {.src = s, .dir = dir, .name = name, .s = SETTINGS_INIT};
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(jt, "properties"), k, p) {
			const char *pn = json_string_value(json_object_get(p, "name"));
			if (pn)
				ctest_property(&t, pn, json_object_get(p, "value"));
		}
		if (emit_imported(&t, json_object_get(jt, "command"), t.s.cwd ? t.s.cwd : dir, found,
		                  ctx, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- Meson --------------------------------------------------------------------------------- */

static int import_meson(const struct source *s, const char *dir, json_t *root, found_fn *found,
                        void *ctx, struct isola_error *e)
{
	if (!json_is_array(root))
		return err_set(e, 0, NULL,
		               "%s: meson = %s: what meson introspect --tests printed is not a list of "
		               "tests",
		               s->origin, s->spec);
	if (json_array_size(root) == 0)
		return err_set(e, 0, NULL,
		               "%s: meson = %s: Meson lists no test there (does meson.build call "
		               "test()?)",
		               s->origin, s->spec);
	size_t i;
	json_t *jt;
	json_array_foreach(root, i, jt) {
		const char *name = test_name(s, jt, i, e);
		if (!name)
			return -1;
		struct imported t = {.src = s, .dir = dir, .name = name, .s = SETTINGS_INIT};
		const char *workdir = json_string_value(json_object_get(jt, "workdir"));
		apply(&t, "cwd", workdir ? workdir : dir);
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(jt, "env"), key, v)
			if (json_is_string(v))
				apply_env(&t, key, json_string_value(v));
		json_t *timeout = json_object_get(jt, "timeout");
		if (timeout)
			apply_timeout(&t, timeout);
		if (json_is_true(json_object_get(jt, "should_fail")))
			apply(&t, "will-fail", "true");
		if (json_is_false(json_object_get(jt, "is_parallel")))
			apply(&t, "serial", "true");
		/* A suite is "project:suite"; meson test --suite takes either part. */
		size_t k;
		json_array_foreach(json_object_get(jt, "suite"), k, v) {
			const char *suite = json_string_value(v), *colon = suite ? strchr(suite, ':') : NULL;
			if (!suite)
				continue;
			apply(&t, "label", suite);
			if (colon && colon[1])
				apply(&t, "label", colon + 1);
		}
		const char *protocol = json_string_value(json_object_get(jt, "protocol"));
		if (protocol && strcmp(protocol, "exitcode") != 0)
			apply(&t, "protocol", protocol);
		json_t *priority = json_object_get(jt, "priority");
		if (json_integer_value(priority) != 0)
			note(&t, "priority %lld (isola orders by recorded durations)",
			     (long long)json_integer_value(priority));
		if (json_array_size(json_object_get(jt, "extra_paths")))
			note(&t, "extra_paths");
		/* A workdir isola refused is a note; the program is then found from the build
		 * directory, as for none. */
		if (emit_imported(&t, json_object_get(jt, "cmd"), t.s.cwd ? t.s.cwd : dir, found, ctx,
		                  e) < 0)
			return -1;
	}
	return 0;
}

int source_import_json(const struct source *s, const char *dir, const char *json, size_t len,
                       found_fn *found, void *ctx, struct isola_error *e)
{
	const char *tool = source_kind_name(s->kind);
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(e, 0, NULL, "%s: %s = %s: what %s printed is not JSON (line %d: %s)",
		               s->origin, tool, s->spec, tool, je.line, je.text);
	int r = s->kind == SRC_CTEST ? import_ctest(s, dir, root, found, ctx, e)
	                             : import_meson(s, dir, root, found, ctx, e);
	json_decref(root);
	return r;
}

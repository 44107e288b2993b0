/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/config: the INI config file (config.c), command splitting, and settings
 * (settings.c): applying keys, merging by precedence, defaults.
 */
#include "unit.h"

#include "config/config.h"
#include "config/settings.h"

/* Write text to DIR/isola.ini and load it. */
static int load_text(const char *dir, const char *text, struct config *c, struct isola_error *e)
{
	write_file(P("%s/isola.ini", dir), text, 0644);
	return config_load(c, P("%s/isola.ini", dir), e);
}

static void load_ok(const char *dir, const char *text, struct config *c)
{
	struct isola_error e = {0};
	if (load_text(dir, text, c, &e) != 0)
		fail_msg("config_load refused:\n%s\n--> %s", text, e.message);
}

/* The file must be refused with "FILE:LINE: " + a message holding `what`. */
static void load_fails_at(const char *dir, const char *text, int line, const char *what)
{
	struct config c;
	struct isola_error e = {0};
	if (load_text(dir, text, &c, &e) != -1)
		fail_msg("config_load accepted:\n%s", text);
	const char *prefix = P("%s/isola.ini:%d: ", dir, line);
	if (strncmp(e.message, prefix, strlen(prefix)) != 0)
		fail_msg("expected the error at line %d, got \"%s\" for:\n%s", line, e.message,
		         text);
	assert_contains(e.message + strlen(prefix), what);
	config_release(&c);
}

static void test_suite_keys(void **state)
{
	const char *s = *state;
	struct config c;
	load_ok(s,
	        "; a comment\n"
	        "# another\n"
	        "\n"
	        "[suite]\n"
	        "jobs = 4\n"
	        "keep = all\n"
	        "root = sandboxes\n"
	        "retries = 2\n"
	        "tests = t/*.sh\n"
	        "tests = /abs/*.test\n"
	        "timeout = 10s\n"
	        "grace = 250ms\n"
	        "copy = fixtures\n"
	        "copy = data/db:var/db\n"
	        "mkdir = out/logs\n"
	        "env = A=1\n"
	        "env = B=${ISOLA_SANDBOX}/x\n"
	        "unset = LANG\n"
	        "cwd = work\n"
	        "keep-home = yes\n"
	        "leak = fail\n",
	        &c);
	assert_string_equal(c.path, P("%s/isola.ini", s));
	assert_string_equal(c.dir, s);
	assert_int_equal(c.jobs, 4);
	assert_int_equal(c.keep, KEEP_ALL);
	assert_string_equal(c.root, P("%s/sandboxes", s));
	assert_int_equal(c.retries, 2);
	assert_int_equal(c.tests.n, 2);
	assert_string_equal(c.tests.v[0], P("%s/t/*.sh", s));
	assert_string_equal(c.tests.v[1], "/abs/*.test");
	assert_int_equal(c.suite.timeout_ns, 10 * NSEC_PER_SEC);
	assert_int_equal(c.suite.grace_ns, 250 * NSEC_PER_MSEC);
	assert_int_equal(c.suite.res.n, 3);
	assert_string_equal(c.suite.res.v[0].src, P("%s/fixtures", s));
	assert_string_equal(c.suite.res.v[0].dest, "fixtures");
	assert_string_equal(c.suite.res.v[1].src, P("%s/data/db", s));
	assert_string_equal(c.suite.res.v[1].dest, "var/db");
	assert_int_equal(c.suite.res.v[2].kind, RES_MKDIR);
	assert_string_equal(c.suite.res.v[2].dest, "out/logs");
	assert_int_equal(c.suite.env_set.n, 2);
	assert_string_equal(c.suite.env_set.v[0], "A=1");
	assert_string_equal(c.suite.env_set.v[1], "B=${ISOLA_SANDBOX}/x");
	assert_int_equal(c.suite.env_unset.n, 1);
	assert_string_equal(c.suite.env_unset.v[0], "LANG");
	assert_string_equal(c.suite.cwd, "work");
	assert_int_equal(c.suite.keep_home, 1);
	assert_int_equal(c.suite.leak, LEAK_FAIL);
	assert_int_equal(c.ndecls, 0);
	config_release(&c);
	assert_null(c.path);
	assert_int_equal(c.ndecls, 0);
}

static void test_defaults_when_not_given(void **state)
{
	const char *s = *state;
	struct config c;
	load_ok(s, "[suite]\ntests = *.sh\n", &c);
	assert_int_equal(c.jobs, 0);
	assert_int_equal(c.keep, -1);
	assert_null(c.root);
	assert_int_equal(c.retries, -1);
	assert_int_equal(c.suite.timeout_ns, -1);
	assert_int_equal(c.suite.grace_ns, -1);
	assert_int_equal(c.suite.keep_home, -1);
	assert_int_equal(c.suite.leak, -1);
	assert_null(c.suite.cwd);
	config_release(&c);

	/* An empty file is a valid (empty) config. */
	load_ok(s, "", &c);
	assert_int_equal(c.tests.n, 0);
	config_release(&c);
}

static void test_jobs_auto_and_bounds(void **state)
{
	const char *s = *state;
	struct config c;
	load_ok(s, "[suite]\njobs = auto\n", &c);
	assert_true(c.jobs >= 1);
	config_release(&c);
	load_ok(s, "[suite]\njobs = 4096\nretries = 0\nkeep = none\n", &c);
	assert_int_equal(c.jobs, 4096);
	assert_int_equal(c.retries, 0);
	assert_int_equal(c.keep, KEEP_NONE);
	config_release(&c);
	load_ok(s, "[suite]\njobs = 1\nkeep = failed\nretries = 100\n", &c);
	assert_int_equal(c.jobs, 1);
	assert_int_equal(c.keep, KEEP_FAILED);
	assert_int_equal(c.retries, 100);
	config_release(&c);
}

static void test_test_sections(void **state)
{
	const char *s = *state;
	struct config c;
	load_ok(s,
	        "[suite]\n"                                     /* 1 */
	        "timeout = 1m\n"                                /* 2 */
	        "\n"                                            /* 3 */
	        "[test db]\n"                                   /* 4 */
	        "copy = schema.sql\n"                           /* 5 */
	        "command = run-db --name 'a b' \"c d\" e\\ f\n" /* 6 */
	        "copy = seed.sql:seed/1.sql\n"                  /* 7 */
	        "env = X=1\n"                                   /* 8 */
	        "env = X=2\n"                                   /* 9 */
	        "timeout = 5s\n"                                /* 10 */
	        "[test ./bin/other]\n"                          /* 11 */
	        "leak = warn\n"                                 /* 12 */
	        "[test db]\n"                                   /* 13 */
	        "unset = HOME\n",                               /* 14 */
	        &c);
	assert_int_equal(c.suite.timeout_ns, 60 * NSEC_PER_SEC);
	assert_int_equal(c.ndecls, 2);
	const struct test_decl *db = &c.decls[0], *other = &c.decls[1];
	assert_string_equal(db->name, "db");
	assert_int_equal(db->line, 6);
	assert_int_equal(db->argv.n, 5);
	assert_string_equal(db->argv.v[0], "run-db");
	assert_string_equal(db->argv.v[1], "--name");
	assert_string_equal(db->argv.v[2], "a b");
	assert_string_equal(db->argv.v[3], "c d");
	assert_string_equal(db->argv.v[4], "e f");
	assert_null(db->argv.v[5]);
	/* Repeated keys add up; the section given twice is one test. */
	assert_int_equal(db->s.res.n, 2);
	assert_string_equal(db->s.res.v[0].src, P("%s/schema.sql", s));
	assert_string_equal(db->s.res.v[1].dest, "seed/1.sql");
	assert_int_equal(db->s.env_set.n, 2);
	assert_string_equal(db->s.env_set.v[1], "X=2");
	assert_int_equal(db->s.env_unset.n, 1);
	assert_int_equal(db->s.timeout_ns, 5 * NSEC_PER_SEC);
	/* Settings of one test do not leak into the suite or the other test. */
	assert_int_equal(c.suite.res.n, 0);
	assert_string_equal(other->name, "./bin/other");
	assert_int_equal(other->argv.n, 0);
	assert_int_equal(other->s.leak, LEAK_WARN);
	assert_int_equal(other->s.timeout_ns, -1);
	assert_int_equal(other->s.res.n, 0);
	config_release(&c);
}

static void test_command_given_twice_last_wins(void **state)
{
	const char *s = *state;
	struct config c;
	load_ok(s, "[test t]\ncommand = first a b\n\ncommand = second\n", &c);
	assert_int_equal(c.decls[0].argv.n, 1);
	assert_string_equal(c.decls[0].argv.v[0], "second");
	assert_int_equal(c.decls[0].line, 4);
	config_release(&c);
}

static void test_relative_paths_against_file_dir(void **state)
{
	const char *s = *state;
	make_dir(P("%s/conf", s), 0755);
	make_dir(P("%s/elsewhere", s), 0755);
	write_file(P("%s/conf/suite.ini", s),
	           "[suite]\ntests = *.sh\nroot = ../roots\ncopy = fx\n[test t]\ncopy = a/b:c\n",
	           0644);
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	/* Loaded by a relative path, from another directory. */
	assert_int_equal(chdir(P("%s/elsewhere", s)), 0);
	struct config c;
	struct isola_error e = {0};
	int r = config_load(&c, "../conf/suite.ini", &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	assert_string_equal(c.path, "../conf/suite.ini");
	assert_string_equal(c.dir, P("%s/conf", s));
	assert_string_equal(c.tests.v[0], P("%s/conf/*.sh", s));
	assert_string_equal(c.root, P("%s/conf/../roots", s));
	assert_string_equal(c.suite.res.v[0].src, P("%s/conf/fx", s));
	assert_string_equal(c.decls[0].s.res.v[0].src, P("%s/conf/a/b", s));
	config_release(&c);

	/* Through a symlink: the real file's directory. */
	make_symlink(P("%s/conf/suite.ini", s), P("%s/elsewhere/link.ini", s));
	assert_int_equal(config_load(&c, P("%s/elsewhere/link.ini", s), &e), 0);
	assert_string_equal(c.dir, P("%s/conf", s));
	config_release(&c);
}

static void test_missing_file(void **state)
{
	const char *s = *state;
	struct config c;
	struct isola_error e = {0};
	assert_int_equal(config_load(&c, P("%s/nope.ini", s), &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.message,
	                    P("cannot read config file '%s/nope.ini': %s", s, strerror(ENOENT)));
	config_release(&c);
}

static void test_directory_is_not_a_config(void **state)
{
	const char *s = *state;
	/* `--config tests` by mistake must not read as an empty config ("no tests declared"). */
	make_dir(P("%s/conf.d", s), 0755);
	struct config c;
	struct isola_error e = {0};
	assert_int_equal(config_load(&c, P("%s/conf.d", s), &e), -1);
	assert_contains(e.message, P("'%s/conf.d'", s));
	config_release(&c);
}

static void test_error_lines(void **state)
{
	const char *s = *state;
	const char *head = "; isola.ini\n"
	                   "\n"
	                   "[suite]\n"
	                   "jobs = 2\n"; /* so the culprit below is line 5 */
	static const struct {
		const char *body;
		const char *what;
	} cases[] = {
	    {"colour = blue\n", "unknown key 'colour' in [suite]"},
	    {"timeout = forever\n", "invalid value 'forever' for timeout"},
	    {"timeout = -1s\n", "invalid value '-1s' for timeout"},
	    {"grace = 5x\n", "invalid value '5x' for grace"},
	    {"jobs = 0\n", "invalid value '0' for jobs"},
	    {"jobs = many\n", "invalid value 'many' for jobs"},
	    {"jobs = 4097\n", "invalid value '4097' for jobs"},
	    {"keep = some\n", "invalid value 'some' for keep"},
	    {"retries = 101\n", "invalid value '101' for retries"},
	    {"retries = -1\n", "invalid value '-1' for retries"},
	    {"env = 1BAD=x\n", "invalid environment variable name '1BAD'"},
	    {"env = NOVALUE\n", "has no '='"},
	    {"env = A=${ISOLA_UNIT_NEVER_SET}\n", "${ISOLA_UNIT_NEVER_SET}"},
	    {"env = A=${\n", "unterminated"},
	    {"unset = A-B\n", "invalid environment variable name 'A-B'"},
	    {"copy = data:../escape\n", "destination '../escape'"},
	    {"copy = data:/abs\n", "destination '/abs'"},
	    {"copy = ..\n", "destination '..'"},
	    {"mkdir = a/../../b\n", "destination 'a/../../b'"},
	    {"keep-home = maybe\n", "invalid value 'maybe' for keep-home"},
	    {"leak = ignore\n", "invalid value 'ignore' for leak"},
	    {"cwd =\n", "invalid value '' for cwd"},
	    {"this line has no equals sign\n", "syntax error"},
	    {"[unterminated section\n", "syntax error"},
	    {"[test t]\ncommand = prog 'unterminated\n", "invalid command"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = xasprintf("%s%s[suite]\njobs = 3\nbogus = 1\n", head, cases[i].body);
		/* Two-line bodies put the culprit one line lower. */
		int line = 5 + (strchr(cases[i].body, '\n') != strrchr(cases[i].body, '\n'));
		load_fails_at(s, text, line, cases[i].what);
		free(text);
	}
}

static void test_error_lines_in_test_sections(void **state)
{
	const char *s = *state;
	load_fails_at(s, "[test a]\ncommand = true\ntests = *.sh\n", 3,
	              "unknown key 'tests' in [test a]");
	load_fails_at(s, "[test a]\ncommand = true\njobs = 2\n", 3,
	              "unknown key 'jobs' in [test a]");
	load_fails_at(s, "[test a]\n\n\ncommand =\n", 4, "invalid command ''");
	load_fails_at(s, "[test a]\ncommand = \"a b\n", 2, "invalid command '\"a b'");
	load_fails_at(s, "[test a]\ntimeout = 1x\n", 2, "invalid value '1x' for timeout");
	load_fails_at(s, "[test a]\ncopy = x:y/../../z\n", 2, "destination 'y/../../z'");
	/* Keys before any section. */
	load_fails_at(s, "\njobs = 2\n", 2, "section");
}

static void test_unknown_section(void **state)
{
	const char *s = *state;
	/* The line of the section header itself, where the mistake is. */
	load_fails_at(s, "[suite]\njobs = 2\n\n[tests]\ntimeout = 1s\n", 4,
	              "unknown section [tests]");
	load_fails_at(s, "[suite]\n[test]\ncopy = x\n", 2, "unknown section [test]");
}

static void test_unknown_section_without_keys(void **state)
{
	const char *s = *state;
	/* A misspelt section is an error even before it holds keys. */
	load_fails_at(s, "[suite]\njobs = 2\n[sutie]\n", 3, "unknown section [sutie]");
}

static void test_first_error_wins(void **state)
{
	const char *s = *state;
	/* A syntax error before a bad value... */
	load_fails_at(s, "[suite]\njunk line\njobs = 0\n", 2, "syntax error");
	/* ...and a bad value before a syntax error. */
	load_fails_at(s, "[suite]\njobs = 0\njunk line\n", 2, "invalid value '0' for jobs");
	/* Two bad values: the first. */
	load_fails_at(s, "[suite]\nkeep = x\njobs = 0\n", 2, "for keep");
}

static char *line_of(char c, size_t n)
{
	char *l = xmalloc(n + 1);
	memset(l, c, n);
	l[n] = '\0';
	return l;
}

static void test_long_lines(void **state)
{
	const char *s = *state;
	/* inih's limit is 200 bytes with the newline and NUL: 198 characters fit. */
	cleanup_free char *fits = line_of('x', 198 - strlen("env = A="));
	cleanup_free char *ok = xasprintf("[suite]\nenv = A=%s\n", fits);
	struct config c;
	load_ok(s, ok, &c);
	assert_int_equal(strlen(c.suite.env_set.v[0]), 198 - strlen("env = "));
	config_release(&c);
	/* The same at the end of the file without a newline. */
	cleanup_free char *ok2 = xasprintf("[suite]\nenv = A=%s", fits);
	load_ok(s, ok2, &c);
	config_release(&c);

	/* One more is too long, wherever it is, and the lines after it are counted right. */
	cleanup_free char *too_long = line_of('x', 199 - strlen("env = A="));
	cleanup_free char *bad = xasprintf("[suite]\n\njobs = 2\nenv = A=%s\njobs = 3\n", too_long);
	load_fails_at(s, bad, 4, "line longer than 198 characters");
	cleanup_free char *huge = line_of('y', 1000);
	cleanup_free char *bad2 = xasprintf("[suite]\n; %s\n", huge);
	load_fails_at(s, bad2, 2, "line longer than");
	/* A long line after an error does not hide it. */
	cleanup_free char *bad3 = xasprintf("[suite]\njobs = x\nenv = A=%s\n", huge);
	load_fails_at(s, bad3, 2, "invalid value 'x' for jobs");
}

static void test_long_test_name(void **state)
{
	const char *s = *state;
	/* Test names are often paths, and paths are often long. */
	const char *name = "integration/storage/replication_survives_leader_failover.sh";
	cleanup_free char *text = xasprintf("[test %s]\ncommand = true\n", name);
	struct config c;
	struct isola_error e = {0};
	int r = load_text(s, text, &c, &e);
	/* Either it is read whole, or refused with a message: never silently cut short. */
	if (r == 0) {
		assert_int_equal(c.ndecls, 1);
		assert_string_equal(c.decls[0].name, name);
	} else {
		assert_contains(e.message, P("%s/isola.ini:1: ", s));
	}
	config_release(&c);
}

/* Load text; it must be read with these values, or refused at line `line`: never misread. */
static void indented_case(const char *s, const char *text, int line)
{
	struct config c;
	struct isola_error e = {0};
	int r = load_text(s, text, &c, &e);
	if (r == 0) {
		assert_int_equal(c.ndecls, 1);
		if (c.decls[0].argv.n != 1 || strcmp(c.decls[0].argv.v[0], "./a.sh") != 0)
			fail_msg("the command of [test a] was read as '%s%s%s'",
			         c.decls[0].argv.v[0], c.decls[0].argv.n > 1 ? " " : "",
			         c.decls[0].argv.n > 1 ? c.decls[0].argv.v[1] : "");
		assert_int_equal(c.decls[0].s.timeout_ns, 7 * NSEC_PER_SEC);
	} else {
		assert_contains(e.message, P("%s/isola.ini:%d: ", s, line));
	}
	config_release(&c);
}

static void test_indented_keys(void **state)
{
	const char *s = *state;
	/* git-config style: keys indented under their section. inih takes an indented line for the
	 * continuation of the previous key's value (INI_ALLOW_MULTILINE), so below, `timeout = 7s`
	 * silently becomes the command "timeout = 7s", and /usr/bin/timeout would run as the test.
	 */
	indented_case(s, "[test a]\n    command = ./a.sh\n    timeout = 7s\n", 3);
	indented_case(s, "[test a]\n\tcommand = ./a.sh\n\ttimeout = 7s\n", 3);
}

static void test_split_command(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *words[8];
	} cases[] = {
	    {"", {NULL}},
	    {"   \t ", {NULL}},
	    {"prog", {"prog", NULL}},
	    {"  prog   a\tb  ", {"prog", "a", "b", NULL}},
	    {"a 'b c' \"d e\"", {"a", "b c", "d e", NULL}},
	    {"a\\ b", {"a b", NULL}},
	    {"'a\\b'", {"a\\b", NULL}},     /* no escapes inside single quotes */
	    {"\"a\\\"b\"", {"a\"b", NULL}}, /* escapes inside double quotes */
	    {"x'y z'w", {"xy zw", NULL}},   /* quotes join with what touches them */
	    {"'' \"\"", {"", "", NULL}},    /* empty words survive */
	    {"\"it's\" 'say \"hi\"'", {"it's", "say \"hi\"", NULL}},
	    {"$HOME ${X} * ~ `a` ;",
	     {"$HOME", "${X}", "*", "~", "`a`", ";", NULL}}, /* no expansion */
	    {"end\\", {"end\\", NULL}},
	    {"\\'", {"'", NULL}},
	    {"'a\\'", {"a\\", NULL}}, /* a backslash does not escape the closing quote */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strv sv = STRV_INIT;
		if (split_command(cases[i].line, &sv) != 0)
			fail_msg("split_command(\"%s\") failed", cases[i].line);
		size_t n = 0;
		while (cases[i].words[n])
			n++;
		if (sv.n != n)
			fail_msg("split_command(\"%s\"): %zu words, expected %zu", cases[i].line,
			         sv.n, n);
		for (size_t k = 0; k < n; k++)
			if (strcmp(sv.v[k], cases[i].words[k]) != 0)
				fail_msg("split_command(\"%s\") word %zu: \"%s\", expected \"%s\"",
				         cases[i].line, k, sv.v[k], cases[i].words[k]);
		strv_release(&sv);
	}
	static const char *const bad[] = {"'open", "a \"open", "a 'b' 'c", "\"a'", "\"a\\\""};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strv sv = STRV_INIT;
		if (split_command(bad[i], &sv) != -1)
			fail_msg("split_command(\"%s\") accepted an unterminated quote", bad[i]);
		strv_release(&sv);
	}
}

/* --- settings ---------------------------------------------------------------------------- */

static void test_settings_apply(void **state)
{
	(void)state;
	struct settings st = SETTINGS_INIT;
	struct isola_error e = {0};
	assert_int_equal(settings_apply(&st, "timeout", "0", "/b", &e), 1);
	assert_int_equal(st.timeout_ns, 0);
	assert_int_equal(settings_apply(&st, "grace", "2s", "/b", &e), 1);
	assert_int_equal(st.grace_ns, 2 * NSEC_PER_SEC);
	for (int i = 0; i < 3; i++) {
		static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no",
		                                                                      "0"};
		assert_int_equal(settings_apply(&st, "keep-home", yes[i], "/b", &e), 1);
		assert_int_equal(st.keep_home, 1);
		assert_int_equal(settings_apply(&st, "keep-home", no[i], "/b", &e), 1);
		assert_int_equal(st.keep_home, 0);
	}
	assert_int_equal(settings_apply(&st, "cwd", "a", "/b", &e), 1);
	assert_int_equal(settings_apply(&st, "cwd", "b", "/b", &e), 1);
	assert_string_equal(st.cwd, "b");
	assert_int_equal(settings_apply(&st, "copy", "x", "/b", &e), 1);
	assert_string_equal(st.res.v[0].src, "/b/x");

	/* Not per-test keys: 0, nothing changed. */
	assert_int_equal(settings_apply(&st, "jobs", "2", "/b", &e), 0);
	assert_int_equal(settings_apply(&st, "Timeout", "2s", "/b", &e), 0);
	assert_int_equal(settings_apply(&st, "", "", "/b", &e), 0);

	/* Bad values: -1, the message names key and value, the setting is unchanged. */
	assert_int_equal(settings_apply(&st, "timeout", "soon", "/b", &e), -1);
	assert_string_equal(e.message,
	                    "invalid value 'soon' for timeout (expected a duration such as "
	                    "30s, 2m or 0 for none)");
	assert_int_equal(st.timeout_ns, 0);
	assert_int_equal(settings_apply(&st, "grace", "", "/b", &e), -1);
	assert_int_equal(st.grace_ns, 2 * NSEC_PER_SEC);
	assert_int_equal(settings_apply(&st, "keep-home", "TRUE", "/b", &e), -1);
	assert_contains(e.message, "'TRUE' for keep-home");
	assert_int_equal(st.keep_home, 0);
	assert_int_equal(settings_apply(&st, "leak", "Fail", "/b", &e), -1);
	assert_int_equal(st.leak, -1);
	assert_int_equal(settings_apply(&st, "copy", "x:/y", "/b", &e), -1);
	assert_int_equal(settings_apply(&st, "env", "A", "/b", &e), -1);
	assert_int_equal(settings_apply(&st, "unset", "1", "/b", &e), -1);
	assert_int_equal(st.res.n, 1);
	assert_int_equal(st.env_set.n, 0);
	assert_int_equal(st.env_unset.n, 0);
	settings_release(&st);
	assert_null(st.cwd);
	assert_int_equal(st.timeout_ns, -1);
}

static void test_settings_contract_names_usable(void **state)
{
	(void)state;
	struct settings st = SETTINGS_INIT;
	struct isola_error e = {0};
	for (size_t i = 0; contract_names[i]; i++) {
		unsetenv(
		    contract_names[i]); /* known to isola itself, not through the environment */
		char *v = xasprintf("V%zu=${%s}", i, contract_names[i]);
		if (settings_apply(&st, "env", v, "/b", &e) != 1)
			fail_msg("env %s refused: %s", v, e.message);
		free(v);
	}
	size_t n = 0;
	while (contract_names[n])
		n++;
	assert_true(n >= 12);
	assert_int_equal(st.env_set.n, n);
	settings_release(&st);
}

static void test_settings_merge(void **state)
{
	(void)state;
	struct settings suite = SETTINGS_INIT, test = SETTINGS_INIT, cli = SETTINGS_INIT;
	struct isola_error e = {0};
	assert_int_equal(settings_apply(&suite, "timeout", "10s", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "grace", "1s", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "cwd", "suite-cwd", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "leak", "fail", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "copy", "a", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "env", "A=suite", "/s", &e), 1);
	assert_int_equal(settings_apply(&suite, "unset", "U1", "/s", &e), 1);
	assert_int_equal(settings_apply(&test, "timeout", "20s", "/t", &e), 1);
	assert_int_equal(settings_apply(&test, "keep-home", "true", "/t", &e), 1);
	assert_int_equal(settings_apply(&test, "copy", "b", "/t", &e), 1);
	assert_int_equal(settings_apply(&test, "env", "A=test", "/t", &e), 1);
	assert_int_equal(settings_apply(&cli, "timeout", "0", "/c", &e), 1); /* 0 is given */
	assert_int_equal(settings_apply(&cli, "keep-home", "false", "/c", &e), 1);
	assert_int_equal(settings_apply(&cli, "mkdir", "c", "/c", &e), 1);
	assert_int_equal(settings_apply(&cli, "unset", "U2", "/c", &e), 1);

	struct settings t = SETTINGS_INIT;
	settings_merge(&t, &suite);
	settings_merge(&t, &test);
	settings_merge(&t, &cli);
	settings_finalise(&t);
	assert_int_equal(t.timeout_ns, 0);              /* cli */
	assert_int_equal(t.grace_ns, 1 * NSEC_PER_SEC); /* suite: nobody else gave it */
	assert_string_equal(t.cwd, "suite-cwd");        /* suite */
	assert_int_equal(t.keep_home, 0);               /* cli's false beats test's true */
	assert_int_equal(t.leak, LEAK_FAIL);            /* suite */
	assert_int_equal(t.res.n, 3);                   /* lists add up, in order */
	assert_string_equal(t.res.v[0].src, "/s/a");
	assert_string_equal(t.res.v[1].src, "/t/b");
	assert_int_equal(t.res.v[2].kind, RES_MKDIR);
	assert_int_equal(t.env_set.n, 2);
	assert_string_equal(t.env_set.v[0], "A=suite");
	assert_string_equal(t.env_set.v[1], "A=test");
	assert_int_equal(t.env_unset.n, 2);
	assert_string_equal(t.env_unset.v[1], "U2");
	settings_release(&t);

	/* Without the cli: the test section's values. */
	settings_merge(&t, &suite);
	settings_merge(&t, &test);
	settings_finalise(&t);
	assert_int_equal(t.timeout_ns, 20 * NSEC_PER_SEC);
	assert_int_equal(t.keep_home, 1);
	settings_release(&t);

	/* A source that gives nothing changes nothing (and -1 never overrides). */
	struct settings none = SETTINGS_INIT;
	settings_merge(&t, &suite);
	settings_merge(&t, &test);
	settings_merge(&t, &none);
	assert_int_equal(t.timeout_ns, 20 * NSEC_PER_SEC);
	assert_int_equal(t.grace_ns, 1 * NSEC_PER_SEC);
	assert_string_equal(t.cwd, "suite-cwd");
	assert_int_equal(t.keep_home, 1);
	assert_int_equal(t.leak, LEAK_FAIL);
	assert_int_equal(t.res.n, 2);
	settings_release(&t);

	/* Merging leaves the sources as they were. */
	assert_int_equal(suite.res.n, 1);
	assert_int_equal(test.timeout_ns, 20 * NSEC_PER_SEC);
	settings_release(&suite);
	settings_release(&test);
	settings_release(&cli);
}

static void test_settings_finalise_defaults(void **state)
{
	(void)state;
	struct settings t = SETTINGS_INIT;
	settings_finalise(&t);
	assert_int_equal(t.timeout_ns, DEFAULT_TIMEOUT_NS);
	assert_int_equal(t.grace_ns, DEFAULT_GRACE_NS);
	assert_int_equal(t.keep_home, 0);
	assert_int_equal(t.leak, LEAK_WARN);
	assert_null(t.cwd);
	/* Given values stay. */
	struct settings u = SETTINGS_INIT;
	u.timeout_ns = 0;
	u.grace_ns = 7;
	u.leak = LEAK_FAIL;
	u.keep_home = 1;
	settings_finalise(&u);
	assert_int_equal(u.timeout_ns, 0);
	assert_int_equal(u.grace_ns, 7);
	assert_int_equal(u.leak, LEAK_FAIL);
	assert_int_equal(u.keep_home, 1);
	settings_release(&t);
	settings_release(&u);
}

static void test_parse_keep_and_jobs(void **state)
{
	(void)state;
	enum keep_mode k = KEEP_NONE;
	assert_int_equal(parse_keep("failed", &k), 0);
	assert_int_equal(k, KEEP_FAILED);
	assert_int_equal(parse_keep("all", &k), 0);
	assert_int_equal(k, KEEP_ALL);
	assert_int_equal(parse_keep("none", &k), 0);
	assert_int_equal(k, KEEP_NONE);
	assert_int_equal(parse_keep("None", &k), -1);
	assert_int_equal(parse_keep("", &k), -1);
	assert_int_equal(k, KEEP_NONE);
	unsigned j = 0;
	assert_int_equal(parse_jobs("auto", &j), 0);
	assert_true(j >= 1);
	assert_int_equal(parse_jobs("3", &j), 0);
	assert_int_equal(j, 3);
	assert_int_equal(parse_jobs("0", &j), -1);
	assert_int_equal(parse_jobs("4097", &j), -1);
	assert_int_equal(parse_jobs("Auto", &j), -1);
	assert_int_equal(parse_jobs("", &j), -1);
	assert_int_equal(j, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SCRATCH_TEST(test_suite_keys),
	    SCRATCH_TEST(test_defaults_when_not_given),
	    SCRATCH_TEST(test_jobs_auto_and_bounds),
	    SCRATCH_TEST(test_test_sections),
	    SCRATCH_TEST(test_command_given_twice_last_wins),
	    SCRATCH_TEST(test_relative_paths_against_file_dir),
	    SCRATCH_TEST(test_missing_file),
	    SCRATCH_TEST(test_directory_is_not_a_config),
	    SCRATCH_TEST(test_error_lines),
	    SCRATCH_TEST(test_error_lines_in_test_sections),
	    SCRATCH_TEST(test_unknown_section),
	    SCRATCH_TEST(test_unknown_section_without_keys),
	    SCRATCH_TEST(test_first_error_wins),
	    SCRATCH_TEST(test_long_lines),
	    SCRATCH_TEST(test_long_test_name),
	    SCRATCH_TEST(test_indented_keys),
	    cmocka_unit_test(test_split_command),
	    cmocka_unit_test(test_settings_apply),
	    cmocka_unit_test(test_settings_contract_names_usable),
	    cmocka_unit_test(test_settings_merge),
	    cmocka_unit_test(test_settings_finalise_defaults),
	    cmocka_unit_test(test_parse_keep_and_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

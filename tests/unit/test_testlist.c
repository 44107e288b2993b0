/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/testlist: from globs, literal paths, [test NAME] sections and filters to
 * the final list, each test with its settings (suite < test section < command line).
 *
 * Every test's scratch directory (*state) is both the "source dir" (where isola was started)
 * and, where a config is used, the config file's directory, unless said otherwise.
 */
#include "unit.h"

#include "testlist/testlist.h"

#define EXEC   0755
#define NOEXEC 0644

/* A small tree of candidate tests under scratch/t. */
static void make_tests(const char *s)
{
	make_dir(P("%s/t", s), 0755);
	write_file(P("%s/t/a.sh", s), "#!/bin/sh\n", EXEC);
	write_file(P("%s/t/b.sh", s), "#!/bin/sh\n", EXEC);
	write_file(P("%s/t/owner-only.sh", s), "#!/bin/sh\n", 0700);
	write_file(P("%s/t/noexec.sh", s), "#!/bin/sh\n", NOEXEC);
	write_file(P("%s/t/readme.txt", s), "", NOEXEC);
	make_dir(P("%s/t/dir.sh", s), 0755); /* executable, but a directory */
	make_symlink("a.sh", P("%s/t/link-to-a.sh", s));
	make_symlink("nowhere.sh", P("%s/t/dangling.sh", s));
}

struct build {
	struct testlist tl;
	struct isola_error e;
	struct testlist_opts o;
	struct strv filters, excludes;
};

static int build_args(struct build *b, const char *s, const char *const *args)
{
	size_t n = 0;
	while (args && args[n])
		n++;
	b->o.args = (char *const *)args;
	b->o.nargs = n;
	b->o.source_dir = s;
	b->o.filters = &b->filters;
	b->o.excludes = &b->excludes;
	memset(&b->e, 0, sizeof(b->e));
	return testlist_build(&b->tl, &b->o, &b->e);
}

static void build_release(struct build *b)
{
	testlist_release(&b->tl);
	strv_release(&b->filters);
	strv_release(&b->excludes);
}

/* The names in the list, in order, joined by spaces. */
static const char *names(const struct testlist *tl)
{
	static char buf[4096];
	buf[0] = '\0';
	for (size_t i = 0; i < tl->n; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, tl->v[i].name);
	}
	return buf;
}

static const struct test *find(const struct testlist *tl, const char *name)
{
	for (size_t i = 0; i < tl->n; i++)
		if (strcmp(tl->v[i].name, name) == 0)
			return &tl->v[i];
	fail_msg("no test '%s' in [%s]", name, names(tl));
	return NULL;
}

static void test_glob_matches_only_executable_files(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct build b = {0};
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/*.sh", NULL}), 0);
	/* glob order is sorted; noexec.sh, dir.sh and dangling.sh are left out */
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh t/link-to-a.sh t/owner-only.sh");
	const struct test *a = find(&b.tl, "t/a.sh");
	assert_string_equal(a->path, P("%s/t/a.sh", s));
	/* A plain program: no argv of its own, it is started with its path alone. */
	assert_int_equal(a->argv.n, 0);
	char *two[2];
	char *const *av = test_argv(a, two);
	assert_string_equal(av[0], a->path);
	assert_null(av[1]);
	/* Defaults filled in. */
	assert_int_equal(a->s.timeout_ns, DEFAULT_TIMEOUT_NS);
	assert_int_equal(a->s.grace_ns, DEFAULT_GRACE_NS);
	build_release(&b);

	/* An absolute glob keeps absolute names. */
	const char *abs = P("%s/t/[ab].sh", s);
	assert_int_equal(build_args(&b, s, (const char *const[]){abs, NULL}), 0);
	assert_string_equal(names(&b.tl), P("%s/t/a.sh %s/t/b.sh", s, s));
	build_release(&b);
}

static void test_glob_without_match_is_an_error(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct build b = {0};
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/*.none", NULL}), -1);
	assert_string_equal(b.e.message, "no executable test matches 't/*.none'");
	assert_int_equal(b.tl.n, 0);
	assert_null(b.tl.v);
	build_release(&b);

	/* Matches, but nothing executable. */
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/*.txt", NULL}), -1);
	assert_contains(b.e.message, "'t/*.txt'");
	build_release(&b);

	/* One good glob does not excuse a bad one. */
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/a.*", "t/[xyz]*", NULL}), -1);
	assert_contains(b.e.message, "'t/[xyz]*'");
	assert_int_equal(b.tl.n, 0);
	build_release(&b);
}

static void test_literal_paths(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct build b = {0};
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/b.sh", "t/a.sh", NULL}), 0);
	assert_string_equal(names(&b.tl), "t/b.sh t/a.sh"); /* the order given */
	assert_string_equal(b.tl.v[0].path, P("%s/t/b.sh", s));
	build_release(&b);

	assert_int_equal(build_args(&b, s, (const char *const[]){P("%s/t/a.sh", s), NULL}), 0);
	assert_string_equal(b.tl.v[0].path, P("%s/t/a.sh", s));
	build_release(&b);

	assert_int_equal(build_args(&b, s, (const char *const[]){"t/a.sh", "t/missing.sh", NULL}),
	                 -1);
	assert_int_equal(b.e.code, ENOENT);
	assert_contains(b.e.message, "test 't/missing.sh' not found");
	assert_int_equal(b.tl.n, 0);
	build_release(&b);

	assert_int_equal(build_args(&b, s, (const char *const[]){"t/noexec.sh", NULL}), -1);
	assert_contains(b.e.message, "test 't/noexec.sh' is not executable");
	assert_contains(b.e.message, "chmod +x");
	build_release(&b);

	assert_int_equal(build_args(&b, s, (const char *const[]){"t/dir.sh", NULL}), -1);
	assert_contains(b.e.message, "test 't/dir.sh' is not a regular file");
	build_release(&b);

	assert_int_equal(build_args(&b, s, (const char *const[]){"t/dangling.sh", NULL}), -1);
	assert_contains(b.e.message, "not found");
	build_release(&b);
}

static void test_nothing_to_run(void **state)
{
	const char *s = *state;
	struct build b = {0};
	assert_int_equal(build_args(&b, s, NULL), -1);
	assert_contains(b.e.message, "no tests given");
	build_release(&b);
}

static void test_filters(void **state)
{
	const char *s = *state;
	make_tests(s);
	const char *const all[] = {"t/*.sh", NULL};
	struct build b = {0};

	strv_push(&b.filters, "*a*");
	assert_int_equal(build_args(&b, s, all), 0);
	assert_string_equal(names(&b.tl), "t/a.sh t/link-to-a.sh");
	build_release(&b);

	/* Any of several -k. */
	strv_push(&b.filters, "t/a.sh");
	strv_push(&b.filters, "*/b*");
	assert_int_equal(build_args(&b, s, all), 0);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh");
	build_release(&b);

	strv_push(&b.excludes, "*link*");
	strv_push(&b.excludes, "*only*");
	assert_int_equal(build_args(&b, s, all), 0);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh");
	build_release(&b);

	/* --exclude wins over -k. */
	strv_push(&b.filters, "*a*");
	strv_push(&b.excludes, "t/a.sh");
	assert_int_equal(build_args(&b, s, all), 0);
	assert_string_equal(names(&b.tl), "t/link-to-a.sh");
	assert_string_equal(b.tl.v[0].path, P("%s/t/link-to-a.sh", s));
	build_release(&b);

	/* Filters match whole names. */
	strv_push(&b.filters, "a.sh");
	assert_int_equal(build_args(&b, s, all), 0);
	assert_int_equal(b.tl.n, 0);
	build_release(&b);
}

static void test_named_twice_runs_once(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct build b = {0};
	assert_int_equal(build_args(&b, s, (const char *const[]){"t/a.sh", "t/a.sh", NULL}), 0);
	assert_int_equal(b.tl.n, 1);
	build_release(&b);
	assert_int_equal(
	    build_args(&b, s, (const char *const[]){"t/b.sh", "t/[ab].sh", "t/a.sh", NULL}), 0);
	assert_string_equal(names(&b.tl), "t/b.sh t/a.sh");
	build_release(&b);
}

/* Write scratch/isola.ini and load it into *cfg. */
static void config(const char *s, const char *text, struct config *cfg)
{
	write_file(P("%s/isola.ini", s), text, 0644);
	struct isola_error e = {0};
	if (config_load(cfg, P("%s/isola.ini", s), &e) < 0)
		fail_msg("config_load: %s", e.message);
}

static int build_cfg(struct build *b, const char *s, const struct config *cfg,
                     const char *const *args)
{
	b->o.cfg = cfg;
	return build_args(b, s, args);
}

static void test_config_globs_and_sections(void **state)
{
	const char *s = *state;
	make_tests(s);
	make_dir(P("%s/bin", s), 0755);
	write_file(P("%s/bin/tool", s), "#!/bin/sh\n", EXEC);
	write_file(P("%s/t/plain", s), "#!/bin/sh\n", EXEC);
	struct config cfg;
	config(s,
	       "[suite]\n"
	       "tests = t/[ab].sh\n"
	       "[test t/a.sh]\n" /* a glob's test given settings */
	       "timeout = 7s\n"
	       "[test tool-test]\n" /* a command relative to the config dir */
	       "command = ./bin/tool --fast 'two words'\n"
	       "[test t/plain]\n" /* a test program named only by its section */
	       "leak = fail\n",
	       &cfg);
	struct build b = {0};
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), 0);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh tool-test t/plain");
	assert_int_equal(find(&b.tl, "t/a.sh")->s.timeout_ns, 7 * NSEC_PER_SEC);
	assert_int_equal(find(&b.tl, "t/b.sh")->s.timeout_ns, DEFAULT_TIMEOUT_NS);
	const struct test *tool = find(&b.tl, "tool-test");
	assert_string_equal(tool->path, P("%s/./bin/tool", s));
	assert_int_equal(tool->argv.n, 3);
	assert_string_equal(tool->argv.v[0], "./bin/tool");
	assert_string_equal(tool->argv.v[2], "two words");
	char *two[2];
	assert_ptr_equal(test_argv(tool, two), tool->argv.v);
	const struct test *plain = find(&b.tl, "t/plain");
	assert_string_equal(plain->path, P("%s/t/plain", s));
	assert_int_equal(plain->s.leak, LEAK_FAIL);
	build_release(&b);

	/* Naming tests on the command line replaces the config's list, sections still apply. */
	assert_int_equal(build_cfg(&b, s, &cfg, (const char *const[]){"tool-test", "t/a.sh", NULL}),
	                 0);
	assert_string_equal(names(&b.tl), "tool-test t/a.sh");
	assert_string_equal(b.tl.v[0].path, P("%s/./bin/tool", s));
	assert_int_equal(b.tl.v[1].s.timeout_ns, 7 * NSEC_PER_SEC);
	build_release(&b);
	config_release(&cfg);
}

static void test_config_relative_to_its_dir(void **state)
{
	const char *s = *state;
	/* The config lives in s/proj; isola is started from s/elsewhere. */
	make_dir(P("%s/proj", s), 0755);
	make_dir(P("%s/elsewhere", s), 0755);
	make_tests(P("%s/proj", s));
	struct config cfg;
	config(P("%s/proj", s), "[suite]\ntests = t/a.sh\n[test t/b.sh]\ntimeout = 1s\n", &cfg);
	struct build b = {0};
	assert_int_equal(build_cfg(&b, P("%s/elsewhere", s), &cfg, NULL), 0);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh");
	assert_string_equal(b.tl.v[0].path, P("%s/proj/t/a.sh", s));
	assert_string_equal(b.tl.v[1].path, P("%s/proj/t/b.sh", s));
	build_release(&b);
	config_release(&cfg);
}

static void test_config_glob_without_match(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct config cfg;
	config(s, "[suite]\ntests = t/*.sh\ntests = none/*.sh\n", &cfg);
	struct build b = {0};
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), -1);
	assert_string_equal(
	    b.e.message,
	    P("%s/isola.ini: [suite] tests: no executable test matches 'none/*.sh'", s));
	assert_int_equal(b.tl.n, 0);
	build_release(&b);
	config_release(&cfg);

	/* A config declaring nothing. */
	config(s, "[suite]\ntimeout = 1s\n", &cfg);
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), -1);
	assert_contains(b.e.message, "no tests");
	build_release(&b);
	config_release(&cfg);

	/* A section naming a program that is not there. */
	config(s, "[suite]\n[test t/gone.sh]\ntimeout = 1s\n", &cfg);
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), -1);
	assert_contains(b.e.message, "test 't/gone.sh' not found");
	build_release(&b);
	config_release(&cfg);
}

static void test_glob_under_dir_with_glob_characters(void **state)
{
	const char *s = *state;
	/* The pattern is the user's; the directory it is relative to is not a pattern. */
	cleanup_free char *proj = xasprintf("%s/proj[1]", s);
	make_dir(proj, 0755);
	make_tests(proj);
	struct config cfg;
	config(proj, "[suite]\ntests = t/[ab].sh\n", &cfg);
	struct build b = {0};
	if (build_cfg(&b, s, &cfg, NULL) < 0)
		fail_msg("config in '%s': %s", proj, b.e.message);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh");
	build_release(&b);
	config_release(&cfg);
	/* The same from the command line, started in that directory. */
	if (build_args(&b, proj, (const char *const[]){"t/[ab].sh", NULL}) < 0)
		fail_msg("source dir '%s': %s", proj, b.e.message);
	assert_string_equal(names(&b.tl), "t/a.sh t/b.sh");
	build_release(&b);
}

static void test_command_via_path(void **state)
{
	const char *s = *state;
	make_dir(P("%s/bin1", s), 0755);
	make_dir(P("%s/bin2", s), 0755);
	write_file(P("%s/bin1/mytool", s), "#!/bin/sh\n", NOEXEC); /* skipped: not executable */
	make_dir(P("%s/bin1/mydir", s), 0755);                     /* skipped: a directory */
	write_file(P("%s/bin2/mytool", s), "#!/bin/sh\n", EXEC);
	write_file(P("%s/bin2/mydir", s), "#!/bin/sh\n", EXEC);
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	setenv("PATH", P("%s/bin1:%s/bin2", s, s), 1);

	struct config cfg;
	config(s,
	       "[test uses-path]\ncommand = mytool --flag\n"
	       "[test dir-in-path]\ncommand = mydir\n",
	       &cfg);
	struct build b = {0};
	int r = build_cfg(&b, s, &cfg, NULL);
	if (r < 0)
		fail_msg("testlist_build: %s", b.e.message);
	assert_string_equal(find(&b.tl, "uses-path")->path, P("%s/bin2/mytool", s));
	assert_string_equal(find(&b.tl, "uses-path")->argv.v[0], "mytool");
	assert_string_equal(find(&b.tl, "uses-path")->argv.v[1], "--flag");
	assert_string_equal(find(&b.tl, "dir-in-path")->path, P("%s/bin2/mydir", s));
	build_release(&b);
	config_release(&cfg);

	char *found = find_in_path("mytool");
	assert_string_equal(found, P("%s/bin2/mytool", s));
	free(found);
	assert_null(find_in_path("isola-unit-no-such-program"));

	/* Not found: an error naming the file, its line, the program and the test. */
	config(s, "[suite]\n\n[test missing]\ncommand = isola-unit-no-such-program arg\n", &cfg);
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), -1);
	assert_string_equal(
	    b.e.message, P("%s/isola.ini:4: command 'isola-unit-no-such-program' of test 'missing' "
	                   "is not an executable program found in PATH",
	                   s));
	build_release(&b);
	config_release(&cfg);

	/* A relative command that is not there, or not executable. */
	config(s, "[test rel]\ncommand = ./bin1/mytool\n", &cfg);
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), -1);
	assert_contains(b.e.message,
	                P("%s/isola.ini:2: command './bin1/mytool' of test 'rel' is not "
	                  "an executable program",
	                  s));
	assert_not_contains(b.e.message, "PATH");
	build_release(&b);
	config_release(&cfg);

	if (old_path)
		setenv("PATH", old_path, 1);
	else
		unsetenv("PATH");
	free(old_path);
}

static void test_find_in_path_is_absolute(void **state)
{
	const char *s = *state;
	/* A relative PATH entry (or an empty one, meaning ".") is relative to isola's cwd, but the
	 * test runs elsewhere (its sandbox): testlist.h promises an absolute path. */
	make_dir(P("%s/relbin", s), 0755);
	write_file(P("%s/relbin/reltool", s), "#!/bin/sh\n", EXEC);
	write_file(P("%s/dottool", s), "#!/bin/sh\n", EXEC);
	char *old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(s), 0);
	setenv("PATH", "/nonexistent:relbin::/usr/bin", 1);
	char *rel = find_in_path("reltool");
	char *dot = find_in_path("dottool");
	assert_int_equal(chdir(cwd), 0);
	if (old_path)
		setenv("PATH", old_path, 1);
	else
		unsetenv("PATH");
	free(old_path);

	assert_non_null(rel);
	assert_non_null(dot);
	if (rel[0] != '/' || dot[0] != '/')
		fail_msg("find_in_path returned relative paths '%s' and '%s'", rel, dot);
	assert_string_equal(rel, P("%s/relbin/reltool", s));
	assert_string_equal(dot, P("%s/dottool", s));
	free(rel);
	free(dot);
}

static void test_settings_precedence(void **state)
{
	const char *s = *state;
	make_tests(s);
	struct config cfg;
	config(s,
	       "[suite]\n"
	       "tests = t/[ab].sh\n"
	       "timeout = 10s\n"
	       "grace = 1s\n"
	       "cwd = from-suite\n"
	       "env = A=suite\n"
	       "copy = fx:suite-fx\n"
	       "[test t/a.sh]\n"
	       "timeout = 20s\n"
	       "keep-home = true\n"
	       "env = A=test\n"
	       "env = B=test\n"
	       "mkdir = test-dir\n",
	       &cfg);
	struct settings cli = SETTINGS_INIT;
	struct isola_error e = {0};
	assert_int_equal(settings_apply(&cli, "timeout", "30s", s, &e), 1);
	assert_int_equal(settings_apply(&cli, "env", "B=cli", s, &e), 1);

	struct build b = {0};
	b.o.cli = &cli;
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), 0);
	const struct test *a = find(&b.tl, "t/a.sh"), *bt = find(&b.tl, "t/b.sh");
	assert_int_equal(a->s.timeout_ns, 30 * NSEC_PER_SEC); /* cli > test > suite */
	assert_int_equal(a->s.grace_ns, 1 * NSEC_PER_SEC);    /* suite only */
	assert_string_equal(a->s.cwd, "from-suite");
	assert_int_equal(a->s.keep_home, 1); /* test only */
	assert_int_equal(a->s.env_set.n, 4); /* suite, test, cli, in order */
	assert_string_equal(a->s.env_set.v[0], "A=suite");
	assert_string_equal(a->s.env_set.v[1], "A=test");
	assert_string_equal(a->s.env_set.v[2], "B=test");
	assert_string_equal(a->s.env_set.v[3], "B=cli");
	assert_int_equal(a->s.res.n, 2);
	assert_string_equal(a->s.res.v[0].dest, "suite-fx");
	assert_string_equal(a->s.res.v[1].dest, "test-dir");
	/* The other test has the suite's and the cli's only. */
	assert_int_equal(bt->s.timeout_ns, 30 * NSEC_PER_SEC);
	assert_int_equal(bt->s.keep_home, 0);
	assert_int_equal(bt->s.env_set.n, 2);
	assert_string_equal(bt->s.env_set.v[1], "B=cli");
	assert_int_equal(bt->s.res.n, 1);
	build_release(&b);

	/* Without a cli timeout, the section's wins over the suite's. */
	settings_release(&cli);
	memset(&b, 0, sizeof(b));
	assert_int_equal(build_cfg(&b, s, &cfg, NULL), 0);
	assert_int_equal(find(&b.tl, "t/a.sh")->s.timeout_ns, 20 * NSEC_PER_SEC);
	assert_int_equal(find(&b.tl, "t/b.sh")->s.timeout_ns, 10 * NSEC_PER_SEC);
	build_release(&b);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SCRATCH_TEST(test_glob_matches_only_executable_files),
	    SCRATCH_TEST(test_glob_without_match_is_an_error),
	    SCRATCH_TEST(test_literal_paths),
	    SCRATCH_TEST(test_nothing_to_run),
	    SCRATCH_TEST(test_filters),
	    SCRATCH_TEST(test_named_twice_runs_once),
	    SCRATCH_TEST(test_config_globs_and_sections),
	    SCRATCH_TEST(test_config_relative_to_its_dir),
	    SCRATCH_TEST(test_config_glob_without_match),
	    SCRATCH_TEST(test_glob_under_dir_with_glob_characters),
	    SCRATCH_TEST(test_command_via_path),
	    SCRATCH_TEST(test_find_in_path_is_absolute),
	    SCRATCH_TEST(test_settings_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

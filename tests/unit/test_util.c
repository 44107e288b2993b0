/* SPDX-License-Identifier: MIT */
/* Unit tests for src/util: durations, bounded integers, error composition, env names, strv. */
#include "unit.h"

#include <limits.h>
#include <signal.h>

#include "util/util.h"

static int64_t dur(const char *s)
{
	int64_t ns = -42;
	if (parse_duration(s, &ns) < 0)
		fail_msg("parse_duration(\"%s\") refused a valid duration", s);
	return ns;
}

static void test_parse_duration_accepts(void **state)
{
	(void)state;
	assert_int_equal(dur("300"), 300 * NSEC_PER_SEC);
	assert_int_equal(dur("300s"), 300 * NSEC_PER_SEC);
	assert_int_equal(dur("1.5s"), 1500 * NSEC_PER_MSEC);
	assert_int_equal(dur("250ms"), 250 * NSEC_PER_MSEC);
	assert_int_equal(dur("100us"), 100000);
	assert_int_equal(dur("2m"), 120 * NSEC_PER_SEC);
	assert_int_equal(dur("1h"), 3600 * NSEC_PER_SEC);
	assert_int_equal(dur("0"), 0);
	assert_int_equal(dur("0s"), 0);
	assert_int_equal(dur("0.5"), 500 * NSEC_PER_MSEC);
	/* The largest values still fit: a day, and then some. */
	assert_int_equal(dur("24h"), 86400 * NSEC_PER_SEC);
	assert_int_equal(dur("1000000h"), INT64_C(3600000000) * NSEC_PER_SEC);
}

static void test_parse_duration_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",         "-1",  "-0", "+1",  " 1",    "1 ",       "abc", "5x",
	    "1e30",     "s",   "ms", "1sm", "1ss",   "1.5.5s",   "nan", "inf",
	    "infinity", "1 s", "2M", "3H",  "1e30s", "3000000h",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int64_t ns = -42;
		if (parse_duration(bad[i], &ns) == 0)
			fail_msg("parse_duration(\"%s\") accepted it as %lld ns", bad[i],
			         (long long)ns);
		/* A refused value leaves the output alone. */
		assert_int_equal(ns, -42);
	}
	int64_t ns = -42;
	assert_int_equal(parse_duration(NULL, &ns), -1);
	assert_int_equal(ns, -42);
}

static void test_parse_uint_bounds(void **state)
{
	(void)state;
	unsigned v = 12345;
	assert_int_equal(parse_uint("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_uint("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_uint("1", 1, 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(parse_uint("4096", 1, 4096, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_uint("4294967295", 0, UINT_MAX, &v), 0);
	assert_int_equal(v, UINT_MAX);

	v = 12345;
	static const struct {
		const char *s;
		unsigned min, max;
	} bad[] = {
	    {"11", 0, 10},
	    {"0", 1, 10},
	    {"", 0, 10},
	    {"-1", 0, 10},
	    {"+1", 0, 10},
	    {" 1", 0, 10},
	    {"1 ", 0, 10},
	    {"1x", 0, 10},
	    {"x", 0, 10},
	    {"4097", 1, 4096},
	    {"4294967296", 0, UINT_MAX},
	    {"99999999999999999999999", 0, UINT_MAX},
	    {"1.0", 0, 10},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (parse_uint(bad[i].s, bad[i].min, bad[i].max, &v) == 0)
			fail_msg("parse_uint(\"%s\", %u, %u) accepted it", bad[i].s, bad[i].min,
			         bad[i].max);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(parse_uint(NULL, 0, 10, &v), -1);
}

static void test_fmt_duration(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(fmt_duration(0, buf, sizeof(buf)), "0.000s");
	assert_string_equal(fmt_duration(12 * NSEC_PER_MSEC, buf, sizeof(buf)), "0.012s");
	assert_string_equal(fmt_duration(1500 * NSEC_PER_MSEC, buf, sizeof(buf)), "1.500s");
	assert_string_equal(fmt_duration(59 * NSEC_PER_SEC, buf, sizeof(buf)), "59.000s");
	assert_string_equal(fmt_duration(60 * NSEC_PER_SEC, buf, sizeof(buf)), "1m00s");
	assert_string_equal(fmt_duration(62 * NSEC_PER_SEC + 900 * NSEC_PER_MSEC, buf, sizeof(buf)),
	                    "1m02s");
	assert_string_equal(fmt_duration(3600 * NSEC_PER_SEC, buf, sizeof(buf)), "60m00s");
	/* It returns buf itself, and respects its size. */
	char small[4];
	assert_ptr_equal(fmt_duration(12 * NSEC_PER_MSEC, small, sizeof(small)), small);
	assert_string_equal(small, "0.0");
}

static void test_err_set_composes_message(void **state)
{
	(void)state;
	struct isola_error e = {0};
	assert_int_equal(err_set(&e, ENOENT, "some/file", "cannot open '%s'", "some/file"), -1);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.path, "some/file");
	assert_string_equal(e.message, P("cannot open 'some/file': %s", strerror(ENOENT)));

	/* errnum 0: the message alone, no ": ..." tail; a NULL path is "". */
	assert_int_equal(err_set(&e, 0, NULL, "bad value %d", 7), -1);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.path, "");
	assert_string_equal(e.message, "bad value 7");

	/* A NULL error struct is allowed: callers still get -1. */
	assert_int_equal(err_set(NULL, EIO, "x", "whatever"), -1);

	/* Over-long messages and paths are cut to fit, still NUL-terminated. */
	char long_text[3000];
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	err_set(&e, EACCES, long_text, "%s", long_text);
	assert_int_equal(strlen(e.path), sizeof(e.path) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);

	err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.message, "");
	assert_string_equal(e.path, "");
	err_clear(NULL);
}

static void test_env_name_valid(void **state)
{
	(void)state;
	static const char *const good[] = {"A", "_", "a", "PATH", "_x1", "A1_B2", "abc_DEF_9"};
	static const char *const bad[] = {"", "1A", "9", "A-B", "A B", "A=B", "A.B", "é", "$A"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!env_name_valid(good[i], strlen(good[i])))
			fail_msg("'%s' should be a valid name", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (env_name_valid(bad[i], strlen(bad[i])))
			fail_msg("'%s' should not be a valid name", bad[i]);
	/* Only len characters count: the name part of "NAME=VALUE". */
	assert_true(env_name_valid("AB=C D", 2));
	assert_false(env_name_valid("AB=C D", 3));
	assert_false(env_name_valid("AB", 0));
}

static void test_strv(void **state)
{
	(void)state;
	struct strv sv = STRV_INIT;
	char **v = strv_get(&sv);
	assert_non_null(v);
	assert_null(v[0]);

	char word[] = "one";
	strv_push(&sv, word);
	word[0] = 'X'; /* strv_push copies */
	strv_push_take(&sv, xstrdup("two"));
	for (int i = 0; i < 20; i++)
		strv_push_take(&sv, xasprintf("n%d", i));
	assert_int_equal(sv.n, 22);
	v = strv_get(&sv);
	assert_string_equal(v[0], "one");
	assert_string_equal(v[1], "two");
	assert_string_equal(v[21], "n19");
	assert_null(v[22]);

	struct strv copy = STRV_INIT;
	strv_push(&copy, "zero");
	strv_extend(&copy, &sv);
	assert_int_equal(copy.n, 23);
	assert_string_equal(copy.v[1], "one");
	assert_ptr_not_equal(copy.v[1], sv.v[0]);
	assert_null(copy.v[23]);

	strv_release(&sv);
	strv_release(&copy);
	assert_int_equal(sv.n, 0);
	assert_null(sv.v);
	assert_null(strv_get(&sv)[0]);
}

static void test_write_all(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_all(p[1], "hello", 5), 0);
	char buf[8] = {0};
	assert_int_equal(read(p[0], buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	close(p[0]);
	/* Writing to a closed pipe fails (SIGPIPE ignored here), and says so. */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(write_all(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	assert_int_equal(write_all(-1, "x", 1), -1);
}

static void expect_resolved(const char *in, const char *want)
{
	char *got = path_resolve(in);
	if (strcmp(got, want) != 0)
		fail_msg("path_resolve(\"%s\") = \"%s\", not \"%s\"", in, got, want);
	free(got);
}

static void test_path_resolve_and_within(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/isola-unit-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *top = realpath(tmpl, NULL);
	assert_non_null(top);
	char *real = xasprintf("%s/real", top), *link = xasprintf("%s/link", top);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink("real", link), 0);

	expect_resolved("/", "/");
	expect_resolved("/..", "/");
	char *in = xasprintf("%s/link/sub/../new/./x//", top), *want = xasprintf("%s/real/new/x", top);
	expect_resolved(in, want); /* through the symlink, then lexically past what is missing */
	free(in), free(want);
	in = xasprintf("%s/link/../real", top);
	expect_resolved(in, real); /* ".." of an existing prefix is the kernel's: the link's parent */
	free(in);
	in = xasprintf("%s/missing/../..", real);
	expect_resolved(in, top);
	free(in);

	assert_true(path_within("/a/b", "/a"));
	assert_true(path_within("/a", "/a/"));
	assert_true(path_within("/a/b", "/"));
	assert_false(path_within("/ab", "/a"));
	assert_false(path_within("/a", "/a/b"));

	assert_int_equal(unlink(link), 0);
	assert_int_equal(rmdir(real), 0);
	assert_int_equal(rmdir(top), 0);
	free(real), free(link), free(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_duration_accepts),
	    cmocka_unit_test(test_parse_duration_refuses),
	    cmocka_unit_test(test_parse_uint_bounds),
	    cmocka_unit_test(test_fmt_duration),
	    cmocka_unit_test(test_err_set_composes_message),
	    cmocka_unit_test(test_env_name_valid),
	    cmocka_unit_test(test_strv),
	    cmocka_unit_test(test_write_all),
	    cmocka_unit_test(test_path_resolve_and_within),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

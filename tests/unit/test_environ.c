/* SPDX-License-Identifier: MIT */
/* Unit tests for src/spawn/environ: checking, expanding and building a child's environment. */
#include "unit.h"

#include "spawn/environ.h"

static const char *const known[] = {"ISOLA_SANDBOX", "TMPDIR", "HOME", NULL};

static void accepts(const char *setting)
{
	struct isola_error e = {0};
	if (env_setting_check(setting, known, &e) != 0)
		fail_msg("env_setting_check(\"%s\") refused it: %s", setting, e.message);
}

/* Refused, with a message holding `what` and naming the setting or the culprit. */
static void refuses(const char *setting, const char *what, const char *named)
{
	struct isola_error e = {0};
	if (env_setting_check(setting, known, &e) != -1)
		fail_msg("env_setting_check(\"%s\") accepted it", setting);
	assert_contains(e.message, what);
	assert_contains(e.message, named);
}

static void test_setting_check_accepts(void **state)
{
	(void)state;
	setenv("ISOLA_UNIT_PRESENT", "yes", 1);
	accepts("A=1");
	accepts("A=");
	accepts("_a9=x y z");
	accepts("A=B=C");
	accepts("A=${ISOLA_SANDBOX}/data");
	accepts("A=${TMPDIR}:${HOME}");
	accepts("A=${ISOLA_UNIT_PRESENT}"); /* not a contract name, but in isola's environment */
	accepts("A=$$");
	accepts("A=$${NOT_A_REFERENCE_AT_ALL}"); /* $$ is a literal $: no reference follows */
	accepts("A=$HOME_IS_NOT_A_REFERENCE");   /* only ${...} refers */
	accepts("A=$");
	accepts("A=cost: 5$");
	accepts("A=}{");
}

static void test_setting_check_bad_names(void **state)
{
	(void)state;
	refuses("1A=x", "invalid environment variable name", "'1A'");
	refuses("=x", "invalid environment variable name", "''");
	refuses("A-B=x", "invalid environment variable name", "'A-B'");
	refuses("A B=x", "invalid environment variable name", "'A B'");
	refuses("NOEQUALS", "has no '='", "NOEQUALS");
	refuses("", "has no '='", "''");
}

static void test_setting_check_bad_references(void **state)
{
	(void)state;
	refuses("A=${", "unterminated '${'", "A=${");
	refuses("A=${HOME", "unterminated '${'", "A=${HOME");
	refuses("A=${HOME}${TMPDIR", "unterminated '${'", "A=${HOME}${TMPDIR");
	refuses("A=${}", "invalid variable reference", "${}");
	refuses("A=${1B}", "invalid variable reference", "${1B}");
	refuses("A=${B-C}", "invalid variable reference", "${B-C}");
	refuses("A=${B C}", "invalid variable reference", "${B C}");
	/* $$ does not hide a following reference from the check. */
	refuses("A=$$${", "unterminated '${'", "A=$$${");
}

static void test_setting_check_unknown_variable(void **state)
{
	(void)state;
	unsetenv("ISOLA_UNIT_SURELY_UNSET");
	refuses("A=${ISOLA_UNIT_SURELY_UNSET}", "which is not set", "${ISOLA_UNIT_SURELY_UNSET}");
	refuses("A=x${HOME}y${ISOLA_UNIT_SURELY_UNSET}", "which is not set",
	        "ISOLA_UNIT_SURELY_UNSET");
	/* A name known only as a prefix of a known name is not known. */
	unsetenv("ISOLA_SANDBO");
	refuses("A=${ISOLA_SANDBO}", "which is not set", "ISOLA_SANDBO");

	/* Without a known list, only isola's environment counts. */
	struct isola_error e = {0};
	unsetenv("ISOLA_SANDBOX");
	assert_int_equal(env_setting_check("A=${ISOLA_SANDBOX}", NULL, &e), -1);
	setenv("ISOLA_UNIT_PRESENT", "1", 1);
	assert_int_equal(env_setting_check("A=${ISOLA_UNIT_PRESENT}", NULL, &e), 0);
	unsetenv("ISOLA_UNIT_PRESENT");
	assert_int_equal(env_setting_check("A=${ISOLA_UNIT_PRESENT}", NULL, &e), -1);

	/* The contract names isola defines for every test. */
	static const char *const contract[] = {"ISOLA_TEST", "ISOLA_RUN_ID", NULL};
	assert_int_equal(env_setting_check("A=${ISOLA_TEST}-${ISOLA_RUN_ID}", contract, &e), 0);
}

static void test_name_check(void **state)
{
	(void)state;
	struct isola_error e = {0};
	assert_int_equal(env_name_check("PATH", &e), 0);
	assert_int_equal(env_name_check("_1", &e), 0);
	assert_int_equal(env_name_check("1A", &e), -1);
	assert_contains(e.message, "invalid environment variable name '1A'");
	assert_int_equal(env_name_check("", &e), -1);
	assert_int_equal(env_name_check("A=B", &e), -1);
	assert_contains(e.message, "'A=B'");
}

static const char *table_lookup(void *ctx, const char *name, size_t len)
{
	char *const *env = ctx;
	return env_lookup_in(env, name, len);
}

static void expands_to(const char *value, const char *want)
{
	static char *const vars[] = {"X=ex",
	                             "LONG="
	                             "0123456789012345678901234567890123456789"
	                             "0123456789012345678901234567890123456789",
	                             "EMPTY=", "XY=why", NULL};
	char *got = env_expand(value, table_lookup, (void *)vars);
	if (strcmp(got, want) != 0)
		fail_msg("env_expand(\"%s\") = \"%s\", expected \"%s\"", value, got, want);
	free(got);
}

static void test_expand(void **state)
{
	(void)state;
	expands_to("", "");
	expands_to("plain", "plain");
	expands_to("${X}", "ex");
	expands_to("a${X}b", "aexb");
	expands_to("${X}${XY}${X}", "exwhyex");
	expands_to("${XY}", "why"); /* not ${X} followed by "Y}" */
	expands_to("$$", "$");
	expands_to("$${X}", "${X}");
	expands_to("$$$$", "$$");
	expands_to("$", "$");
	expands_to("a$", "a$");
	expands_to("$X", "$X");
	expands_to("cost 5$ or 6$", "cost 5$ or 6$");
	expands_to("${UNKNOWN}", "");
	expands_to("[${UNKNOWN}]", "[]");
	expands_to("${EMPTY}x", "x");
	expands_to("${X", "${X"); /* unterminated: kept as written */
	/* Growth past the initial buffer. */
	expands_to("${LONG}${LONG}${LONG}",
	           "0123456789012345678901234567890123456789012345678901234567890123456789012345"
	           "6789"
	           "0123456789012345678901234567890123456789012345678901234567890123456789012345"
	           "6789"
	           "0123456789012345678901234567890123456789012345678901234567890123456789012345"
	           "6789");
}

static void test_lookup_in(void **state)
{
	(void)state;
	char *const env[] = {"AB=1", "A=2", "ABC=3", "NOVALUE", NULL};
	assert_string_equal(env_lookup_in(env, "A", 1), "2");
	assert_string_equal(env_lookup_in(env, "AB", 2), "1");
	assert_string_equal(env_lookup_in(env, "ABC", 3), "3");
	assert_string_equal(env_lookup_in(env, "ABX", 2), "1"); /* only len characters count */
	assert_null(env_lookup_in(env, "ABCD", 4));
	assert_null(env_lookup_in(env, "NOVALUE", 7));
	assert_null(env_lookup_in(env, "B", 1));
	assert_null(env_lookup_in(NULL, "A", 1));
}

static void assert_env(struct strv *got, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	char **v = strv_get(got);
	for (size_t i = 0; i < n || v[i]; i++) {
		if (!v[i] || !want[i] || strcmp(v[i], want[i]) != 0) {
			for (size_t k = 0; v[k]; k++)
				print_error("  got[%zu] = %s\n", k, v[k]);
			fail_msg("entry %zu: got \"%s\", expected \"%s\"", i, v[i] ? v[i] : "(end)",
			         i < n ? want[i] : "(end)");
		}
	}
}

static void test_build(void **state)
{
	(void)state;
	char *const base[] = {"PATH=/bin", "HOME=/root", "LANG=C", "AB=keep", "TERM=xterm", NULL};

	/* Nothing to change: the base, in order, copied. */
	struct strv out = STRV_INIT;
	env_build(base, NULL, NULL, &out);
	assert_env(&out, (const char *const[]){"PATH=/bin", "HOME=/root", "LANG=C", "AB=keep",
	                                       "TERM=xterm", NULL});
	assert_ptr_not_equal(out.v[0], base[0]);
	strv_release(&out);

	/* unset removes exactly the names given (not names they are a prefix of); set replaces. */
	struct strv unset = STRV_INIT, set = STRV_INIT;
	strv_push(&unset, "HOME");
	strv_push(&unset, "A");
	strv_push(&unset, "NOT_THERE");
	strv_push(&set, "LANG=en");
	strv_push(&set, "NEW=1");
	env_build(base, &unset, &set, &out);
	assert_env(&out, (const char *const[]){"PATH=/bin", "AB=keep", "TERM=xterm", "LANG=en",
	                                       "NEW=1", NULL});
	strv_release(&out);
	strv_release(&unset);
	strv_release(&set);

	/* The later setting of a name wins, once; "A=" does not override "AB=". */
	strv_push(&set, "X=1");
	strv_push(&set, "A=first");
	strv_push(&set, "X=2");
	strv_push(&set, "A=");
	strv_push(&set, "X=3");
	env_build(base, NULL, &set, &out);
	assert_env(&out, (const char *const[]){"PATH=/bin", "HOME=/root", "LANG=C", "AB=keep",
	                                       "TERM=xterm", "A=", "X=3", NULL});
	strv_release(&out);

	/* A name both unset and set ends up set. */
	strv_push(&unset, "X");
	strv_push(&unset, "PATH");
	env_build(base, &unset, &set, &out);
	assert_env(&out, (const char *const[]){"HOME=/root", "LANG=C", "AB=keep", "TERM=xterm",
	                                       "A=", "X=3", NULL});
	strv_release(&out);
	strv_release(&unset);
	strv_release(&set);

	/* No base at all. */
	strv_push(&set, "ONLY=1");
	env_build(NULL, NULL, &set, &out);
	assert_env(&out, (const char *const[]){"ONLY=1", NULL});
	strv_release(&out);
	strv_release(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_setting_check_accepts),
	    cmocka_unit_test(test_setting_check_bad_names),
	    cmocka_unit_test(test_setting_check_bad_references),
	    cmocka_unit_test(test_setting_check_unknown_variable),
	    cmocka_unit_test(test_name_check),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_lookup_in),
	    cmocka_unit_test(test_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

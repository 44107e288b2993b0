/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the TAP reader (src/protocol/tap.c) and for how what a test said of its insides
 * decides its outcome (src/protocol/protocol.c): plans first and last, missing and mismatched,
 * Bail out!, SKIP and TODO, 1..0, lines that are not TAP, escapes, indented subtests, long lines,
 * a last line without a newline, streams fed in any pieces, and the caps on what is kept.
 */
#include "unit.h"

#include "protocol/protocol.h"
#include "protocol/tap.h"

/* Parse s (fed in pieces of `piece` bytes, 0: whole) into subs; returns the verdict. */
static char *parse(const char *s, size_t piece, struct subresults *subs, struct tap *out)
{
	struct tap t;
	tap_init(&t, subs);
	size_t len = strlen(s);
	for (size_t off = 0; off < len;) {
		size_t n = piece && len - off > piece ? piece : len - off;
		tap_feed(&t, s + off, n);
		off += n;
	}
	tap_finish(&t);
	char *v = tap_verdict(&t);
	if (out) {
		out->planned = t.planned;
		out->skip_all = t.skip_all;
		out->skip_reason = t.skip_reason ? xstrdup(t.skip_reason) : NULL;
		out->ran = t.ran;
	}
	tap_release(&t);
	return v;
}

static void test_plan_first_and_last(void **state)
{
	(void)state;
	static const char *const streams[] = {
	    "TAP version 14\n1..3\nok 1 - a\nok 2 - b\nok 3 - c\n",
	    "TAP version 13\nok 1 - a\nok 2 - b\nok 3 - c\n1..3\n",
	    "ok\nok\nok\n1..3\n", /* no numbers: the harness counts */
	};
	for (size_t i = 0; i < ARRAY_SIZE(streams); i++) {
		for (size_t piece = 0; piece < 4; piece++) {
			struct subresults s = {0};
			char *v = parse(streams[i], piece, &s, NULL);
			assert_null(v);
			assert_int_equal(s.total, 3);
			assert_int_equal(s.n, 3);
			assert_int_equal(s.failed, 0);
			for (size_t k = 0; k < 3; k++)
				assert_int_equal(s.v[k].outcome, OUT_PASS);
			if (i < 2) {
				assert_string_equal(s.v[0].name, "a");
				assert_string_equal(s.v[2].name, "c");
			} else {
				assert_string_equal(s.v[1].name, "#2");
			}
			subresults_release(&s);
		}
	}
}

static void test_missing_plan_and_mismatch(void **state)
{
	(void)state;
	struct subresults s = {0};
	char *v = parse("ok 1 - a\nnot ok 2 - b\n", 0, &s, NULL);
	assert_string_equal(v, "no TAP plan");
	free(v);
	subresults_release(&s);

	v = parse("", 0, &s, NULL);
	assert_string_equal(v, "no TAP plan and no test points in its output");
	free(v);
	subresults_release(&s);

	v = parse("1..3\nok 1\nok 2\n", 0, &s, NULL);
	assert_string_equal(v, "planned 3 tests, ran 2");
	free(v);
	subresults_release(&s);

	v = parse("1..1\nok 1\nok 2\n", 0, &s, NULL);
	assert_string_equal(v, "planned 1 test, ran 2");
	free(v);
	subresults_release(&s);

	/* A plan in the middle, a second plan, numbers out of sequence. */
	v = parse("ok 1\n1..2\nok 2\n", 0, &s, NULL);
	assert_string_equal(v, "test points after the plan at the end");
	free(v);
	subresults_release(&s);
	v = parse("1..2\nok 1\nok 2\n1..2\n", 0, &s, NULL);
	assert_string_equal(v, "a second plan");
	free(v);
	subresults_release(&s);
	v = parse("1..2\nok 1\nok 3\n", 0, &s, NULL);
	assert_string_equal(v, "test 3 out of sequence (expected 2)");
	free(v);
	subresults_release(&s);
	/* Not plans: they are ignored. */
	v = parse("1..2 tests\n1..\nok 1\nok 2\n1..2\n", 0, &s, NULL);
	assert_null(v);
	subresults_release(&s);
}

static void test_bail_out(void **state)
{
	(void)state;
	struct subresults s = {0};
	char *v = parse("1..3\nok 1\nBail out!  no database  \nnot ok 2\n", 0, &s, NULL);
	assert_string_equal(v, "Bail out! no database  ");
	assert_int_equal(s.total, 1); /* nothing after it is read */
	assert_int_equal(s.failed, 0);
	free(v);
	subresults_release(&s);
	v = parse("Bail out!", 0, &s, NULL);
	assert_string_equal(v, "Bail out!");
	free(v);
	subresults_release(&s);
	/* Only at the start of a line. */
	v = parse("1..1\n# Bail out! not really\nok 1\n", 0, &s, NULL);
	assert_null(v);
	subresults_release(&s);
}

static void test_directives(void **state)
{
	(void)state;
	struct subresults s = {0};
	char *v = parse("1..7\n"
	                "ok 1 - net # SKIP no network\n"
	                "ok 2 # skipped: no disk\n"
	                "not ok 3 - later # TODO not written\n"
	                "ok 4 - bonus # todo\n"
	                "not ok 5 - real # SKIP but not ok\n"
	                "ok 6 - issue #42 fixed\n"
	                "not ok 7 - the \\# is not a directive \\# TODO\n",
	                0, &s, NULL);
	assert_null(v);
	assert_int_equal(s.total, 7);
	assert_int_equal(s.v[0].outcome, OUT_SKIP);
	assert_string_equal(s.v[0].name, "net");
	assert_string_equal(s.v[0].message, "no network");
	assert_int_equal(s.v[1].outcome, OUT_SKIP);
	assert_string_equal(s.v[1].name, "#2");
	assert_string_equal(s.v[1].message, "no disk");
	assert_int_equal(s.v[2].outcome, OUT_FAIL);
	assert_true(s.v[2].todo);
	assert_false(subresult_failed(&s.v[2]));
	assert_string_equal(s.v[2].message, "not written");
	assert_int_equal(s.v[3].outcome, OUT_PASS);
	assert_true(s.v[3].todo);
	assert_int_equal(s.v[4].outcome, OUT_FAIL); /* a SKIP that is not ok fails, as in prove */
	assert_true(subresult_failed(&s.v[4]));
	assert_string_equal(s.v[5].name, "issue #42 fixed"); /* '#' not after a blank */
	assert_string_equal(s.v[6].name, "the # is not a directive # TODO");
	assert_true(subresult_failed(&s.v[6]));
	assert_int_equal(s.failed, 2);
	free(v);
	subresults_release(&s);
	v = parse("1..1\nok 1 - back\\\\slash \\\\ # SKIP why\n", 0, &s, NULL);
	assert_string_equal(s.v[0].name, "back\\slash \\");
	assert_int_equal(s.v[0].outcome, OUT_SKIP);
	free(v);
	subresults_release(&s);
}

static void test_skip_all(void **state)
{
	(void)state;
	struct subresults s = {0};
	struct tap t;
	char *v = parse("TAP version 14\n1..0 # SKIP no GPU here\n", 0, &s, &t);
	assert_null(v);
	assert_true(t.skip_all);
	assert_string_equal(t.skip_reason, "no GPU here");
	assert_int_equal(s.total, 0);
	free(t.skip_reason);
	v = parse("1..0 # Skipped: not on Tuesdays\n", 0, &s, &t);
	assert_string_equal(t.skip_reason, "not on Tuesdays");
	free(t.skip_reason);
	v = parse("1..0\n", 0, &s, &t);
	assert_null(v);
	assert_true(t.skip_all);
	assert_null(t.skip_reason);
	/* 1..0 and test points: a mismatch */
	v = parse("1..0\nok 1\n", 0, &s, &t);
	assert_string_equal(v, "planned 0 tests, ran 1");
	free(v);
	free(t.skip_reason);
	subresults_release(&s);
}

static void test_garbage_and_subtests(void **state)
{
	(void)state;
	struct subresults s = {0};
	char *v = parse("hello\n"
	                "okay then\n"        /* not "ok" followed by a blank */
	                "nothing is ok 5\n"  /* not at the start */
	                "\x01\x02\xff garbage\n"
	                "# Subtest: inner\n"
	                "    1..2\n"
	                "    ok 1 - inner a\n"
	                "    not ok 2 - inner b\n"
	                "not ok 1 - inner\n"
	                "  ---\n"
	                "  message: \"inner b failed\"\n"
	                "  ...\n"
	                "# after the block\n"
	                "pragma +strict\n"
	                "ok 2 - outer\r\n"
	                "1..2\n",
	                0, &s, NULL);
	assert_null(v);
	assert_int_equal(s.total, 2);
	assert_string_equal(s.v[0].name, "inner");
	assert_int_equal(s.v[0].outcome, OUT_FAIL);
	assert_string_equal(s.v[0].message, "message: \"inner b failed\"\nafter the block");
	assert_string_equal(s.v[1].name, "outer"); /* the CR went */
	free(v);
	subresults_release(&s);
}

static void test_long_lines_and_no_newline(void **state)
{
	(void)state;
	size_t big = 3 * TAP_LINE_MAX;
	char *s = xmalloc(big + 64);
	strcpy(s, "1..2\nnot ok 1 - ");
	size_t off = strlen(s);
	memset(s + off, 'x', big);
	off += big;
	strcpy(s + off, " # TODO far away\nok 2 - last");
	for (size_t piece = 0; piece < 2; piece++) {
		struct subresults subs = {0};
		char *v = parse(s, piece ? 4093 : 0, &subs, NULL);
		assert_null(v);
		assert_int_equal(subs.total, 2);
		assert_int_equal(strlen(subs.v[0].name), SUB_NAME_MAX); /* cut, and the directive
		                                                         * past the cut is lost */
		assert_false(subs.v[0].todo);
		assert_int_equal(subs.failed, 1);
		assert_string_equal(subs.v[1].name, "last"); /* read without its newline */
		subresults_release(&subs);
	}
	free(s);
}

static void test_caps(void **state)
{
	(void)state;
	struct subresults s = {0};
	char name[32];
	size_t n = 10 * SUBS_MAX;
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(name, sizeof(name), "t%zu", i);
		subresults_add(&s, name, (size_t)len, i % 50 == 0 ? OUT_FAIL : OUT_PASS, false, NULL, 0,
		               -1);
	}
	assert_int_equal(s.total, n);
	assert_int_equal(s.failed, n / 50);
	assert_int_equal(s.n, SUBS_MAX + SUBS_FAILED_MAX - SUBS_MAX / 50);
	/* Past SUBS_MAX only failures were kept. */
	for (size_t i = SUBS_MAX; i < s.n; i++)
		assert_int_equal(s.v[i].outcome, OUT_FAIL);
	assert_int_equal(s.kept_failed, SUBS_FAILED_MAX);
	/* Messages are cut, appended ones too. */
	char *m = xmalloc(3 * SUB_MESSAGE_MAX);
	memset(m, 'm', 3 * SUB_MESSAGE_MAX);
	subresult_append(&s, 0, m, 3 * SUB_MESSAGE_MAX);
	subresult_append(&s, 0, m, 10);
	assert_int_equal(strlen(s.v[0].message), SUB_MESSAGE_MAX);
	free(m);
	subresults_release(&s);
}

/* protocol_read_tap over a log file, after an exit status. */
static struct attempt read_tap(const char *log, int exit_code)
{
	char path[] = "/tmp/isola-unit-tap.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, log, strlen(log)), (ssize_t)strlen(log));
	close(fd);
	struct attempt a = {.exited = true, .exit_code = exit_code,
	                    .outcome = exit_code ? OUT_FAIL : OUT_PASS};
	if (exit_code)
		a.reason = xasprintf("exit %d", exit_code);
	protocol_read_tap(&a, path);
	unlink(path);
	return a;
}

static void release(struct attempt *a)
{
	free(a->reason);
	subresults_release(&a->subs);
}

static void test_outcomes(void **state)
{
	(void)state;
	struct attempt a = read_tap("1..2\nok 1 - a\nok 2 - b\n", 0);
	assert_int_equal(a.outcome, OUT_PASS);
	assert_null(a.reason);
	release(&a);

	a = read_tap("1..2\nok 1 - a\nnot ok 2 - Math.Div\n", 1);
	assert_int_equal(a.outcome, OUT_FAIL);
	assert_string_equal(a.reason, "subtest 'Math.Div' failed");
	release(&a);

	/* A failure fails the test even if it exits 0. */
	a = read_tap("1..4\nnot ok 1 - a\nnot ok 2 - b\nnot ok 3 - c\nnot ok 4 - d\n", 0);
	assert_int_equal(a.outcome, OUT_FAIL);
	assert_string_equal(a.reason, "4 of 4 subtests failed: a, b, c, ...");
	release(&a);

	/* All ok, but the exit status says no, as prove has it. */
	a = read_tap("1..1\nok 1\n", 3);
	assert_int_equal(a.outcome, OUT_FAIL);
	assert_string_equal(a.reason, "exit 3");
	release(&a);

	a = read_tap("1..3\nok 1\nBail out! no db\n", 0);
	assert_int_equal(a.outcome, OUT_FAIL);
	assert_string_equal(a.reason, "Bail out! no db");
	release(&a);

	a = read_tap("1..3\nok 1\n", 2);
	assert_int_equal(a.outcome, OUT_FAIL);
	assert_string_equal(a.reason, "planned 3 tests, ran 1; exit 2");
	release(&a);

	a = read_tap("1..0 # SKIP no GPU\n", 0);
	assert_int_equal(a.outcome, OUT_SKIP);
	assert_string_equal(a.reason, "no GPU");
	release(&a);

	a = read_tap("1..2\nnot ok 1 # TODO later\nok 2\n", 0);
	assert_int_equal(a.outcome, OUT_PASS);
	assert_int_equal(a.subs.n, 2);
	release(&a);

	/* A crash keeps its outcome, with what could be read. */
	struct attempt c = {.signal = 6, .outcome = OUT_CRASH};
	char path[] = "/tmp/isola-unit-tap.XXXXXX";
	int fd = mkstemp(path);
	assert_int_equal(write(fd, "1..3\nnot ok 1 - x\n", 17), 17);
	close(fd);
	protocol_read_tap(&c, path);
	unlink(path);
	assert_int_equal(c.outcome, OUT_CRASH);
	assert_int_equal(c.subs.failed, 1);
	release(&c);

	/* No log: an ERROR that says so. */
	struct attempt none = {.exited = true, .outcome = OUT_PASS};
	protocol_read_tap(&none, "/nonexistent/isola.log");
	assert_int_equal(none.outcome, OUT_ERROR);
	assert_non_null(strstr(none.reason, "cannot read its output"));
	release(&none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_first_and_last),
	    cmocka_unit_test(test_missing_plan_and_mismatch),
	    cmocka_unit_test(test_bail_out),
	    cmocka_unit_test(test_directives),
	    cmocka_unit_test(test_skip_all),
	    cmocka_unit_test(test_garbage_and_subtests),
	    cmocka_unit_test(test_long_lines_and_no_newline),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

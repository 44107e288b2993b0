/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/report's building blocks: escaping for each format (report-text.c), the
 * line printer (status line, trimming, colour rules), report files that appear only when
 * committed (report-out.c), and log tails.
 */
#include "unit.h"

#include "report/lineprinter.h"
#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"

/* Every byte sequence the formats have trouble with, in one string. */
static const char nasty[] =
    "q\"uote' <a&b> \x1b[31m nul\0 ff\xff over\xc0\x80 lone\x80 cut\xe2\x82"
    " surr\xed\xa0\x80 ok:\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 nonchar\xef\xbf\xbe"
    " tab\t cr\r c1\xc2\x9b del\x7f # \\ end\n";

#define FFFD "\xef\xbf\xbd"

typedef void (*conv_fn)(struct tbuf *, const char *, size_t);

static char *convert(conv_fn f, const char *s, size_t n)
{
	struct tbuf b = {0};
	f(&b, s, n);
	char *r = strdup(tbuf_str(&b));
	tbuf_release(&b);
	return r;
}

static void test_utf8_decode(void **state)
{
	(void)state;
	uint32_t cp = 0;
	assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* Overlong, surrogate, beyond U+10FFFF, truncated, lone continuation: all refused. */
	assert_int_equal(utf8_decode((const unsigned char *)"\xc0\x80", 2, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe2\x82", 2, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
}

static void test_text_xml(void **state)
{
	(void)state;
	char *got = convert(text_xml, nasty, sizeof(nasty) - 1);
	/* Markup stays (the XML writer escapes it); what XML 1.0 forbids does not. */
	assert_string_equal(got, "q\"uote' <a&b> ^[[31m nul^@ ff" FFFD " over" FFFD FFFD
	                         " lone" FFFD " cut" FFFD FFFD " surr" FFFD FFFD FFFD
	                         " ok:\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 nonchar" FFFD
	                         " tab\t cr\r c1\xc2\x9b del\x7f # \\ end\n");
	free(got);
}

static void test_text_html(void **state)
{
	(void)state;
	char *got = convert(text_html, "<b a=\"x\">'&'</b>\x1b", 17);
	assert_string_equal(got, "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;^[");
	free(got);
}

static void test_text_utf8_keeps_nul(void **state)
{
	(void)state;
	struct tbuf b = {0};
	text_utf8(&b, "a\0b\xff", 4);
	assert_int_equal(b.len, 3 + 3);
	assert_memory_equal(b.p, "a\0b" FFFD, 6);
	tbuf_release(&b);
}

static void visible_line(struct tbuf *b, const char *s, size_t n)
{
	text_visible(b, s, n, false, false);
}

static void test_text_visible(void **state)
{
	(void)state;
	char *got = convert(visible_line, nasty, sizeof(nasty) - 1);
	assert_string_equal(got, "q\"uote' <a&b> ^[[31m nul^@ ff" FFFD " over" FFFD FFFD
	                         " lone" FFFD " cut" FFFD FFFD " surr" FFFD FFFD FFFD
	                         " ok:\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80 nonchar\xef\xbf\xbe"
	                         " tab^I cr^M c1M-^[ del^? # \\ end^J");
	free(got);
	/* Nothing a terminal would act on is left. */
	struct tbuf b = {0};
	text_visible(&b, nasty, sizeof(nasty) - 1, true, true);
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.p[i];
		if (c < 0x20 && c != '\t' && c != '\n')
			fail_msg("control byte 0x%02x at %zu", c, i);
	}
	tbuf_release(&b);
}

static void test_text_tap_and_yaml(void **state)
{
	(void)state;
	char *got = convert(text_tap_desc, "a # b \\ c\nd", 11);
	assert_string_equal(got, "a \\# b \\\\ c^Jd");
	free(got);
	got = convert(text_yaml_quoted, "say \"hi\"\n\tx\\y\x1b", 14);
	assert_string_equal(got, "say \\\"hi\\\"\\n\\tx\\\\y^[");
	free(got);
}

static void test_text_columns_and_fit(void **state)
{
	(void)state;
	const char *s = "a\xc3\xa9\xe2\x9c\x93z"; /* 4 columns, 7 bytes */
	assert_int_equal(text_columns(s, strlen(s)), 4);
	assert_int_equal(text_fit(s, strlen(s), 2), 3); /* "aé" */
	assert_int_equal(text_fit(s, strlen(s), 3), 6); /* never inside a character */
	assert_int_equal(text_fit(s, strlen(s), 10), 7);
	assert_int_equal(text_fit(s, strlen(s), 0), 0);
}

/* A line printer on a memory stream, made smart by hand (the real test is under a pty). */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void smart_printer(struct line_printer *lp, struct mem *m, unsigned width)
{
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	*lp = (struct line_printer){.out = m->f, .smart = true, .width = width};
}

static void test_lineprinter_status(void **state)
{
	(void)state;
	struct line_printer lp;
	struct mem m;
	smart_printer(&lp, &m, 20);
	lp_status(&lp, "[1/9] 1 running: a_very_long_test_name");
	fflush(m.f);
	/* Trimmed to one column short of the width, with "..." at the cut. */
	assert_string_equal(m.buf, "\r[1/9] 1 running:...\033[K");
	FILE *out = lp_begin(&lp);
	fputs("PASS t\n", out);
	lp_end(&lp);
	fflush(m.f);
	/* The status line is erased, the line printed, the status line drawn again below. */
	assert_string_equal(m.buf, "\r[1/9] 1 running:...\033[K\r\033[KPASS t\n"
	                           "\r[1/9] 1 running:...\033[K");
	lp_status_clear(&lp);
	fflush(m.f);
	assert_int_equal(m.len, strlen(m.buf));
	assert_string_equal(m.buf + m.len - 4, "\r\033[K");
	lp_release(&lp);
	fclose(m.f);
	free(m.buf);
}

static void test_lineprinter_plain(void **state)
{
	(void)state;
	struct line_printer lp;
	struct mem m;
	m.f = open_memstream(&m.buf, &m.len);
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	unsetenv("CLICOLOR_FORCE");
	lp_init(&lp, m.f); /* a memory stream is no terminal */
	assert_false(lp.smart);
	assert_false(lp.color);
	lp_status(&lp, "[1/2] 1 running");
	FILE *out = lp_begin(&lp);
	fprintf(out, "%sPASS%s t\n", lp_color(&lp, LP_GREEN), lp_color(&lp, LP_RESET));
	lp_end(&lp);
	fflush(m.f);
	/* No status line, no escape sequence, just the line. */
	assert_string_equal(m.buf, "PASS t\n");
	lp_release(&lp);
	fclose(m.f);
	free(m.buf);
}

static void test_lineprinter_colour_rules(void **state)
{
	(void)state;
	struct line_printer lp;
	FILE *f = tmpfile();
	assert_non_null(f);
	unsetenv("NO_COLOR");
	setenv("CLICOLOR_FORCE", "1", 1);
	lp_init(&lp, f);
	assert_true(lp.color); /* forced, even into a file */
	assert_false(lp.smart);
	assert_string_equal(lp_color(&lp, LP_RED), "\033[1;31m");
	setenv("CLICOLOR_FORCE", "0", 1);
	lp_init(&lp, f);
	assert_false(lp.color);
	setenv("CLICOLOR_FORCE", "1", 1);
	setenv("NO_COLOR", "1", 1);
	lp_init(&lp, f);
	assert_false(lp.color); /* NO_COLOR wins */
	assert_string_equal(lp_color(&lp, LP_RED), "");
	setenv("NO_COLOR", "", 1); /* set but empty: does not count */
	lp_init(&lp, f);
	assert_true(lp.color);
	unsetenv("NO_COLOR");
	unsetenv("CLICOLOR_FORCE");
	fclose(f);
}

static void test_report_out_commit(void **state)
{
	const char *dir = *state;
	struct isola_error e = {0};
	const char *target = P("%s/report.xml", dir);
	write_file(target, "old\n", 0644);

	struct report_out *o = report_out_open(target, "JUnit report", &e);
	assert_non_null(o);
	fputs("new\n", o->fp);
	fflush(o->fp);
	/* Until the run ends, the target is what it was. */
	assert_file_text(target, "old\n");
	assert_int_equal(report_out_commit(o, &e), 0);
	assert_file_text(target, "new\n");
	report_out_free(o);
	/* Nothing else is left in the directory: no temporary. */
	assert_int_equal(count_entries(dir), 1);
}

static void test_report_out_discard(void **state)
{
	const char *dir = *state;
	struct isola_error e = {0};
	struct report_out *o = report_out_open(P("%s/x.json", dir), "JSON report", &e);
	assert_non_null(o);
	fputs("half", o->fp);
	report_out_free(o); /* not committed: as if isola had died */
	assert_int_equal(count_entries(dir), 0);
}

static void test_report_out_refuses(void **state)
{
	const char *dir = *state;
	struct isola_error e = {0};
	assert_null(report_out_open(P("%s/missing/x.xml", dir), "JUnit report", &e));
	assert_string_equal(e.message, P("cannot create JUnit report '%s/missing/x.xml': No such "
	                                 "file or directory",
	                                 dir));
	assert_null(report_out_open(dir, "TAP report", &e));
	assert_contains(e.message, "Is a directory");
	assert_null(report_out_open("", "TAP report", &e));
	assert_contains(e.message, "empty file name");
	assert_int_equal(count_entries(dir), 0);
}

static void test_report_out_in_place(void **state)
{
	const char *dir = *state;
	struct isola_error e = {0};
	/* A symlink is written through, never replaced (think /dev/stdout). */
	write_file(P("%s/real", dir), "old old old\n", 0644);
	make_symlink("real", P("%s/link", dir));
	struct report_out *l = report_out_open(P("%s/link", dir), "TAP report", &e);
	assert_non_null(l);
	assert_true(l->in_place);
	fputs("new\n", l->fp);
	assert_int_equal(report_out_commit(l, &e), 0);
	report_out_free(l);
	assert_true(S_ISLNK(mode_of(P("%s/link", dir))));
	assert_file_text(P("%s/real", dir), "new\n");

	struct report_out *o = report_out_open("/dev/null", "HTML report", &e);
	assert_non_null(o);
	assert_true(o->in_place);
	fputs("x", o->fp);
	assert_int_equal(report_out_commit(o, &e), 0);
	report_out_free(o);
	/* /dev/null is still a device, not a file that replaced it. */
	assert_true(S_ISCHR(mode_of("/dev/null")));
	o = report_out_open("-", "TAP report", &e);
	assert_non_null(o);
	assert_true(o->is_stdout);
	assert_ptr_equal(o->fp, stdout);
	report_out_free(o);
}

static void test_log_tail(void **state)
{
	const char *dir = *state;
	const char *log = P("%s/t.log", dir);
	/* 'é' straddles the cut: the tail starts after it, not inside it. */
	write_file(log, "one\ntwo\xc3\xa9three\nfour\n", 0600);
	char *buf;
	size_t len;
	off_t size;
	assert_int_equal(report_log_tail(log, 12, &buf, &len, &size), 0);
	assert_int_equal(size, 20);
	assert_string_equal(buf, "three\nfour\n");
	assert_int_equal(report_tail_lines(buf, len, 1), 6);
	free(buf);
	assert_int_equal(report_log_tail(log, 1000, &buf, &len, &size), 0);
	assert_int_equal(report_tail_lines(buf, len, 2), strlen("one\n"));
	free(buf);
	assert_int_equal(report_log_tail(P("%s/none", dir), 10, &buf, &len, &size), -1);
	assert_string_equal(buf, "");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_decode),
	    cmocka_unit_test(test_text_xml),
	    cmocka_unit_test(test_text_html),
	    cmocka_unit_test(test_text_utf8_keeps_nul),
	    cmocka_unit_test(test_text_visible),
	    cmocka_unit_test(test_text_tap_and_yaml),
	    cmocka_unit_test(test_text_columns_and_fit),
	    cmocka_unit_test(test_lineprinter_status),
	    cmocka_unit_test(test_lineprinter_plain),
	    cmocka_unit_test(test_lineprinter_colour_rules),
	    SCRATCH_TEST(test_report_out_commit),
	    SCRATCH_TEST(test_report_out_discard),
	    SCRATCH_TEST(test_report_out_refuses),
	    SCRATCH_TEST(test_report_out_in_place),
	    SCRATCH_TEST(test_log_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

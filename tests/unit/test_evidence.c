/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/sched/evidence: a record written and read back is the same for any bytes
 * (newlines, tabs, '=' and spaces in arguments and variables); what the test left at the
 * evidence name is never followed; damaged, foreign and other-version records are refused.
 * Each test's scratch directory (*state) holds a run directory with one sandbox "1-abcdef".
 */
#include "unit.h"

#include "sched/evidence.h"

struct fixture {
	char *sb;  /* the sandbox's path */
	int sbfd;  /* its fd */
	int rdfd;  /* the run directory's */
};

static void setup_sandbox(const char *s, struct fixture *f)
{
	make_dir(P("%s/run", s), 0700);
	f->sb = realpath(P("%s/run", s), NULL);
	char *sb = xasprintf("%s/1-abcdef", f->sb);
	make_dir(sb, 0700);
	free(f->sb);
	f->sb = sb;
	f->rdfd = open(P("%s/run", s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	f->sbfd = open(sb, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rdfd >= 0 && f->sbfd >= 0);
	int lfd = openat(f->rdfd, "1-abcdef.log", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(lfd >= 0);
	assert_int_equal(write(lfd, "the log\n", 8), 8);
	close(lfd);
}

static void release_sandbox(struct fixture *f)
{
	close(f->sbfd);
	close(f->rdfd);
	free(f->sb);
}

/* An evidence with odd bytes everywhere they may be. */
static void fill(struct evidence *ev, const struct fixture *f)
{
	*ev = (struct evidence){.s = SETTINGS_INIT, .exit_code = 3};
	ev->isola_version = ISOLA_VERSION;
	ev->run_id = "abc-123";
	ev->test = "t\nwith newline";
	ev->sandbox = f->sb;
	ev->source_dir = "/src dir";
	ev->path = "/bin/true";
	strv_push(&ev->argv, "true");
	strv_push(&ev->argv, "two\nlines\n");
	strv_push(&ev->argv, "");
	strv_push(&ev->argv, "tab\there = x 12\n34");
	strv_push(&ev->env, "A=1");
	strv_push(&ev->env, "B=line\nnext 9\n");
	strv_push(&ev->env, "EMPTY=");
	ev->cwd = "/";
	ev->outcome = "FAIL";
	ev->reason = "exit 3";
	ev->s.timeout_ns = 1500000000;
	ev->s.stage = STAGE_COPY;
	ev->s.keep_home = 1;
	ev->s.isolate = 5;
	strv_push(&ev->s.env_set, "V=${ISOLA_SANDBOX}/x");
	struct isola_error e = {0};
	assert_int_equal(resources_add(&ev->s.res, RES_COPY, "/etc/hostname:data/h", "/", &e), 0);
	assert_int_equal(resources_add(&ev->s.res, RES_MKDIR, "build", "/", &e), 0);
	ev->shared_writes = "created 3 a\nmodified 4 b\n";
}

static void unfill(struct evidence *ev)
{
	strv_release(&ev->argv);
	strv_release(&ev->env);
	settings_release(&ev->s);
}

static void test_round_trip_any_bytes(void **state)
{
	struct fixture f;
	setup_sandbox(*state, &f);
	struct evidence w, r;
	fill(&w, &f);
	struct isola_error e = {0};
	assert_int_equal(evidence_write(f.sbfd, f.rdfd, "1-abcdef.log", &w, &e), 0);
	assert_int_equal(mode_of(P("%s/" EVIDENCE_DIR, f.sb)) & 07777, 0700);
	assert_int_equal(mode_of(P("%s/" EVIDENCE_DIR "/" EVIDENCE_FILE, f.sb)) & 07777, 0600);
	assert_file_text(P("%s/" EVIDENCE_DIR "/" EVIDENCE_LOG, f.sb), "the log\n");

	assert_int_equal(evidence_read(f.sb, &r, &e), 0);
	assert_string_equal(r.test, w.test);
	assert_string_equal(r.path, w.path);
	assert_string_equal(r.source_dir, w.source_dir);
	assert_int_equal(r.argv.n, w.argv.n);
	for (size_t i = 0; i < w.argv.n; i++)
		assert_string_equal(r.argv.v[i], w.argv.v[i]);
	assert_int_equal(r.env.n, w.env.n);
	for (size_t i = 0; i < w.env.n; i++)
		assert_string_equal(r.env.v[i], w.env.v[i]);
	assert_int_equal(r.exit_code, 3);
	assert_int_equal(r.s.timeout_ns, 1500000000);
	assert_int_equal(r.s.stage, STAGE_COPY);
	assert_int_equal(r.s.keep_home, 1);
	assert_int_equal(r.s.isolate, 5);
	assert_int_equal(r.s.env_set.n, 1);
	assert_string_equal(r.s.env_set.v[0], "V=${ISOLA_SANDBOX}/x");
	assert_int_equal(r.s.res.n, 2);
	assert_int_equal(r.s.res.v[0].kind, RES_COPY);
	assert_string_equal(r.s.res.v[0].src, "/etc/hostname");
	assert_string_equal(r.s.res.v[0].dest, "data/h");
	assert_int_equal(r.s.res.v[1].kind, RES_MKDIR);
	assert_string_equal(r.s.res.v[1].dest, "build");
	assert_string_equal(r.shared_writes, w.shared_writes);
	assert_true(r.log_linked);
	evidence_release(&r);
	unfill(&w);
	release_sandbox(&f);
}

/* What the test left under the evidence name is removed, never followed: a symlink out of the
 * sandbox (nothing is written through it), a directory holding a forged record (not read). */
static void test_planted_name_replaced(void **state)
{
	const char *s = *state;
	struct fixture f;
	setup_sandbox(s, &f);
	make_dir(P("%s/outside", s), 0700);
	make_symlink(P("%s/outside", s), P("%s/" EVIDENCE_DIR, f.sb));

	struct evidence w, r;
	fill(&w, &f);
	struct isola_error e = {0};
	assert_int_equal(evidence_write(f.sbfd, f.rdfd, "1-abcdef.log", &w, &e), 0);
	assert_int_equal(count_entries(P("%s/outside", s)), 0);
	assert_int_equal(mode_of(P("%s/" EVIDENCE_DIR, f.sb)) & S_IFMT, S_IFDIR);
	assert_int_equal(evidence_read(f.sb, &r, &e), 0);
	assert_string_equal(r.test, w.test);
	evidence_release(&r);

	/* A forged record in a directory of that name: gone, isola's read instead. */
	assert_int_equal(unlink(P("%s/" EVIDENCE_DIR "/" EVIDENCE_FILE, f.sb)), 0);
	int fd = open(P("%s/" EVIDENCE_DIR "/" EVIDENCE_FILE, f.sb), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "isola-evidence 1\n", 17), 17);
	close(fd);
	make_dir(P("%s/" EVIDENCE_DIR "/sub", f.sb), 0500);
	assert_int_equal(evidence_write(f.sbfd, f.rdfd, "1-abcdef.log", &w, &e), 0);
	assert_int_equal(evidence_read(f.sb, &r, &e), 0);
	assert_string_equal(r.test, w.test);
	assert_int_equal(access(P("%s/" EVIDENCE_DIR "/sub", f.sb), F_OK), -1);
	evidence_release(&r);
	unfill(&w);
	release_sandbox(&f);
}

/* Replace the record with text and expect a refusal that says why. */
static void expect_refused_n(const struct fixture *f, const char *text, size_t n, const char *why)
{
	int fd = open(P("%s/" EVIDENCE_DIR "/evidence", f->sb), O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	struct evidence r;
	struct isola_error e = {0};
	assert_int_equal(evidence_read(f->sb, &r, &e), -1);
	if (!strstr(e.message, why))
		fail_msg("'%s' does not say '%s'", e.message, why);
	evidence_release(&r);
}
#define expect_refused(f, text, why) expect_refused_n(f, text, strlen(text), why)

static void test_refusals(void **state)
{
	struct fixture f;
	setup_sandbox(*state, &f);
	struct evidence w, r;
	struct isola_error e = {0};
	assert_int_equal(evidence_read(f.sb, &r, &e), -1);
	assert_non_null(strstr(e.message, "it has no " EVIDENCE_DIR "/"));
	evidence_release(&r);

	fill(&w, &f);
	assert_int_equal(evidence_write(f.sbfd, f.rdfd, "1-abcdef.log", &w, &e), 0);
	size_t good_n; /* it holds NULs (a resource's SRC NUL DEST) */
	char *good = read_file_n(P("%s/" EVIDENCE_DIR "/evidence", f.sb), &good_n);
	char *dir = xasprintf("dir 14\n" EVIDENCE_DIR "\n");
	char *sb = xasprintf("sandbox %zu\n%s\n", strlen(f.sb), f.sb);
	char *base = xasprintf("%s%s", dir, sb);

	expect_refused(&f, "", "it is not isola's evidence");
	expect_refused(&f, "isola-evidence 2\n", "of another format version");
	char *other = xasprintf("isola-evidence 1\nisola-version 5\n9.9.9\n%s"
				"test 1\nt\npath 1\n/\nargv 1\nx\ncwd 1\n/\noutcome 4\nFAIL\n",
				base);
	expect_refused(&f, other, "was kept by isola 9.9.9");
	expect_refused(&f, "isola-evidence 1\nargv 99\nx\n", "its evidence is damaged");
	expect_refused(&f, "isola-evidence 1\nargv 1\nxy\n", "its evidence is damaged");
	expect_refused(&f, "isola-evidence 1\nBAD 1\nx\n", "its evidence is damaged");
	expect_refused(&f, "isola-evidence 1\nargv -1\nx\n", "its evidence is damaged");
	static const char up[] = "isola-evidence 1\ncopy 5\n/a\0..\n";
	expect_refused_n(&f, up, sizeof(up) - 1, "its evidence is damaged");
	/* Whole but lacking what a rerun needs. */
	expect_refused(&f, "isola-evidence 1\n", "its evidence is damaged");
	/* Sound, but of another sandbox. */
	char *moved = xasprintf("isola-evidence 1\nisola-version %zu\n%s\n%s"
				"sandbox 1\n/\ntest 1\nt\npath 1\n/\nargv 1\nx\ncwd 1\n/\noutcome 4\n"
				"FAIL\n",
				strlen(ISOLA_VERSION), ISOLA_VERSION, dir);
	expect_refused(&f, moved, "names another sandbox");
	/* And the record as written is accepted again. */
	int fd = open(P("%s/" EVIDENCE_DIR "/evidence", f.sb), O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, good, good_n), (ssize_t)good_n);
	close(fd);
	assert_int_equal(evidence_read(f.sb, &r, &e), 0);
	evidence_release(&r);
	free(moved);
	free(other);
	free(base);
	free(sb);
	free(dir);
	free(good);
	unfill(&w);
	release_sandbox(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SCRATCH_TEST(test_round_trip_any_bytes),
	    SCRATCH_TEST(test_planted_name_replaced),
	    SCRATCH_TEST(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

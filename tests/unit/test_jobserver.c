/* SPDX-License-Identifier: MIT */
/* Unit tests for src/sched/jobserver: reading MAKEFLAGS as make 3.x, 4.3 and 4.4 write it,
 * checking the inherited fds, and taking and giving back tokens without blocking. */
#include "unit.h"

#include "sched/jobserver.h"

static struct jobserver_auth parse_ok(const char *mf)
{
	struct jobserver_auth a;
	struct isola_error e = {0};
	if (jobserver_parse(mf, &a, &e) < 0)
		fail_msg("jobserver_parse(\"%s\") refused it: %s", mf, e.message);
	return a;
}

static void test_parse_styles(void **state)
{
	(void)state;
	struct jobserver_auth a = parse_ok(NULL);
	assert_int_equal(a.style, JS_NONE);
	a = parse_ok("");
	assert_int_equal(a.style, JS_NONE);
	a = parse_ok(" -j3 --no-print-directory");
	assert_int_equal(a.style, JS_NONE);
	assert_int_equal(a.make_jobs, 3);

	/* make 4.3 */
	a = parse_ok(" -j3 --jobserver-auth=3,4");
	assert_int_equal(a.style, JS_PIPE);
	assert_int_equal(a.rfd, 3);
	assert_int_equal(a.wfd, 4);
	assert_int_equal(a.make_jobs, 3);
	assert_string_equal(a.word, "--jobserver-auth=3,4");
	jobserver_auth_release(&a);

	/* make before 4.2, with single-letter flags in the first word */
	a = parse_ok("ks -j12 --jobserver-fds=5,6");
	assert_int_equal(a.style, JS_PIPE);
	assert_int_equal(a.rfd, 5);
	assert_int_equal(a.wfd, 6);
	assert_int_equal(a.make_jobs, 12);
	jobserver_auth_release(&a);

	/* make 4.4 */
	a = parse_ok("-j8 --jobserver-auth=fifo:/tmp/GMfifo1234");
	assert_int_equal(a.style, JS_FIFO);
	assert_string_equal(a.path, "/tmp/GMfifo1234");
	assert_int_equal(a.make_jobs, 8);
	jobserver_auth_release(&a);

	/* A blank in the path is escaped with a backslash. */
	a = parse_ok("-j2 --jobserver-auth=fifo:/tmp/a\\ b");
	assert_string_equal(a.path, "/tmp/a b");
	jobserver_auth_release(&a);
}

static void test_parse_last_counts(void **state)
{
	(void)state;
	/* make 4.4 appends -2,-2 for a recipe it does not know is recursive. */
	struct jobserver_auth a = parse_ok("-j2 --jobserver-auth=3,4 --jobserver-auth=-2,-2");
	assert_int_equal(a.style, JS_DISABLED);
	assert_string_equal(a.word, "--jobserver-auth=-2,-2");
	jobserver_auth_release(&a);
	a = parse_ok("-j2 --jobserver-auth=fifo:/x --jobserver-auth=7,8");
	assert_int_equal(a.style, JS_PIPE);
	assert_null(a.path);
	assert_int_equal(a.rfd, 7);
	jobserver_auth_release(&a);
	/* Variable assignments follow `--`: not options, whatever they look like. */
	a = parse_ok("-j2 --jobserver-auth=3,4 -- X=--jobserver-auth=fifo:/evil -j9");
	assert_int_equal(a.style, JS_PIPE);
	assert_int_equal(a.make_jobs, 2);
	jobserver_auth_release(&a);
	/* -j alone: no limit. */
	a = parse_ok("-j --jobserver-auth=3,4");
	assert_int_equal(a.make_jobs, 0);
	jobserver_auth_release(&a);
}

static void test_parse_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "--jobserver-auth=", "--jobserver-auth=3", "--jobserver-auth=3,", "--jobserver-auth=,4",
	    "--jobserver-auth=a,b", "--jobserver-auth=3,4x", "--jobserver-auth=fifo:",
	    "--jobserver-auth=99999999999,1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct jobserver_auth a;
		struct isola_error e = {0};
		if (jobserver_parse(bad[i], &a, &e) == 0)
			fail_msg("jobserver_parse(\"%s\") accepted it", bad[i]);
		assert_non_null(strstr(e.message, "MAKEFLAGS"));
		assert_int_equal(a.style, JS_NONE);
	}
}

static void test_child_makeflags(void **state)
{
	(void)state;
	char *v = jobserver_child_makeflags(" -j3 --jobserver-auth=3,4");
	assert_string_equal(v, " -j3 --jobserver-auth=3,4 --jobserver-auth=-2,-2");
	free(v);
	v = jobserver_child_makeflags("k -j3 --jobserver-auth=3,4 -- CC=gcc\\ -O2");
	assert_string_equal(v, "k -j3 --jobserver-auth=3,4 --jobserver-auth=-2,-2 -- CC=gcc\\ -O2");
	free(v);
	/* Nothing to change: no jobserver, a fifo (a make in a test joins it), disabled. */
	assert_null(jobserver_child_makeflags(NULL));
	assert_null(jobserver_child_makeflags(" -k"));
	assert_null(jobserver_child_makeflags("-j3 --jobserver-auth=fifo:/tmp/f"));
	assert_null(jobserver_child_makeflags("-j3 --jobserver-auth=3,4 --jobserver-auth=-2,-2"));
}

/* The fds make passes, checked before use: closed, not one pipe, or the real thing. */
static void test_probe_pipe(void **state)
{
	(void)state;
	int p[2], q[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	char mf[128];
	struct jobserver js;
	struct isola_error e = {0};

	snprintf(mf, sizeof(mf), "-j3 --jobserver-auth=%d,%d", p[0], q[1]);
	assert_int_equal(jobserver_probe(&js, mf, &e), -1);
	assert_non_null(strstr(e.message, "does not name the two ends of one pipe"));
	jobserver_close(&js);

	snprintf(mf, sizeof(mf), "-j3 --jobserver-auth=%d,%d", p[1], p[0]); /* swapped */
	assert_int_equal(jobserver_probe(&js, mf, &e), -1);
	jobserver_close(&js);

	int closed = dup(p[0]);
	close(closed);
	snprintf(mf, sizeof(mf), "-j3 --jobserver-auth=%d,%d", closed, p[1]);
	assert_int_equal(jobserver_probe(&js, mf, &e), -1);
	assert_non_null(strstr(e.message, "is not open here"));
	jobserver_close(&js);

	assert_int_equal(jobserver_probe(&js, "-j3 --jobserver-auth=-2,-2", &e), 0);
	assert_int_equal(js.auth.style, JS_DISABLED);
	jobserver_close(&js);

	/* The real thing: two tokens, taken without blocking, given back byte for byte. */
	assert_int_equal(write(p[1], "ab", 2), 2);
	snprintf(mf, sizeof(mf), "-j3 --jobserver-auth=%d,%d", p[0], p[1]);
	assert_int_equal(jobserver_probe(&js, mf, &e), 1);
	assert_int_equal(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(jobserver_open(&js, &e), 0);
	assert_int_equal(jobserver_acquire(&js, 5), 2);
	assert_int_equal(jobserver_acquire(&js, 1), 0); /* empty: EAGAIN, not a hang */
	assert_int_equal(js.held, 2);
	/* make's own read end stays blocking. */
	assert_int_equal(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(jobserver_release_to(&js, 1), 0);
	assert_int_equal(js.held, 1);
	assert_int_equal(jobserver_close(&js), 0);
	char buf[4] = {0};
	assert_int_equal(read(p[0], buf, sizeof(buf)), 2);
	assert_true((buf[0] == 'a' && buf[1] == 'b') || (buf[0] == 'b' && buf[1] == 'a'));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void test_fifo(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	char dir[96];
	snprintf(dir, sizeof(dir), "%s/isola-js-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	char path[128], mf[256];
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	int server = open(path, O_RDWR | O_NONBLOCK);
	assert_true(server >= 0);
	assert_int_equal(write(server, "+", 1), 1);

	struct jobserver js;
	struct isola_error e = {0};
	snprintf(mf, sizeof(mf), " -j2 --jobserver-auth=fifo:%s", path);
	assert_int_equal(jobserver_probe(&js, mf, &e), 1);
	assert_int_equal(jobserver_open(&js, &e), 0);
	assert_int_equal(jobserver_acquire(&js, 2), 1);
	assert_int_equal(jobserver_close(&js), 0);
	char c = 0;
	assert_int_equal(read(server, &c, 1), 1);
	assert_int_equal(c, '+');

	/* A regular file is not a jobserver. */
	char file[160];
	snprintf(file, sizeof(file), "%s/file", dir);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	snprintf(mf, sizeof(mf), "-j2 --jobserver-auth=fifo:%s", file);
	assert_int_equal(jobserver_probe(&js, mf, &e), 1);
	assert_int_equal(jobserver_open(&js, &e), -1);
	assert_non_null(strstr(e.message, "is not a fifo"));
	jobserver_close(&js);

	close(server);
	unlink(path);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_styles),
	    cmocka_unit_test(test_parse_last_counts),
	    cmocka_unit_test(test_parse_refuses),
	    cmocka_unit_test(test_child_makeflags),
	    cmocka_unit_test(test_probe_pipe),
	    cmocka_unit_test(test_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

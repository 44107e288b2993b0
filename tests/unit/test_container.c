/* SPDX-License-Identifier: MIT */
/* Unit tests for src/spawn/container.c: isola's init starts tests one after another, reports
 * each end with what it left, forwards signals, refuses bad requests without dying, and its
 * death is seen by the owner. Run in whichever kind this machine gives (container_best()). */
#include "unit.h"

#include <poll.h>
#include <signal.h>

#include "sandbox/rmtree.h"
#include "spawn/container.h"
#include "util/util.h"

extern char **environ;

struct fixture {
	struct container c;
	int ev[2];
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/isola-unit-init.XXXXXX");
	if (!mkdtemp(f->dir) || pipe2(f->ev, O_CLOEXEC) < 0)
		return -1;
	struct isola_error e = {0};
	if (container_open(&f->c, 3, f->ev[1], 0, &e) < 0) {
		fprintf(stderr, "container_open: %s\n", e.message);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	container_close(&f->c, true);
	close(f->ev[0]);
	close(f->ev[1]);
	struct isola_error e = {0};
	(void)rmtree_at(AT_FDCWD, f->dir, &e);
	free(f);
	return 0;
}

/* sh -c script in the fixture's directory; argv must have room for 4 pointers. */
static struct spawn_req sh_req(struct fixture *f, const char *script, char **argv)
{
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = NULL;
	return (struct spawn_req){.path = "/bin/sh",
	                          .argv = argv,
	                          .envp = environ,
	                          .cwd = f->dir,
	                          .stdin_fd = -1,
	                          .stdout_fd = -1,
	                          .stderr_fd = -1,
	                          .new_pgroup = true};
}

static int start_sh(struct fixture *f, const char *script, uint32_t gen, struct isola_error *e)
{
	char *argv[4];
	struct spawn_req r = sh_req(f, script, argv);
	return container_spawn(&f->c, &r, gen, NULL, e);
}

/* The next end message, within 10 s. */
static struct container_end wait_end(struct fixture *f)
{
	struct pollfd p = {.fd = f->ev[0], .events = POLLIN};
	struct container_end m = {0};
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(container_read_end(f->ev[0], &m), 1);
	return m;
}

static void test_status_and_leftovers(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	assert_int_equal(start_sh(f, "exit 3", 7, &e), 0);
	struct container_end m = wait_end(f);
	assert_int_equal(m.slot, 3);
	assert_int_equal(m.gen, 7);
	assert_true(WIFEXITED(m.status) && WEXITSTATUS(m.status) == 3);
	assert_int_equal(m.leaked, 0);

	/* Two processes left, one of them out of the group and the session. */
	assert_int_equal(start_sh(f, "sleep 100 & setsid sleep 101 & sleep 0.05; exit 0", 8, &e),
	                 0);
	m = wait_end(f);
	assert_int_equal(m.gen, 8);
	assert_true(WIFEXITED(m.status) && WEXITSTATUS(m.status) == 0);
	assert_int_equal(m.leaked, 2);
	assert_true(m.cpu_us >= 0);
	assert_true(m.maxrss_kb > 0);
}

/* A process of the test that had ended when its main process did (a zombie the main process
 * never waited for, handed to the init at its exit) was not left running: never counted. */
static void test_what_had_ended_is_no_leftover(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	for (uint32_t i = 1; i <= 5; i++) {
		assert_int_equal(start_sh(f, "true & exec sleep 0.1", i, &e), 0);
		struct container_end m = wait_end(f);
		assert_int_equal(m.gen, i);
		assert_int_equal(m.leaked, 0);
	}
}

static void test_one_test_at_a_time_many_in_a_row(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	assert_int_equal(start_sh(f, "sleep 100", 1, &e), 0);
	/* A second test while one runs is refused, and the first is unharmed. */
	assert_int_equal(start_sh(f, "true", 2, &e), -1);
	container_signal(&f->c, SIGKILL);
	struct container_end m = wait_end(f);
	assert_int_equal(m.gen, 1);
	for (uint32_t i = 10; i < 40; i++) {
		char script[32];
		snprintf(script, sizeof(script), "exit %u", i);
		assert_int_equal(start_sh(f, script, i, &e), 0);
		m = wait_end(f);
		assert_int_equal(m.gen, i);
		assert_int_equal(WEXITSTATUS(m.status), (int)i);
	}
}

static void test_signals_reach_the_group(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	/* The shell waits for its child: SIGTERM to the group ends both. */
	assert_int_equal(start_sh(f, "sleep 100; exit 0", 1, &e), 0);
	usleep(50 * 1000);
	container_signal(&f->c, SIGTERM);
	struct container_end m = wait_end(f);
	assert_true(WIFSIGNALED(m.status));
	assert_int_equal(WTERMSIG(m.status), SIGTERM);
	/* (The sleep may still be dying when the shell is reaped: it counts as left behind then,
	 * which is why isola charges nothing after it signalled a test itself.) */
	/* No test: a signal is dropped, not kept for the next one. */
	container_signal(&f->c, SIGTERM);
	assert_int_equal(start_sh(f, "sleep 0.1; exit 5", 2, &e), 0);
	m = wait_end(f);
	assert_true(WIFEXITED(m.status) && WEXITSTATUS(m.status) == 5);
}

static void test_start_failures_leave_it_usable(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	char *argv[] = {"nope", NULL};
	struct spawn_req r = {.path = "/nonexistent/nope",
	                      .argv = argv,
	                      .envp = environ,
	                      .stdin_fd = -1,
	                      .stdout_fd = -1,
	                      .stderr_fd = -1};
	assert_int_equal(container_spawn(&f->c, &r, 1, NULL, &e), -1);
	assert_contains(e.message, "cannot start '/nonexistent/nope'");
	assert_int_equal(e.code, ENOENT);

	r.path = "/bin/true";
	r.cwd = "/nonexistent/dir";
	assert_int_equal(container_spawn(&f->c, &r, 2, NULL, &e), -1);
	assert_contains(e.message, "cannot change to working directory '/nonexistent/dir'");

	/* More than the shared region holds: refused before anything is sent. */
	size_t n = 100;
	char **big = xcalloc(n + 2, sizeof(*big));
	char *chunk = xmalloc(100000);
	memset(chunk, 'x', 99999);
	chunk[99999] = '\0';
	big[0] = "true";
	for (size_t i = 1; i <= n; i++)
		big[i] = chunk;
	r.cwd = NULL;
	r.argv = big;
	assert_int_equal(container_spawn(&f->c, &r, 3, NULL, &e), -1);
	assert_int_equal(e.code, E2BIG);
	assert_contains(e.message, "take more than 8 MiB");
	free(chunk);
	free(big);

	assert_int_equal(start_sh(f, "exit 0", 4, &e), 0);
	struct container_end m = wait_end(f);
	assert_int_equal(m.gen, 4);
}

static void test_host_pid_and_own_pids(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	char *argv[4];
	struct spawn_req r = sh_req(f, "echo $$ >pid; sleep 100", argv);
	pid_t host = -1;
	assert_int_equal(container_spawn(&f->c, &r, 1, &host, &e), 0);
	assert_true(host > 0);
	/* The pid we got is the test's, here: it leads its own group. */
	for (int i = 0; i < 500 && getpgid(host) != host; i++)
		usleep(10 * 1000);
	assert_int_equal(getpgid(host), host);
	FILE *fp = NULL;
	for (int i = 0; i < 500 && !(fp = fopen(P("%s/pid", f->dir), "r")); i++)
		usleep(10 * 1000);
	assert_non_null(fp);
	int inner = 0;
	for (int i = 0; i < 500 && fscanf(fp, "%d", &inner) != 1; i++) {
		usleep(10 * 1000);
		rewind(fp);
	}
	fclose(fp);
	/* In a pid namespace the test is pid 2 (the init is 1); without one, its own pid. */
	assert_int_equal(inner, f->c.kind == OWN_PIDNS ? 2 : host);
	container_signal(&f->c, SIGKILL);
	(void)wait_end(f);
}

static void test_death_of_the_init_is_seen(void **state)
{
	struct fixture *f = *state;
	struct isola_error e = {0};
	/* Only the init holds the write end now: its death reads as EOF. */
	close(f->ev[1]);
	f->ev[1] = -1;
	char *argv[4];
	struct spawn_req r = sh_req(f, "sleep 100", argv);
	pid_t host = -1;
	assert_int_equal(container_spawn(&f->c, &r, 1, &host, &e), 0);
	assert_int_equal(kill(f->c.pid, SIGKILL), 0);
	struct pollfd p = {.fd = f->ev[0], .events = POLLIN};
	assert_int_equal(poll(&p, 1, 10000), 1);
	struct container_end m;
	assert_int_equal(container_read_end(f->ev[0], &m), 0);
	assert_int_equal(waitpid(f->c.pid, NULL, 0), f->c.pid);
	container_forget(&f->c);
	/* In a pid namespace its test went with it; without one it came loose (isola kills such
	 * processes at the end of a run): not ours to leave behind here. */
	(void)kill(-host, SIGKILL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_status_and_leftovers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_what_had_ended_is_no_leftover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_test_at_a_time_many_in_a_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signals_reach_the_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_failures_leave_it_usable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_pid_and_own_pids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_death_of_the_init_is_seen, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * libisola through its public header only, linked against the shared library: sandboxes,
 * staging, environment, blocking and start/wait runs, timeouts, output caps, leaks, keep
 * policies, errors, and cleanup at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <isola/isola.h>

static char scratch[4096];

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/libtest.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(scratch));
	char p[4200];
	snprintf(p, sizeof(p), "%s/methods", scratch);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/methods/greet.method", scratch);
	write_file(p, "hello\n", 0644);
	return 0;
}

static struct isola_sandbox_opts opts_in_scratch(enum isola_keep keep)
{
	struct isola_sandbox_opts o = {.root = scratch, .base_dir = scratch, .keep = keep};
	return o;
}

static void test_new_path_mode(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *a = isola_sandbox_new(&o, &err);
	isola_sandbox *b = isola_sandbox_new(&o, &err);
	assert_non_null(a);
	assert_non_null(b);
	const char *pa = isola_sandbox_path(a), *pb = isola_sandbox_path(b);
	assert_string_not_equal(pa, pb);
	assert_int_equal(strncmp(pa, scratch, strlen(scratch)), 0);
	struct stat st;
	assert_int_equal(stat(pa, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	char *keep_a = strdup(pa);
	assert_int_equal(isola_sandbox_free(a, &err), 0);
	assert_false(exists(keep_a));
	assert_int_equal(isola_sandbox_free(b, &err), 0);
	free(keep_a);
	assert_int_equal(isola_sandbox_free(NULL, &err), 0);
}

static void test_copy_run_isolated(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	assert_non_null(sb);
	assert_int_equal(isola_sandbox_copy(sb, "methods", NULL, &err), 0);
	assert_int_equal(isola_sandbox_mkdir(sb, "build/obj", &err), 0);
	assert_int_equal(isola_sandbox_setenv(sb, "APP_METHODS_DIR", "${ISOLA_SANDBOX}/methods", &err), 0);
	char *argv[] = {"sh", "-c",
			"cat \"$APP_METHODS_DIR/greet.method\"; echo changed >\"$APP_METHODS_DIR/greet.method\";"
			"[ -d build/obj ] && [ \"$PWD\" = \"$ISOLA_SANDBOX\" ] && [ \"$TMPDIR\" = \"$ISOLA_SANDBOX/tmp\" ]"
			" && [ \"$HOME\" = \"$ISOLA_SANDBOX/home\" ] && echo err-line >&2",
			NULL};
	struct isola_result res = {0};
	assert_int_equal(isola_run(sb, argv, NULL, &res, &err), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.out, "hello\n");
	assert_string_equal(res.err, "err-line\n");
	assert_false(res.out_truncated);
	assert_true(exists(res.out_path));
	isola_result_release(&res);
	assert_null(res.out);
	/* The original is untouched. */
	char p[4200];
	snprintf(p, sizeof(p), "%s/methods/greet.method", scratch);
	FILE *f = fopen(p, "r");
	char line[64] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "hello\n");
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
}

static void test_status_signal_notfound(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	struct isola_result res = {0};
	char *exit3[] = {"sh", "-c", "exit 3", NULL};
	assert_int_equal(isola_run(sb, exit3, NULL, &res, &err), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 3);
	isola_result_release(&res);
	char *segv[] = {"sh", "-c", "kill -SEGV $$", NULL};
	assert_int_equal(isola_run(sb, segv, NULL, &res, &err), 0);
	assert_false(res.exited);
	assert_int_equal(res.signal, SIGSEGV);
	isola_result_release(&res);
	char *nope[] = {"no-such-program-xyz", NULL};
	assert_int_equal(isola_run(sb, nope, NULL, &res, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.message, "no-such-program-xyz"));
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
}

static void test_timeout_and_cap(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	struct isola_result res = {0};
	struct isola_run_opts ro = {.timeout_ms = 200, .grace_ms = 100};
	char *deaf[] = {"sh", "-c", "trap '' TERM; sleep 30", NULL};
	assert_int_equal(isola_run(sb, deaf, &ro, &res, &err), 0);
	assert_true(res.timed_out);
	assert_int_equal(res.signal, SIGKILL);
	isola_result_release(&res);

	struct isola_run_opts cap = {.output_cap = 10};
	char *loud[] = {"sh", "-c", "echo 0123456789abcdef", NULL};
	assert_int_equal(isola_run(sb, loud, &cap, &res, &err), 0);
	assert_int_equal(res.out_len, 10);
	assert_string_equal(res.out, "0123456789");
	assert_true(res.out_truncated);
	struct stat st;
	assert_int_equal(stat(res.out_path, &st), 0);
	assert_int_equal(st.st_size, 17); /* the full output is in the file */
	isola_result_release(&res);
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
}

static void test_start_stop_server(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	char *server[] = {"sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready >ready; while :; do sleep 0.01; done", NULL};
	isola_proc *p = isola_start(sb, server, NULL, &err);
	assert_non_null(p);
	assert_true(isola_proc_pid(p) > 0);
	char ready[4200];
	snprintf(ready, sizeof(ready), "%s/ready", isola_sandbox_path(sb));
	for (int i = 0; i < 1000 && !exists(ready); i++)
		usleep(5000);
	assert_true(exists(ready));
	struct isola_result res = {0};
	assert_int_equal(isola_proc_stop(p, &res, &err), 0);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_false(res.timed_out);
	assert_non_null(strstr(res.out, "bye"));
	isola_result_release(&res);

	/* Leaks: a background process left behind is killed and counted. */
	char *leaky[] = {"sh", "-c", "sleep 300 & exit 0", NULL};
	assert_int_equal(isola_run(sb, leaky, NULL, &res, &err), 0);
	assert_int_equal(res.leaked, 1);
	isola_result_release(&res);

	/* Freeing a sandbox stops what still runs in it. */
	char *forever[] = {"sleep", "300", NULL};
	p = isola_start(sb, forever, NULL, &err);
	assert_non_null(p);
	pid_t pid = isola_proc_pid(p);
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
	assert_int_equal(kill(pid, 0), -1);
}

static void test_keep_policies(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_ON_FAILURE);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	char *path = strdup(isola_sandbox_path(sb));
	isola_sandbox_fail(sb);
	assert_int_equal(isola_sandbox_free(sb, &err), 1);
	assert_true(exists(path));
	free(path);

	sb = isola_sandbox_new(&o, &err);
	path = strdup(isola_sandbox_path(sb));
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
	assert_false(exists(path));
	free(path);

	struct isola_sandbox_opts always = opts_in_scratch(ISOLA_KEEP_ALWAYS);
	sb = isola_sandbox_new(&always, &err);
	path = strdup(isola_sandbox_path(sb));
	assert_int_equal(isola_sandbox_free(sb, &err), 1);
	assert_true(exists(path));
	free(path);
}

static void test_errors(void **state)
{
	(void)state;
	struct isola_error err = {0};
	struct isola_sandbox_opts bad = {.root = "/nonexistent/root/for/isola"};
	assert_null(isola_sandbox_new(&bad, &err));
	assert_int_equal(err.code, ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent/root/for/isola"));

	struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
	isola_sandbox *sb = isola_sandbox_new(&o, &err);
	assert_int_equal(isola_sandbox_copy(sb, "missing-dir", NULL, &err), -1);
	assert_int_equal(err.code, ENOENT);
	assert_int_equal(isola_sandbox_copy(sb, "methods", "../escape", &err), -1);
	assert_non_null(strstr(err.message, "../escape"));
	assert_int_equal(isola_sandbox_copy(sb, "methods", "/abs", &err), -1);
	assert_int_equal(isola_sandbox_setenv(sb, "1BAD", "x", &err), -1);
	assert_int_equal(isola_sandbox_setenv(sb, "OK", "${NOT_DEFINED_ANYWHERE_X}", &err), -1);
	assert_int_equal(isola_sandbox_unsetenv(sb, "A-B", &err), -1);
	assert_int_equal(isola_run(sb, NULL, NULL, &(struct isola_result){0}, &err), -1);
	assert_int_equal(isola_sandbox_free(sb, &err), 0);
}

/* A process that exits without freeing its sandboxes: atexit removes them. */
static void test_atexit_cleanup(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct isola_error err = {0};
		struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_ON_FAILURE);
		isola_sandbox *sb = isola_sandbox_new(&o, &err);
		const char *p = sb ? isola_sandbox_path(sb) : "";
		(void)!write(pfd[1], p, strlen(p) + 1);
		exit(0);
	}
	close(pfd[1]);
	char path[4200] = "";
	assert_true(read(pfd[0], path, sizeof(path)) > 1);
	close(pfd[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(exists(path));
}

/* A process killed with SIGKILL: its keeper kills the commands it started. */
static void test_sigkill_kills_commands(void **state)
{
	(void)state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct isola_error err = {0};
		struct isola_sandbox_opts o = opts_in_scratch(ISOLA_KEEP_NEVER);
		isola_sandbox *sb = isola_sandbox_new(&o, &err);
		char *argv[] = {"sleep", "308", NULL};
		isola_proc *p = sb ? isola_start(sb, argv, NULL, &err) : NULL;
		pid_t cmd = p ? isola_proc_pid(p) : -1;
		(void)!write(pfd[1], &cmd, sizeof(cmd));
		pause();
		_exit(0);
	}
	close(pfd[1]);
	pid_t cmd = -1;
	assert_int_equal(read(pfd[0], &cmd, sizeof(cmd)), (ssize_t)sizeof(cmd));
	close(pfd[0]);
	assert_true(cmd > 0);
	assert_int_equal(kill(cmd, 0), 0);
	kill(pid, SIGKILL);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* The command was reparented away from us; it must vanish all the same. */
	int alive = 1;
	for (int i = 0; i < 500 && alive; i++) {
		char path[64], pstate = 0;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)cmd);
		FILE *f = fopen(path, "r");
		alive = f && fscanf(f, "%*d %*s %c", &pstate) == 1 && pstate != 'Z';
		if (f)
			fclose(f);
		if (alive)
			usleep(10000);
	}
	assert_false(alive);
	/* The keeper holds the dead process's run directory lock until its work is done: wait for
	 * it to let go (it is then gone too), so that it is not mistaken for a leak of ours. */
	bool locked = true;
	for (int i = 0; i < 500 && locked; i++) {
		locked = false;
		DIR *d = opendir(scratch);
		assert_non_null(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			char lock[4400];
			snprintf(lock, sizeof(lock), "%s/%s/lock", scratch, de->d_name);
			if (strncmp(de->d_name, "isola-", 6) != 0 || !exists(lock))
				continue;
			int fd = open(lock, O_RDONLY | O_CLOEXEC);
			int dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && flock(dfd, LOCK_EX | LOCK_NB) < 0)
				locked = true;
			if (dfd >= 0)
				close(dfd);
			if (fd >= 0)
				close(fd);
		}
		closedir(d);
		if (locked)
			usleep(10000);
	}
	assert_false(locked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_path_mode),
		cmocka_unit_test(test_copy_run_isolated),
		cmocka_unit_test(test_status_signal_notfound),
		cmocka_unit_test(test_timeout_and_cap),
		cmocka_unit_test(test_start_stop_server),
		cmocka_unit_test(test_keep_policies),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_atexit_cleanup),
		cmocka_unit_test(test_sigkill_kills_commands),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

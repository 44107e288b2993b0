/* SPDX-License-Identifier: MIT */
/*
 * The c-fixture's test, written with libisola: `make run-exec` must build the app into a build
 * directory and compile every method, and it must be able to run any number of times at once.
 * So each run gets a sandbox with a private copy of methods/ and an empty build/, and the app
 * finds them through APP_METHODS_DIR and BUILD_DIR. No paths to invent, no shell, no cleanup
 * code: the sandbox goes away with isola_sandbox_free(), or at exit, or (if this process is
 * killed) at the next `isola clean`; a failed run keeps it as evidence.
 *
 * The fixture directory (methods/ and the Makefile with run-exec) is $APP_SOURCE_DIR, else the
 * current directory. Exit status: 0 passed, 1 failed, 99 the sandbox could not be set up.
 * hand-rolled.c.txt is the same test written the way the seed write-up does it.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <isola/isola.h>

static int failures;

static void expect(int ok, const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("test_methods: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

/* Does the file dir/name hold the line `line`? */
static int file_has_line(const char *dir, const char *name, const char *line)
{
	char *path;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return 0;
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return 0;
	char buf[512];
	int found = 0;
	while (!found && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		found = strcmp(buf, line) == 0;
	}
	fclose(f);
	return found;
}

static int is_file(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return 0;
	int ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return ok;
}

static int setup_failed(isola_sandbox *sb, const struct isola_error *err)
{
	fprintf(stderr, "test_methods: cannot set up the sandbox: %s\n", err->message);
	isola_sandbox_free(sb, NULL);
	return 99;
}

int main(void)
{
	char cwd[4096];
	const char *src = getenv("APP_SOURCE_DIR");
	if (!src || !*src)
		src = getcwd(cwd, sizeof(cwd));
	if (!src) {
		perror("test_methods: getcwd");
		return 99;
	}

	struct isola_error err = {0};
	struct isola_sandbox_opts opts = {.base_dir = src}; /* where "methods" is found */
	isola_sandbox *sb = isola_sandbox_new(&opts, &err);
	if (!sb)
		return setup_failed(NULL, &err);
	if (isola_sandbox_copy(sb, "methods", NULL, &err) < 0 ||
	    isola_sandbox_mkdir(sb, "build", &err) < 0 ||
	    isola_sandbox_setenv(sb, "APP_METHODS_DIR", "${ISOLA_SANDBOX}/methods", &err) < 0 ||
	    isola_sandbox_setenv(sb, "BUILD_DIR", "${ISOLA_SANDBOX}/build", &err) < 0 ||
	    /* The build is its own, not a sub-make of whatever make started this test. */
	    isola_sandbox_unsetenv(sb, "MAKEFLAGS", &err) < 0 ||
	    isola_sandbox_unsetenv(sb, "MAKELEVEL", &err) < 0)
		return setup_failed(sb, &err);

	char *argv[] = {"make", "-s", "-C", (char *)src, "run-exec", NULL};
	struct isola_run_opts ro = {.timeout_ms = 60 * 1000};
	struct isola_result res = {0};
	if (isola_run(sb, argv, &ro, &res, &err) < 0)
		return setup_failed(sb, &err);

	const char *dir = isola_sandbox_path(sb);
	if (res.timed_out)
		expect(0, "make run-exec timed out");
	else if (res.signal)
		expect(0, "make run-exec was killed by signal %d", res.signal);
	else
		expect(res.exit_code == 0, "make run-exec exited %d", res.exit_code);
	expect(strstr(res.out, "greet: Hello, world\n") != NULL, "no greeting in the output");
	expect(strstr(res.out, "compiled 3 methods\n") != NULL, "not all methods compiled");
	expect(file_has_line(dir, "methods/greet.method", "compiled=yes"),
	       "the private methods/greet.method was not rewritten");
	expect(is_file(dir, "build/obj/app.o") && is_file(dir, "build/app"),
	       "the build did not write into the private build directory");
	expect(!file_has_line(src, "methods/greet.method", "compiled=yes"),
	       "the shared %s/methods was modified", src);

	if (failures) {
		fprintf(stderr, "--- output of make run-exec\n%s%s", res.out, res.err);
		isola_sandbox_fail(sb); /* keep the sandbox as evidence */
	}
	isola_result_release(&res);
	char *path = strdup(dir);
	if (isola_sandbox_free(sb, &err) == 1)
		fprintf(stderr, "test_methods: kept sandbox %s\n", path);
	free(path);
	puts(failures ? "FAIL test_methods" : "PASS test_methods");
	return failures ? 1 : 0;
}

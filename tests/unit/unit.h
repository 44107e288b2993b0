/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the cmocka unit tests: a private scratch directory per test, file makers,
 * and a way to run checks in a forked child (for mount namespaces and dropped capabilities).
 *
 * cmocka's assertions longjmp back into its runner, so they must never be used in a forked
 * child: children use CHILD_CHECK, which reports on stderr and exits non-zero.
 */
#ifndef ISOLA_UNIT_H
#define ISOLA_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status a child uses to say "cannot test this here" (as isola's own SKIP). */
#define CHILD_SKIP 77

/*
 * A path built from a format, in one of a ring of static buffers: good for the next few dozen
 * calls only. Anything kept longer (or handed to a child) should be copied.
 */
__attribute__((format(printf, 1, 2))) static inline const char *P(const char *fmt, ...)
{
	static char ring[64][4096];
	static unsigned next;
	char *buf = ring[next++ % 64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ring[0]))
		fail_msg("path too long: %s", buf);
	return buf;
}

#define assert_contains(haystack, needle)                                                          \
	do {                                                                                       \
		const char *h_ = (haystack), *n_ = (needle);                                       \
		if (!h_ || !strstr(h_, n_))                                                        \
			fail_msg("expected \"%s\" in \"%s\"", n_, h_ ? h_ : "(null)");             \
	} while (0)

#define assert_not_contains(haystack, needle)                                                      \
	do {                                                                                       \
		const char *h_ = (haystack), *n_ = (needle);                                       \
		if (h_ && strstr(h_, n_))                                                          \
			fail_msg("did not expect \"%s\" in \"%s\"", n_, h_);                       \
	} while (0)

#define assert_exists(path)                                                                        \
	do {                                                                                       \
		struct stat st_;                                                                   \
		if (lstat((path), &st_) < 0)                                                       \
			fail_msg("expected '%s' to exist: %s", (path), strerror(errno));           \
	} while (0)

#define assert_missing(path)                                                                       \
	do {                                                                                       \
		struct stat st_;                                                                   \
		if (lstat((path), &st_) == 0 || errno != ENOENT)                                   \
			fail_msg("expected '%s' not to exist", (path));                            \
	} while (0)

/* Create (or replace) a file holding len bytes of data, with exactly this mode. */
static inline void write_file_n(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("cannot create '%s': %s", path, strerror(errno));
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			fail_msg("cannot write '%s': %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		fail_msg("cannot finish '%s': %s", path, strerror(errno));
}

static inline void write_file(const char *path, const char *text, mode_t mode)
{
	write_file_n(path, text, strlen(text), mode);
}

/* The whole content of a file, NUL-terminated (caller frees); NULL if it cannot be read. */
static inline char *read_file_n(const char *path, size_t *len_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

static inline char *read_text(const char *path)
{
	return read_file_n(path, NULL);
}

#define assert_file_text(path, text)                                                               \
	do {                                                                                       \
		char *got_ = read_text(path);                                                      \
		if (!got_)                                                                         \
			fail_msg("cannot read '%s': %s", (path), strerror(errno));                 \
		if (strcmp(got_, (text)) != 0)                                                     \
			fail_msg("'%s' holds \"%s\", expected \"%s\"", (path), got_, (text));      \
		free(got_);                                                                        \
	} while (0)

static inline void make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, 0700) < 0 || chmod(path, mode) < 0)
		fail_msg("cannot create directory '%s': %s", path, strerror(errno));
}

static inline void make_symlink(const char *target, const char *path)
{
	if (symlink(target, path) < 0)
		fail_msg("cannot create symlink '%s': %s", path, strerror(errno));
}

static inline mode_t mode_of(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		fail_msg("cannot stat '%s': %s", path, strerror(errno));
	return st.st_mode;
}

/* Number of entries in a directory, "." and ".." excluded; -1 if it cannot be read. */
static inline int count_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Remove a tree for cleanup, independently of the rmtree under test; fixes modes on the way. */
static inline void scrub_at(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	(void)fchmodat(dfd, name, 0700, 0);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					scrub_at(dirfd(d), de->d_name);
			closedir(d);
		} else {
			close(fd);
		}
	}
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

static inline void scrub(const char *path)
{
	scrub_at(AT_FDCWD, path);
}

/* Per-test scratch directory under $TMPDIR (private under isola): *state is its path. */
static inline int scratch_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *tmpl = malloc(4096);
	snprintf(tmpl, 4096, "%s/unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		free(tmpl);
		return -1;
	}
	/* Resolve symlinks (e.g. /tmp -> /private/tmp) so that path comparisons hold. */
	char *real = realpath(tmpl, NULL);
	free(tmpl);
	if (!real)
		return -1;
	*state = real;
	return 0;
}

static inline int scratch_teardown(void **state)
{
	if (*state) {
		scrub(*state);
		free(*state);
	}
	return 0;
}

#define SCRATCH_TEST(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

/* Report a failed check in a forked child and exit: never longjmp into cmocka from there. */
#define CHILD_CHECK(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dprintf(2, "%s:%d: in child: check failed: %s (errno: %s)\n", __FILE__,    \
			        __LINE__, #cond, strerror(errno));                                 \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

/* Run fn(arg) in a forked child; returns its exit status (128+N if killed by signal N). */
static inline int run_in_child(void (*fn)(void *), void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define assert_child_ok(fn, arg)                                                                   \
	do {                                                                                       \
		int rc_ = run_in_child((fn), (arg));                                               \
		if (rc_ == CHILD_SKIP)                                                             \
			skip();                                                                    \
		if (rc_ != 0)                                                                      \
			fail_msg("child check %s failed (status %d)", #fn, rc_);                   \
	} while (0)

/*
 * Clear the effective capability set, so that this (root) process is held to file permissions
 * like any user: tests of "unreadable"/"unwritable" are meaningless under CAP_DAC_OVERRIDE.
 * Only for forked children. Harmless for a process that has no capabilities.
 */
static inline int drop_effective_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective = d[1].effective = 0;
	return (int)syscall(SYS_capset, &h, d);
}

#endif

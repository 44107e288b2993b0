/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/sandbox/rmtree: removal that a hostile tree cannot steer outside itself.
 * Each test works in its own scratch directory (*state); "outside" targets live beside the tree.
 */
#include "unit.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "sandbox/rmtree.h"

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	return fd;
}

/* rmtree_at(dir, name) with dir opened from a path. */
static int rm_in(const char *dir, const char *name, struct isola_error *e)
{
	int fd = open_dir(dir);
	int r = rmtree_at(fd, name, e);
	close(fd);
	return r;
}

static void test_removes_plain_file(void **state)
{
	const char *s = *state;
	write_file(P("%s/f", s), "data", 0644);
	write_file(P("%s/keep", s), "data", 0644);
	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "f", &e), 0);
	assert_missing(P("%s/f", s));
	assert_exists(P("%s/keep", s));
	assert_int_equal(e.code, 0);
	assert_string_equal(e.message, "");
}

static void test_missing_is_success(void **state)
{
	const char *s = *state;
	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "nothing-here", &e), 0);
	assert_string_equal(e.message, "");
	/* AT_FDCWD and an absolute name work too. */
	assert_int_equal(rmtree_at(AT_FDCWD, P("%s/nothing/deeper", s), &e), 0);
	assert_int_equal(count_entries(s), 0);
}

static void test_removes_tree(void **state)
{
	const char *s = *state;
	make_dir(P("%s/t", s), 0755);
	make_dir(P("%s/t/a", s), 0755);
	make_dir(P("%s/t/a/b", s), 0700);
	make_dir(P("%s/t/empty", s), 0755);
	write_file(P("%s/t/f", s), "x", 0644);
	write_file(P("%s/t/a/b/g", s), "y", 0600);
	write_file(P("%s/t/a/ro", s), "z", 0400);
	make_symlink("a/b/g", P("%s/t/link", s));
	make_symlink("/nonexistent/dangling", P("%s/t/dangling", s));
	assert_int_equal(mkfifo(P("%s/t/a/fifo", s), 0600), 0);

	struct isola_error e = {0};
	assert_int_equal(rmtree_at(AT_FDCWD, P("%s/t", s), &e), 0);
	assert_missing(P("%s/t", s));
	assert_int_equal(count_entries(s), 0);
}

static void test_symlink_to_outside_dir_not_followed(void **state)
{
	const char *s = *state;
	make_dir(P("%s/outside", s), 0755);
	make_dir(P("%s/outside/sub", s), 0755);
	write_file(P("%s/outside/canary", s), "alive", 0644);
	write_file(P("%s/outside/sub/canary2", s), "alive too", 0600);

	make_dir(P("%s/tree", s), 0755);
	make_dir(P("%s/tree/d", s), 0755);
	make_symlink(P("%s/outside", s), P("%s/tree/abs-link", s));
	make_symlink("../../outside", P("%s/tree/d/rel-link", s));
	make_symlink(P("%s/outside/sub", s), P("%s/tree/d/sub-link", s));

	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "tree", &e), 0);
	assert_missing(P("%s/tree", s));
	assert_file_text(P("%s/outside/canary", s), "alive");
	assert_file_text(P("%s/outside/sub/canary2", s), "alive too");
	assert_int_equal(mode_of(P("%s/outside/sub/canary2", s)) & 07777, 0600);
	assert_int_equal(mode_of(P("%s/outside", s)) & 07777, 0755);
	assert_int_equal(count_entries(P("%s/outside", s)), 2);
}

static void test_symlink_to_outside_file_not_followed(void **state)
{
	const char *s = *state;
	write_file(P("%s/precious", s), "do not touch", 0444);
	make_dir(P("%s/tree", s), 0755);
	make_symlink(P("%s/precious", s), P("%s/tree/link", s));
	make_symlink("../precious", P("%s/tree/rel", s));

	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "tree", &e), 0);
	assert_missing(P("%s/tree", s));
	assert_file_text(P("%s/precious", s), "do not touch");
	assert_int_equal(mode_of(P("%s/precious", s)) & 07777, 0444);
}

static void test_top_symlink_removed_not_followed(void **state)
{
	const char *s = *state;
	make_dir(P("%s/target", s), 0755);
	write_file(P("%s/target/canary", s), "alive", 0644);
	make_symlink("target", P("%s/link", s));

	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "link", &e), 0);
	assert_missing(P("%s/link", s));
	assert_file_text(P("%s/target/canary", s), "alive");
}

/* Run in a child without capabilities: as root the modes would not stop anything. */
static void locked_dirs_child(void *arg)
{
	const char *s = arg;
	CHILD_CHECK(drop_effective_caps() == 0);
	/* Without caps, a 000 directory really is closed to us: the check has teeth. */
	CHILD_CHECK(open(P("%s/tree/closed", s), O_RDONLY | O_DIRECTORY) < 0 && errno == EACCES);
	CHILD_CHECK(unlink(P("%s/tree/readonly/f", s)) < 0 && errno == EACCES);

	struct isola_error e = {0};
	int r = rmtree_at(AT_FDCWD, P("%s/tree", s), &e);
	if (r != 0)
		dprintf(2, "rmtree_at: %s\n", e.message);
	CHILD_CHECK(r == 0);
	CHILD_CHECK(access(P("%s/tree", s), F_OK) < 0 && errno == ENOENT);
}

static void test_unreadable_and_unwritable_dirs(void **state)
{
	const char *s = *state;
	make_dir(P("%s/tree", s), 0755);
	make_dir(P("%s/tree/closed", s), 0755);
	make_dir(P("%s/tree/closed/inner", s), 0755);
	write_file(P("%s/tree/closed/inner/f", s), "x", 0644);
	write_file(P("%s/tree/closed/g", s), "x", 0000);
	make_dir(P("%s/tree/readonly", s), 0755);
	write_file(P("%s/tree/readonly/f", s), "x", 0644);
	make_dir(P("%s/tree/readonly/sub", s), 0755);
	write_file(P("%s/tree/readonly/sub/f", s), "x", 0644);
	make_dir(P("%s/tree/writeonly", s), 0755);
	write_file(P("%s/tree/writeonly/f", s), "x", 0644);
	/* Innermost first, so that the setup itself can still reach everything. */
	assert_int_equal(chmod(P("%s/tree/closed/inner", s), 0000), 0);
	assert_int_equal(chmod(P("%s/tree/closed", s), 0000), 0);
	assert_int_equal(chmod(P("%s/tree/readonly/sub", s), 0500), 0);
	assert_int_equal(chmod(P("%s/tree/readonly", s), 0500), 0);
	assert_int_equal(chmod(P("%s/tree/writeonly", s), 0300), 0);

	assert_child_ok(locked_dirs_child, (void *)s);
	assert_missing(P("%s/tree", s));
}

static void test_deep_tree(void **state)
{
	const char *s = *state;
	enum { DEPTH = 200 };
	make_dir(P("%s/deep", s), 0755);
	int fd = open_dir(P("%s/deep", s));
	for (int i = 0; i < DEPTH; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		if (i % 50 == 0) {
			int f = openat(fd, "file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			assert_true(f >= 0);
			close(f);
		}
		close(fd);
		fd = next;
	}
	int f = openat(fd, "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	close(f);
	close(fd);

	struct isola_error e = {0};
	assert_int_equal(rm_in(s, "deep", &e), 0);
	assert_missing(P("%s/deep", s));
}

/* In a child with few fds: a deep tree must not need one or two fds per level. */
static void few_fds_child(void *arg)
{
	const char *s = arg;
	struct rlimit rl = {.rlim_cur = 128, .rlim_max = 128};
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	struct isola_error e = {0};
	int r = rmtree_at(AT_FDCWD, P("%s/deep", s), &e);
	if (r != 0)
		dprintf(2, "rmtree_at: %.200s... (code %d)\n", e.message, e.code);
	CHILD_CHECK(r == 0);
	CHILD_CHECK(access(P("%s/deep", s), F_OK) < 0 && errno == ENOENT);
}

static void test_deep_tree_with_few_fds(void **state)
{
	const char *s = *state;
	/* 300 levels under a 128-fd limit: a hostile test can nest deeper than isola's fd limit
	 * (commonly 1024), and its sandbox must still go. */
	make_dir(P("%s/deep", s), 0755);
	int fd = open_dir(P("%s/deep", s));
	for (int i = 0; i < 300; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	assert_child_ok(few_fds_child, (void *)s);
}

static void test_error_names_path(void **state)
{
	const char *s = *state;
	/* A "directory" fd that is a file: every removal in it fails, and says where. */
	write_file(P("%s/plain", s), "x", 0644);
	int fd = open(P("%s/plain", s), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct isola_error e = {0};
	assert_int_equal(rmtree_at(fd, "entry", &e), -1);
	close(fd);
	assert_int_equal(e.code, ENOTDIR);
	assert_string_equal(e.path, "entry");
	assert_string_equal(e.message, P("cannot remove 'entry': %s", strerror(ENOTDIR)));
	/* A NULL error struct is fine: the return value still tells. */
	fd = open(P("%s/plain", s), O_RDONLY | O_CLOEXEC);
	assert_int_equal(rmtree_at(fd, "entry", NULL), -1);
	close(fd);
}

static void foreign_dir_child(void *arg)
{
	const char *s = arg;
	CHILD_CHECK(drop_effective_caps() == 0);
	struct isola_error e = {0};
	int r = rmtree_at(AT_FDCWD, P("%s/tree", s), &e);
	CHILD_CHECK(r == -1);
	CHILD_CHECK(e.code == EACCES);
	CHILD_CHECK(strcmp(e.path, P("%s/tree/foreign/f", s)) == 0);
	CHILD_CHECK(strstr(e.message, P("cannot remove '%s/tree/foreign/f'", s)) != NULL);
	CHILD_CHECK(strstr(e.message, strerror(EACCES)) != NULL);
	/* Removal went on past the error: everything else is gone. */
	CHILD_CHECK(access(P("%s/tree/a-before", s), F_OK) < 0);
	CHILD_CHECK(access(P("%s/tree/z-after", s), F_OK) < 0);
	CHILD_CHECK(access(P("%s/tree/z-dir", s), F_OK) < 0);
	CHILD_CHECK(access(P("%s/tree/foreign/f", s), F_OK) == 0);
}

static void test_error_deep_in_tree_names_path_and_goes_on(void **state)
{
	const char *s = *state;
	if (getuid() != 0)
		skip(); /* making a directory someone else's needs root */
	make_dir(P("%s/tree", s), 0755);
	write_file(P("%s/tree/a-before", s), "x", 0644);
	make_dir(P("%s/tree/foreign", s), 0755);
	write_file(P("%s/tree/foreign/f", s), "x", 0644);
	write_file(P("%s/tree/z-after", s), "x", 0644);
	make_dir(P("%s/tree/z-dir", s), 0755);
	write_file(P("%s/tree/z-dir/f", s), "x", 0644);
	/* Someone else's read-only directory: without caps we can neither chmod nor empty it. */
	assert_int_equal(chown(P("%s/tree/foreign", s), 65534, 65534), 0);
	assert_int_equal(chmod(P("%s/tree/foreign", s), 0555), 0);
	assert_child_ok(foreign_dir_child, (void *)s);
	assert_exists(P("%s/tree/foreign/f", s));
}

static void closed_top_child(void *arg)
{
	const char *s = arg;
	CHILD_CHECK(drop_effective_caps() == 0);
	int fd = open(s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	struct isola_error e = {0};
	int r = rmtree_at(fd, "foreign-top", &e);
	close(fd);
	if (r != -1 || strcmp(e.path, "foreign-top") != 0)
		dprintf(2, "rmtree_at returned %d: path '%s', message '%s'\n", r, e.path,
		        e.message);
	CHILD_CHECK(r == -1);
	CHILD_CHECK(e.code == EACCES);
	CHILD_CHECK(strcmp(e.path, "foreign-top") == 0);
	CHILD_CHECK(strncmp(e.message, "cannot remove 'foreign-top': ", 29) == 0);
}

static void test_error_at_top_names_path(void **state)
{
	const char *s = *state;
	if (getuid() != 0)
		skip(); /* making a directory someone else's needs root */
	/* The top itself cannot be opened: the message names it once, as given. */
	make_dir(P("%s/foreign-top", s), 0755);
	write_file(P("%s/foreign-top/f", s), "x", 0644);
	assert_int_equal(chown(P("%s/foreign-top", s), 65534, 65534), 0);
	assert_int_equal(chmod(P("%s/foreign-top", s), 0), 0);
	assert_child_ok(closed_top_child, (void *)s);
	assert_exists(P("%s/foreign-top/f", s));
}

/* In a private mount namespace: mount something inside the tree, expect rmtree to leave it. */
struct mount_case {
	const char *scratch;
	bool bind; /* bind-mount a directory of the same filesystem instead of a tmpfs */
};

static void mount_point_child(void *arg)
{
	const struct mount_case *mc = arg;
	const char *s = mc->scratch;
	if (unshare(CLONE_NEWNS) < 0) {
		if (errno == EPERM || errno == ENOSYS || errno == EINVAL)
			_exit(CHILD_SKIP);
		CHILD_CHECK(errno == 0); /* unshare failed for an unexpected reason */
	}
	CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	const char *mnt = P("%s/tree/sub/mnt", s);
	if (mc->bind)
		CHILD_CHECK(mount(P("%s/outside", s), mnt, NULL, MS_BIND, NULL) == 0);
	else
		CHILD_CHECK(mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0755") == 0);
	int fd = open(P("%s/keep", mnt), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHILD_CHECK(fd >= 0 && write(fd, "kept", 4) == 4 && close(fd) == 0);

	struct isola_error e = {0};
	int r = rmtree_at(AT_FDCWD, P("%s/tree", s), &e);
	if (r != -1 || !strstr(e.message, "mount point"))
		dprintf(2, "rmtree_at returned %d: %s\n", r, e.message);
	CHILD_CHECK(r == -1);
	CHILD_CHECK(strstr(e.message, "mount point") != NULL);
	CHILD_CHECK(strstr(e.message, mnt) != NULL);
	CHILD_CHECK(strcmp(e.path, mnt) == 0);
	/* What is on the mount survives; what is not is gone. */
	CHILD_CHECK(access(P("%s/keep", mnt), F_OK) == 0);
	CHILD_CHECK(access(P("%s/tree/file", s), F_OK) < 0 && errno == ENOENT);
	CHILD_CHECK(access(P("%s/tree/sub/other", s), F_OK) < 0 && errno == ENOENT);
	if (mc->bind)
		CHILD_CHECK(access(P("%s/outside/canary", s), F_OK) == 0);
	CHILD_CHECK(umount2(mnt, MNT_DETACH) == 0);
}

static void mount_case(const char *s, bool bind)
{
	make_dir(P("%s/tree", s), 0755);
	make_dir(P("%s/tree/sub", s), 0755);
	make_dir(P("%s/tree/sub/mnt", s), 0755);
	write_file(P("%s/tree/file", s), "x", 0644);
	write_file(P("%s/tree/sub/other", s), "x", 0644);
	make_dir(P("%s/outside", s), 0755);
	write_file(P("%s/outside/canary", s), "alive", 0644);

	struct mount_case mc = {.scratch = s, .bind = bind};
	assert_child_ok(mount_point_child, &mc);
	assert_file_text(P("%s/outside/canary", s), "alive");
	if (bind)
		assert_file_text(P("%s/outside/keep", s), "kept");
}

static void test_refuses_mount_point(void **state)
{
	mount_case(*state, false);
}

static void test_refuses_bind_mount_of_same_filesystem(void **state)
{
	mount_case(*state, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SCRATCH_TEST(test_removes_plain_file),
	    SCRATCH_TEST(test_missing_is_success),
	    SCRATCH_TEST(test_removes_tree),
	    SCRATCH_TEST(test_symlink_to_outside_dir_not_followed),
	    SCRATCH_TEST(test_symlink_to_outside_file_not_followed),
	    SCRATCH_TEST(test_top_symlink_removed_not_followed),
	    SCRATCH_TEST(test_unreadable_and_unwritable_dirs),
	    SCRATCH_TEST(test_deep_tree),
	    SCRATCH_TEST(test_deep_tree_with_few_fds),
	    SCRATCH_TEST(test_error_names_path),
	    SCRATCH_TEST(test_error_deep_in_tree_names_path_and_goes_on),
	    SCRATCH_TEST(test_error_at_top_names_path),
	    SCRATCH_TEST(test_refuses_mount_point),
	    SCRATCH_TEST(test_refuses_bind_mount_of_same_filesystem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

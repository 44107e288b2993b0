/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/sandbox/sandbox: run directories, their locks and markers, sandboxes, and
 * the cleaning of dead runs. Each test's scratch directory (*state) is its sandbox root.
 */
#include "unit.h"

#include <sys/file.h>

#include "sandbox/sandbox.h"

static bool is_dir_with_mode(const char *path, mode_t mode)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == mode;
}

/* "PREFIX" followed by exactly six mkdtemp characters. */
static void assert_name_like(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(name, prefix, n) != 0 || strlen(name) != n + 6)
		fail_msg("'%s' is not %sXXXXXX", name, prefix);
}

static void test_rundir_create_layout(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_string_equal(rd.root, s);
	assert_non_null(rd.path);
	assert_int_equal(strncmp(rd.path, s, strlen(s)), 0);
	assert_int_equal(rd.path[strlen(s)], '/');
	assert_name_like(rd.path + strlen(s) + 1, "isola-");
	assert_true(is_dir_with_mode(rd.path, 0700));
	assert_true(rd.fd >= 0);
	assert_int_equal(rd.kept, 0);
	/* The id starts with the directory's suffix. */
	assert_int_equal(strncmp(rd.id, rd.path + strlen(rd.path) - 6, 6), 0);
	assert_true(strlen(rd.id) > 6);

	/* The lock marker says isola made it, for this run, and our pid; the flock is held. */
	assert_file_text(P("%s/lock", rd.path), P("isola-run 1\nid %s\npid %ld\n", rd.id, (long)getpid()));
	assert_int_equal(mode_of(P("%s/lock", rd.path)) & 07777, 0600);
	int other = open(rd.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(other);

	assert_int_equal(count_entries(rd.path), 1);
	rundir_release(&rd);
	assert_null(rd.path);
	assert_int_equal(rd.fd, -1);
}

static void test_rundir_create_twice_distinct(void **state)
{
	const char *s = *state;
	struct rundir a = RUNDIR_INIT, b = RUNDIR_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&a, s, &e), 0);
	assert_int_equal(rundir_create(&b, s, &e), 0);
	assert_string_not_equal(a.path, b.path);
	assert_string_not_equal(a.id, b.id);
	assert_int_equal(count_entries(s), 2);
	assert_int_equal(rundir_finish(&a, &e), 0);
	assert_int_equal(rundir_finish(&b, &e), 0);
	assert_int_equal(count_entries(s), 0);
}

static void test_rundir_create_relative_root_and_slashes(void **state)
{
	const char *s = *state;
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	make_dir(P("%s/rel", s), 0755);
	assert_int_equal(chdir(s), 0);
	struct rundir rd = RUNDIR_INIT;
	struct isola_error e = {0};
	int r = rundir_create(&rd, "rel//", &e);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	/* Absolute, without the trailing slashes. */
	assert_string_equal(rd.root, P("%s/rel", s));
	assert_int_equal(strncmp(rd.path, P("%s/rel/isola-", s), strlen(s) + 11), 0);
	assert_int_equal(rundir_finish(&rd, &e), 0);
	assert_int_equal(count_entries(P("%s/rel", s)), 0);
}

static void test_rundir_create_missing_root(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct isola_error e = {0};
	cleanup_free char *root = xasprintf("%s/no/such/root", s);
	assert_int_equal(rundir_create(&rd, root, &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.path, root);
	assert_contains(e.message, P("cannot create a run directory under '%s'", root));
	assert_contains(e.message, "--root");
	assert_contains(e.message, strerror(ENOENT));
	/* rd is left released. */
	assert_null(rd.path);
	assert_null(rd.root);
	assert_int_equal(rd.fd, -1);
	assert_int_equal(count_entries(s), 0);

	/* A root that is a file. */
	write_file(P("%s/file", s), "", 0644);
	assert_int_equal(rundir_create(&rd, P("%s/file", s), &e), -1);
	assert_int_equal(e.code, ENOTDIR);
	assert_int_equal(count_entries(s), 1);
}

static void unwritable_root_child(void *arg)
{
	const char *root = arg;
	CHILD_CHECK(drop_effective_caps() == 0);
	struct rundir rd = RUNDIR_INIT;
	struct isola_error e = {0};
	CHILD_CHECK(rundir_create(&rd, root, &e) == -1);
	CHILD_CHECK(e.code == EACCES);
	CHILD_CHECK(strstr(e.message, root) != NULL);
	CHILD_CHECK(strstr(e.message, strerror(EACCES)) != NULL);
	CHILD_CHECK(rd.path == NULL && rd.fd == -1);
}

static void test_rundir_create_unwritable_root(void **state)
{
	const char *s = *state;
	cleanup_free char *root = xasprintf("%s/ro", s);
	make_dir(root, 0500);
	assert_child_ok(unwritable_root_child, (void *)root);
	assert_int_equal(count_entries(root), 0);
}

static void test_sandbox_create_layout(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT, sb2 = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 3, &e), 0);
	assert_name_like(sb.name, "3-");
	assert_string_equal(sb.path, P("%s/%s", rd.path, sb.name));
	assert_true(is_dir_with_mode(sb.path, 0700));
	assert_true(is_dir_with_mode(P("%s/tmp", sb.path), 0700));
	assert_true(is_dir_with_mode(P("%s/home", sb.path), 0700));
	assert_true(is_dir_with_mode(P("%s/outputs", sb.path), 0700));
	assert_int_equal(count_entries(sb.path), 3);
	/* sb.fd is that directory. */
	struct stat a, b;
	assert_int_equal(fstat(sb.fd, &a), 0);
	assert_int_equal(stat(sb.path, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);

	/* Same sequence number again: a distinct directory. */
	assert_int_equal(sandbox_create(&sb2, &rd, 3, &e), 0);
	assert_string_not_equal(sb.name, sb2.name);
	assert_int_equal(count_entries(rd.path), 3);

	sandbox_release(&sb);
	sandbox_release(&sb2);
	assert_null(sb.path);
	assert_int_equal(sb.fd, -1);
	rundir_release(&rd);
}

static void test_sandbox_create_fails_cleanly(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	/* The run directory disappears under the run. */
	assert_int_equal(rename(rd.path, P("%s/moved", s)), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_contains(e.message, P("cannot create a sandbox in '%s'", rd.path));
	assert_null(sb.path);
	assert_null(sb.name);
	assert_int_equal(sb.fd, -1);
	assert_int_equal(count_entries(P("%s/moved", s)), 1); /* only lock */
	rundir_release(&rd);
}

static void test_sandbox_remove(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT, other = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), 0);
	assert_int_equal(sandbox_create(&other, &rd, 2, &e), 0);
	char *path = xstrdup(sb.path);
	char *log = xasprintf("%s.log", sb.path);
	char *other_log = xasprintf("%s.log", other.path);
	write_file(log, "output", 0644);
	write_file(other_log, "output", 0644);
	/* What a test may leave behind: files, a closed directory, a symlink out. */
	write_file(P("%s/tmp/f", path), "x", 0644);
	make_dir(P("%s/home/closed", path), 0755);
	write_file(P("%s/home/closed/f", path), "x", 0644);
	assert_int_equal(chmod(P("%s/home/closed", path), 0), 0);
	make_symlink(s, P("%s/escape", path));

	assert_int_equal(sandbox_remove(&sb, &rd, &e), 0);
	assert_missing(path);
	/* sandbox.h: "its log is the caller's" (capture owns it); rundir_finish removes it. */
	assert_file_text(log, "output");
	assert_null(sb.name);
	assert_int_equal(sb.fd, -1);
	/* The neighbour and its log are untouched; so is what the symlink pointed at. */
	assert_exists(other.path);
	assert_file_text(other_log, "output");
	assert_exists(P("%s/lock", rd.path));

	/* Removing the other; removing a released sandbox again is a no-op. */
	cleanup_free char *other_path = xstrdup(other.path);
	assert_int_equal(sandbox_remove(&other, &rd, &e), 0);
	assert_missing(other_path);
	assert_int_equal(sandbox_remove(&other, &rd, &e), 0);
	assert_int_equal(count_entries(rd.path), 3); /* lock and the two logs */
	free(path);
	free(log);
	free(other_log);
	assert_int_equal(rundir_finish(&rd, &e), 0);
	assert_int_equal(count_entries(s), 0);
}

static void test_rundir_finish_nothing_kept_removes_all(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), 0);
	/* A sandbox released without being removed or kept still goes: nothing was kept. */
	write_file(P("%s/tmp/left", sb.path), "x", 0644);
	write_file(P("%s.log", sb.path), "x", 0644);
	sandbox_release(&sb);
	char *path = xstrdup(rd.path);
	assert_int_equal(rundir_finish(&rd, &e), 0);
	assert_missing(path);
	assert_int_equal(count_entries(s), 0);
	assert_null(rd.path);
	assert_int_equal(rd.fd, -1);
	free(path);
	/* Finishing a released rundir is a no-op. */
	assert_int_equal(rundir_finish(&rd, &e), 0);
}

static void test_rundir_finish_kept_marks_done(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT, gone = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), 0);
	assert_int_equal(sandbox_create(&gone, &rd, 2, &e), 0);
	char *sbpath = xstrdup(sb.path);
	char *path = xstrdup(rd.path);
	sandbox_keep(&sb, &rd);
	assert_int_equal(rd.kept, 1);
	assert_null(sb.path);
	assert_int_equal(sandbox_remove(&gone, &rd, &e), 0);
	assert_int_equal(rundir_finish(&rd, &e), 0);
	assert_true(is_dir_with_mode(path, 0700));
	assert_true(is_dir_with_mode(sbpath, 0700));
	assert_exists(P("%s/done", path));
	assert_missing(P("%s/lock", path));
	assert_int_equal(count_entries(path), 2);
	/* The flock went with the run. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	free(sbpath);
	free(path);
}

/* In a child: create a run and die without finishing it. */
static void dead_run_child(void *arg)
{
	const char *root = arg;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT;
	struct isola_error e = {0};
	CHILD_CHECK(rundir_create(&rd, root, &e) == 0);
	CHILD_CHECK(sandbox_create(&sb, &rd, 1, &e) == 0);
	int fd = openat(sb.fd, "home/closed", O_RDONLY | O_CREAT | O_CLOEXEC, 0);
	CHILD_CHECK(fd >= 0);
	_exit(0);
}

static char *only_entry(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open '%s'", dir);
	struct dirent *de;
	char *name = NULL;
	int n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			free(name);
			name = xstrdup(de->d_name);
			n++;
		}
	closedir(d);
	if (n != 1)
		fail_msg("expected one entry in '%s', found %d", dir, n);
	return name;
}

static void test_rundir_clean_dead_run(void **state)
{
	const char *s = *state;
	cleanup_free char *root = xasprintf("%s/root", s);
	make_dir(root, 0755);
	assert_child_ok(dead_run_child, (void *)root);
	char *name = only_entry(root);
	assert_name_like(name, "isola-");
	assert_exists(P("%s/%s/lock", root, name));

	unsigned removed = 99;
	struct isola_error e = {0};
	assert_int_equal(rundir_clean(root, false, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(count_entries(root), 0);
	free(name);
}

static void test_rundir_clean_never_live(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), 0);
	unsigned removed = 99;
	assert_int_equal(rundir_clean(s, false, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(rundir_clean(s, true, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_exists(P("%s/lock", rd.path));
	assert_true(is_dir_with_mode(P("%s/tmp", sb.path), 0700));
	/* Our lock is still ours. */
	int fd = open(rd.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	close(fd);

	/* Live even while its lock is held by another process. */
	int go[2], ready[2];
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rundir crd = RUNDIR_INIT;
		struct isola_error ce = {0};
		close(go[1]);
		if (rundir_create(&crd, s, &ce) < 0)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		char c;
		(void)!read(go[0], &c, 1); /* until the parent is done checking */
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(count_entries(s), 2);
	assert_int_equal(rundir_clean(s, true, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(count_entries(s), 2);
	close(go[1]);
	close(ready[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Now that it is dead, it goes; ours stays. */
	assert_int_equal(rundir_clean(s, false, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(count_entries(s), 1);
	assert_exists(rd.path);

	sandbox_release(&sb);
	assert_int_equal(rundir_finish(&rd, &e), 0);
}

static void test_rundir_clean_done_only_when_finished(void **state)
{
	const char *s = *state;
	struct rundir rd = RUNDIR_INIT;
	struct sandbox sb = SANDBOX_INIT;
	struct isola_error e = {0};
	assert_int_equal(rundir_create(&rd, s, &e), 0);
	assert_int_equal(sandbox_create(&sb, &rd, 1, &e), 0);
	sandbox_keep(&sb, &rd);
	char *path = xstrdup(rd.path);
	assert_int_equal(rundir_finish(&rd, &e), 0);

	unsigned removed = 99;
	assert_int_equal(rundir_clean(s, false, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_exists(P("%s/done", path));
	assert_int_equal(rundir_clean(s, true, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_missing(path);
	free(path);
}

static void test_rundir_clean_ignores_what_is_not_ours(void **state)
{
	const char *s = *state;
	cleanup_free char *root = xasprintf("%s/root", s);
	make_dir(root, 0755);
	/* Decoys, each with the marker of a dead run. */
	make_dir(P("%s/elsewhere", s), 0755);
	write_file(P("%s/elsewhere/lock", s), "", 0644);
	write_file(P("%s/elsewhere/canary", s), "alive", 0644);
	make_symlink(P("%s/elsewhere", s), P("%s/isola-link", root));
	make_dir(P("%s/notisola-abcdef", root), 0700);
	write_file(P("%s/notisola-abcdef/lock", root), "", 0600);
	make_dir(P("%s/isola-starting", root), 0700); /* neither lock nor done: being created */
	write_file(P("%s/isola-file", root), "lock", 0644);
	/* Look-alikes of a dead run that isola did not make: never removed (the user's data). */
	make_dir(P("%s/isola-mydata", root), 0700); /* the issue's: a name and a "lock" */
	make_dir(P("%s/isola-mydata/sub", root), 0700);
	write_file(P("%s/isola-mydata/lock", root), "", 0600);
	make_dir(P("%s/isola-byhand", root), 0700); /* an old marker: a pid, no magic */
	write_file(P("%s/isola-byhand/lock", root), "1\n", 0600);
	make_dir(P("%s/isola-wrngid", root), 0700); /* magic, but another directory's run */
	write_file(P("%s/isola-wrngid/lock", root), "isola-run 1\nid abcdef-00000000\n", 0600);
	make_dir(P("%s/isola-opened", root), 0755); /* magic and its id, but not 0700 */
	write_file(P("%s/isola-opened/lock", root), "isola-run 1\nid opened-00000000\n", 0600);
	bool root_user = getuid() == 0;
	if (root_user) {
		make_dir(P("%s/isola-foreign", root), 0700);
		write_file(P("%s/isola-foreign/lock", root), "", 0600);
		assert_int_equal(chown(P("%s/isola-foreign", root), 65534, 65534), 0);
	}
	/* And one genuinely dead run, which must go. */
	assert_child_ok(dead_run_child, (void *)root);
	int before = count_entries(root);

	unsigned removed = 99;
	struct isola_error e = {0};
	assert_int_equal(rundir_clean(root, true, &removed, &e), 0);
	assert_int_equal(removed, 1); /* the dead run only */
	assert_int_equal(count_entries(root), before - 1);
	assert_exists(P("%s/isola-mydata/sub", root));
	assert_exists(P("%s/isola-byhand/lock", root));
	assert_exists(P("%s/isola-wrngid/lock", root));
	assert_exists(P("%s/isola-opened/lock", root));
	assert_int_equal(mode_of(P("%s/isola-link", root)) & S_IFMT, S_IFLNK);
	assert_file_text(P("%s/elsewhere/canary", s), "alive");
	assert_exists(P("%s/elsewhere/lock", s));
	assert_exists(P("%s/notisola-abcdef/lock", root));
	assert_exists(P("%s/isola-starting", root));
	assert_file_text(P("%s/isola-file", root), "lock");
	if (root_user)
		assert_exists(P("%s/isola-foreign/lock", root));
}

static void test_rundir_clean_root_errors(void **state)
{
	const char *s = *state;
	unsigned removed = 99;
	struct isola_error e = {0};
	/* No root yet: nothing to clean, not an error. */
	assert_int_equal(rundir_clean(P("%s/missing", s), true, &removed, &e), 0);
	assert_int_equal(removed, 0);

	write_file(P("%s/file", s), "", 0644);
	removed = 99;
	assert_int_equal(rundir_clean(P("%s/file", s), true, &removed, &e), -1);
	assert_int_equal(e.code, ENOTDIR);
	assert_contains(e.message, P("cannot open sandbox root '%s/file'", s));
	assert_int_equal(removed, 0);
}

static void test_default_root(void **state)
{
	(void)state;
	char *save_root = getenv("ISOLA_ROOT") ? xstrdup(getenv("ISOLA_ROOT")) : NULL;
	char *save_tmp = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;

	setenv("ISOLA_ROOT", "/from/env", 1);
	setenv("TMPDIR", "/from/tmpdir", 1);
	assert_string_equal(rundir_default_root("/explicit"), "/explicit");
	assert_string_equal(rundir_default_root(NULL), "/from/env");
	assert_string_equal(rundir_default_root(""), "/from/env");
	setenv("ISOLA_ROOT", "", 1);
	assert_string_equal(rundir_default_root(NULL), "/from/tmpdir");
	unsetenv("ISOLA_ROOT");
	assert_string_equal(rundir_default_root(NULL), "/from/tmpdir");
	setenv("TMPDIR", "", 1);
	assert_string_equal(rundir_default_root(NULL), "/tmp");
	unsetenv("TMPDIR");
	assert_string_equal(rundir_default_root(NULL), "/tmp");

	if (save_root)
		setenv("ISOLA_ROOT", save_root, 1);
	if (save_tmp)
		setenv("TMPDIR", save_tmp, 1);
	free(save_root);
	free(save_tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SCRATCH_TEST(test_rundir_create_layout),
	    SCRATCH_TEST(test_rundir_create_twice_distinct),
	    SCRATCH_TEST(test_rundir_create_relative_root_and_slashes),
	    SCRATCH_TEST(test_rundir_create_missing_root),
	    SCRATCH_TEST(test_rundir_create_unwritable_root),
	    SCRATCH_TEST(test_sandbox_create_layout),
	    SCRATCH_TEST(test_sandbox_create_fails_cleanly),
	    SCRATCH_TEST(test_sandbox_remove),
	    SCRATCH_TEST(test_rundir_finish_nothing_kept_removes_all),
	    SCRATCH_TEST(test_rundir_finish_kept_marks_done),
	    SCRATCH_TEST(test_rundir_clean_dead_run),
	    SCRATCH_TEST(test_rundir_clean_never_live),
	    SCRATCH_TEST(test_rundir_clean_done_only_when_finished),
	    SCRATCH_TEST(test_rundir_clean_ignores_what_is_not_ours),
	    SCRATCH_TEST(test_rundir_clean_root_errors),
	    SCRATCH_TEST(test_default_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the staging strategies (src/stage/) and the mount namespace start
 * (src/spawn/spawn-ns.c, mountns.c): the chooser's rules, the plan it makes, copies that keep
 * holes and drop write bits, and a program started with the plan seeing what it should.
 * Mount tests need root (or user namespaces); where mount namespaces cannot be had they skip.
 */
#include "unit.h"

#include <poll.h>

#include <sys/mount.h>

#include "spawn/container.h"
#include "spawn/spawn.h"
#include "stage/stage.h"

static void test_strategy_names(void **state)
{
	(void)state;
	static const char *const names[] = {"auto", "overlay", "reflink", "copy"};
	for (size_t i = 0; i < 4; i++) {
		enum stage_strategy s;
		assert_int_equal(stage_strategy_parse(names[i], &s), 0);
		assert_int_equal(s, (enum stage_strategy)i);
		assert_string_equal(stage_strategy_name(s), names[i]);
	}
	enum stage_strategy s;
	assert_int_equal(stage_strategy_parse("Overlay", &s), -1);
	assert_int_equal(stage_strategy_parse("", &s), -1);
}

/* Enough files in dir/bulk that --stage auto does not copy dir as tiny (stage.c,
 * TINY_TREE_ENTRIES). */
static void fill_tree(const char *dir)
{
	make_dir(P("%s/bulk", dir), 0755);
	for (int i = 0; i < 40; i++)
		write_file(P("%s/bulk/%02d", dir, i), "bulk", 0644);
}

/* A sandbox dir called name in the scratch dir, and its fd. */
static int make_sandbox_named(const char *s, const char *name)
{
	make_dir(P("%s/%s", s, name), 0700);
	int fd = open(P("%s/%s", s, name), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int make_sandbox(const char *s)
{
	return make_sandbox_named(s, "sb");
}

static void add(struct resources *l, enum resource_kind kind, const char *spec, const char *base)
{
	struct isola_error e = {0};
	if (resources_add(l, kind, spec, base, &e) < 0)
		fail_msg("resources_add(\"%s\"): %s", spec, e.message);
}

static void test_forced_copy_makes_no_mounts(void **state)
{
	const char *s = *state;
	make_dir(P("%s/tree", s), 0755);
	write_file(P("%s/tree/f", s), "data", 0644);
	write_file(P("%s/one", s), "one", 0600);
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "tree", s);
	add(&l, RES_COPY, "one:conf/one", s);
	add(&l, RES_MKDIR, "tree/out", s);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	assert_int_equal(stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_COPY, &e), 0);
	assert_int_equal(st.mounts.n, 0);
	assert_string_equal(st.strategy, "copy");
	assert_null(st.reason); /* forced: nothing to explain */
	assert_file_text(P("%s/sb/tree/f", s), "data");
	assert_file_text(P("%s/sb/conf/one", s), "one");
	assert_int_equal(mode_of(P("%s/sb/conf/one", s)) & 07777, 0600);
	assert_true(S_ISDIR(mode_of(P("%s/sb/tree/out", s))));
	assert_missing(P("%s/sb/.isola", s));
	stage_release(&st);
	assert_string_equal(st.strategy, "none");
	resources_release(&l);
	close(sb);
}

static void test_no_namespaces_falls_back_with_reason(void **state)
{
	const char *s = *state;
	make_dir(P("%s/tree", s), 0755);
	write_file(P("%s/tree/f", s), "data", 0644);
	fill_tree(P("%s/tree", s));
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "tree", s);
	add(&l, RES_RO, "tree:ro", s);
	setenv("ISOLA_TEST_NO_NAMESPACES", "1", 1);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	int r = stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_AUTO, &e);
	unsetenv("ISOLA_TEST_NO_NAMESPACES");
	assert_int_equal(r, 0);
	assert_int_equal(st.mounts.n, 0);
	assert_string_equal(st.strategy, st.strategy[0] == 'r' ? "reflink" : "copy");
	assert_contains(st.reason, "'tree' by ");
	assert_contains(st.reason, "overlay: mount namespaces are disabled");
	assert_contains(st.reason, "'ro' is a read-only copy");
	/* The read-only copy has no write bits; the writable one keeps its mode. */
	assert_int_equal(mode_of(P("%s/sb/ro/f", s)) & 0777, 0444);
	assert_int_equal(mode_of(P("%s/sb/ro", s)) & 0777, 0555);
	assert_int_equal(mode_of(P("%s/sb/tree/f", s)) & 0777, 0644);
	stage_release(&st);
	resources_release(&l);
	close(sb);
}

static bool namespaces_here(void);

/* --stage auto copies a tiny tree (an empty one, a few small files) even where an overlay could
 * be had: a copy costs less than the mount and means the same. Nothing is said about it. A
 * tree past the limit, or one byte too big, is not tiny. --stage overlay still mounts it. */
static void test_tiny_trees_are_copied(void **state)
{
	const char *s = *state;
	make_dir(P("%s/empty", s), 0750);
	make_dir(P("%s/small", s), 0755);
	for (int i = 0; i < 32; i++)
		write_file(P("%s/small/f%02d", s, i), "data", 0644);
	make_dir(P("%s/many", s), 0755);
	fill_tree(P("%s/many", s));
	make_dir(P("%s/big", s), 0755);
	int fd = open(P("%s/big/blob", s), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 256 * 1024 + 1), 0);
	close(fd);

	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "empty", s);
	add(&l, RES_COPY, "small", s);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	assert_int_equal(stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_AUTO, &e), 0);
	assert_int_equal(st.mounts.n, 0);
	assert_null(st.reason);
	assert_int_equal(mode_of(P("%s/sb/empty", s)) & 0777, 0750);
	assert_int_equal(mode_of(P("%s/sb/small/f31", s)) & 0777, 0644);
	stage_release(&st);
	resources_release(&l);

	/* Not tiny: an overlay where one can be had, else a copy that says why. */
	if (!namespaces_here()) {
		close(sb);
		return;
	}
	add(&l, RES_COPY, "many", s);
	add(&l, RES_COPY, "big", s);
	assert_int_equal(stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_AUTO, &e), 0);
	if (!st.reason || !strstr(st.reason, "overlay:"))
		assert_string_equal(st.strategy, "overlay");
	stage_release(&st);
	resources_release(&l);
	/* Forced, even a tiny tree is mounted (in a sandbox of its own). */
	int sb2 = make_sandbox_named(s, "sb2");
	add(&l, RES_COPY, "empty", s);
	if (stage_prepare(&st, sb2, P("%s/sb2", s), &l, STAGE_OVERLAY, &e) < 0)
		fail_msg("%s", e.message);
	assert_string_equal(st.strategy, "overlay");
	stage_release(&st);
	resources_release(&l);
	close(sb2);
	close(sb);
}

static void test_forced_overlay_without_namespaces_fails(void **state)
{
	const char *s = *state;
	make_dir(P("%s/tree", s), 0755);
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "tree", s);
	setenv("ISOLA_TEST_NO_NAMESPACES", "1", 1);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	int r = stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_OVERLAY, &e);
	unsetenv("ISOLA_TEST_NO_NAMESPACES");
	assert_int_equal(r, -1);
	assert_contains(e.message, "by overlay (--stage overlay): mount namespaces are disabled");
	stage_release(&st);
	resources_release(&l);
	close(sb);
}

static void test_nothing_inside_read_only(void **state)
{
	const char *s = *state;
	make_dir(P("%s/tree", s), 0755);
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_RO, "tree:data", s);
	add(&l, RES_MKDIR, "data/out", s);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	assert_int_equal(stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_AUTO, &e), -1);
	assert_contains(e.message, "cannot stage 'data/out' inside the read-only resource 'data'");
	stage_release(&st);
	resources_release(&l);
	close(sb);
}

/* Copies keep holes, and FICLONE failing (ext4, tmpfs) falls back quietly. */
static void test_copy_keeps_holes_and_survives_no_clone(void **state)
{
	const char *s = *state;
	int fd = open(P("%s/sparse", s), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	assert_int_equal(pwrite(fd, "middle", 6, 32 << 20), 6);
	close(fd);
	struct stat st;
	assert_int_equal(stat(P("%s/sparse", s), &st), 0);
	if (st.st_blocks * 512 >= st.st_size)
		skip(); /* this filesystem has no holes */
	int dfd = open(s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct copy_opts o = {.clone = true};
	struct copy_result res;
	struct isola_error e = {0};
	assert_int_equal(copy_tree_opts(P("%s/sparse", s), dfd, "copy", &o, &res, &e), 0);
	close(dfd);
	assert_int_equal(res.files, 1);
	struct stat cst;
	assert_int_equal(stat(P("%s/copy", s), &cst), 0);
	assert_int_equal(cst.st_size, 64 << 20);
	assert_true(cst.st_blocks < 1024);
	char buf[6];
	fd = open(P("%s/copy", s), O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(fd, buf, 6, 32 << 20), 6);
	close(fd);
	assert_memory_equal(buf, "middle", 6);
	if (res.cloned == 0)
		assert_int_not_equal(res.clone_err, 0);
}

/* Enough files for the copy to go parallel: every file, mode and mtime arrives, directories
 * (read-only ones too) get their attributes after their contents. */
static void test_parallel_copy_is_exact(void **state)
{
	const char *s = *state;
	static const mode_t modes[] = {0644, 0600, 0755, 0444, 04755, 0640};
	make_dir(P("%s/src", s), 0755);
	for (int d = 0; d < 12; d++) {
		make_dir(P("%s/src/d%d", s, d), 0755);
		for (int f = 0; f < 30; f++) {
			char text[64];
			snprintf(text, sizeof(text), "file %d of dir %d\n", f, d);
			const char *path = P("%s/src/d%d/f%d", s, d, f);
			write_file(path, text, modes[(d + f) % 6]);
			struct timespec t[2] = {{.tv_sec = 1000000 + f}, {.tv_sec = 2000000 + d * 100 + f}};
			assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
		}
	}
	chmod(P("%s/src/d3", s), 0555);
	make_symlink("d1/f1", P("%s/src/link", s));
	int dfd = open(s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct copy_opts o = {0};
	struct copy_result res;
	struct isola_error e = {0};
	assert_int_equal(copy_tree_opts(P("%s/src", s), dfd, "copy", &o, &res, &e), 0);
	close(dfd);
	assert_int_equal(res.files, 12 * 30);
	for (int d = 0; d < 12; d++) {
		struct stat a, b;
		assert_int_equal(stat(P("%s/src/d%d", s, d), &a), 0);
		assert_int_equal(stat(P("%s/copy/d%d", s, d), &b), 0);
		assert_int_equal(a.st_mode, b.st_mode);
		assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
		assert_int_equal(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
		for (int f = 0; f < 30; f++) {
			assert_int_equal(stat(P("%s/src/d%d/f%d", s, d, f), &a), 0);
			assert_int_equal(stat(P("%s/copy/d%d/f%d", s, d, f), &b), 0);
			assert_int_equal(a.st_mode, b.st_mode);
			assert_int_equal(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
			char *ta = read_text(P("%s/src/d%d/f%d", s, d, f));
			assert_file_text(P("%s/copy/d%d/f%d", s, d, f), ta);
			free(ta);
		}
	}
	assert_true(S_ISLNK(mode_of(P("%s/copy/link", s))));
	assert_int_equal(count_entries(P("%s/copy", s)), 13);
}

/* Unstaging empties each copy (leaving the rest to the sandbox removal) and never reaches
 * outside through what the test planted. */
static void test_unstage_stays_inside(void **state)
{
	const char *s = *state;
	make_dir(P("%s/outside", s), 0755);
	write_file(P("%s/outside/precious", s), "keep", 0644);
	make_dir(P("%s/tree", s), 0755);
	for (int d = 0; d < 5; d++) {
		make_dir(P("%s/tree/d%d", s, d), 0755);
		write_file(P("%s/tree/d%d/f", s, d), "x", 0644);
	}
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "tree:a/tree", s);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	assert_int_equal(stage_prepare(&st, sb, P("%s/sb", s), &l, STAGE_COPY, &e), 0);
	/* What a test might leave: links out, a directory it made unreadable. */
	make_symlink(P("%s/outside", s), P("%s/sb/a/tree/evil", s));
	make_dir(P("%s/sb/a/tree/d0/locked", s), 0755);
	write_file(P("%s/sb/a/tree/d0/locked/f", s), "x", 0644);
	chmod(P("%s/sb/a/tree/d0/locked", s), 0);
	stage_unstage(sb, &l);
	assert_int_equal(count_entries(P("%s/sb/a/tree", s)), 0);
	assert_file_text(P("%s/outside/precious", s), "keep");
	/* A copy replaced by a symlink is left alone, not followed. */
	assert_int_equal(rmdir(P("%s/sb/a/tree", s)), 0);
	make_symlink(P("%s/outside", s), P("%s/sb/a/tree", s));
	stage_unstage(sb, &l);
	assert_file_text(P("%s/outside/precious", s), "keep");
	stage_release(&st);
	resources_release(&l);
	close(sb);
}

/* --- with mount namespaces ----------------------------------------------------------------- */

static bool namespaces_here(void)
{
	struct mount_plan p = MOUNT_PLAN_INIT;
	struct isola_error e = {0};
	mount_plan_set_root(&p, "/");
	p.userns = geteuid() != 0;
	int r = mount_plan_probe(&p, &e);
	mount_plan_release(&p);
	return r == 0;
}

/* Run argv with the stage's mounts, stdout into a file; returns the exit status. */
/* Start req as isola does, in an init of isola's (spawn/container.h); returns its wait status,
 * or -1 with *e if it could not start. */
static int spawn_in_init(const struct spawn_req *req, struct isola_error *e)
{
	struct container c;
	int ev[2];
	assert_int_equal(pipe2(ev, O_CLOEXEC), 0);
	if (container_open(&c, 0, ev[1], 0, e) < 0)
		fail_msg("container_open: %s", e->message);
	int status = -1;
	if (container_spawn(&c, req, 1, NULL, e) == 0) {
		struct container_end m;
		struct pollfd p = {.fd = ev[0], .events = POLLIN};
		assert_int_equal(poll(&p, 1, 30000), 1);
		assert_int_equal(container_read_end(ev[0], &m), 1);
		status = m.status;
	}
	container_close(&c, true);
	close(ev[0]);
	close(ev[1]);
	return status;
}

static int run_staged(const struct stage *st, const char *sandbox, char *const argv[],
		      const char *out)
{
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	struct spawn_req req = {
		.path = argv[0],
		.argv = argv,
		.envp = envp,
		.cwd = sandbox,
		.stdin_fd = -1,
		.stdout_fd = fd,
		.stderr_fd = fd,
		.new_pgroup = true,
		.mounts = &st->mounts,
	};
	struct isola_error e = {0};
	int status = spawn_in_init(&req, &e);
	if (status < 0)
		fail_msg("spawn: %s", e.message);
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_overlay_plan_and_program(void **state)
{
	const char *s = *state;
	if (!namespaces_here())
		skip();
	make_dir(P("%s/tree", s), 0750);
	write_file(P("%s/tree/f", s), "data", 0644);
	fill_tree(P("%s/tree", s));
	int sb = make_sandbox(s);
	struct resources l = {0};
	add(&l, RES_COPY, "tree", s);
	add(&l, RES_MKDIR, "tree/made/deeper", s);
	add(&l, RES_RO, "tree:ro", s);
	struct stage st = STAGE_INIT;
	struct isola_error e = {0};
	const char *sbp = xstrdup(P("%s/sb", s));
	assert_int_equal(stage_prepare(&st, sb, sbp, &l, STAGE_AUTO, &e), 0);
	if (st.reason && strstr(st.reason, "overlay:"))
		skip(); /* e.g. no extended attributes here: the fallback is tested elsewhere */
	assert_string_equal(st.strategy, "overlay+bind");
	assert_int_equal(st.mounts.n, 3);
	assert_int_equal(st.mounts.v[0].kind, MOUNT_OVERLAY);
	assert_string_equal(st.mounts.v[0].target, "tree");
	assert_int_equal(st.mounts.v[1].kind, MOUNT_MKDIR);
	assert_string_equal(st.mounts.v[1].target, "tree/made/deeper");
	assert_int_equal(st.mounts.v[2].kind, MOUNT_BIND_RO);
	/* On disk: empty mount points, the private layer, no copy. */
	assert_int_equal(count_entries(P("%s/sb/tree", s)), 0);
	assert_true(S_ISDIR(mode_of(P("%s/sb/.isola/1/upper", s))));
	assert_int_equal(mode_of(P("%s/sb/.isola/1/upper", s)) & 07777, 0750);

	/* The program sees the tree and the directory made through the overlay. */
	char *ls[] = {"/bin/ls", "-A", "tree", "tree/made", NULL};
	assert_int_equal(run_staged(&st, sbp, ls, P("%s/ls.out", s)), 0);
	assert_file_text(P("%s/ls.out", s), "tree:\nbulk\nf\nmade\n\ntree/made:\ndeeper\n");
	/* Its write went to the upper layer, not to the original. */
	char *touch[] = {"/usr/bin/touch", "tree/new", NULL};
	assert_int_equal(run_staged(&st, sbp, touch, P("%s/touch.out", s)), 0);
	assert_exists(P("%s/sb/.isola/1/upper/new", s));
	assert_missing(P("%s/tree/new", s));
	/* And the read-only resource refuses writes, with EROFS. */
	char *touch_ro[] = {"/usr/bin/touch", "ro/new", NULL};
	assert_int_not_equal(run_staged(&st, sbp, touch_ro, P("%s/ro.out", s)), 0);
	char *msg = read_text(P("%s/ro.out", s));
	assert_contains(msg, "Read-only file system");
	free(msg);
	/* Nothing is mounted here. */
	char *mi = read_text("/proc/self/mountinfo");
	assert_not_contains(mi, sbp);
	free(mi);
	stage_release(&st);
	resources_release(&l);
	free((char *)sbp);
	close(sb);
}

static void test_mount_failure_is_an_error_not_exit_127(void **state)
{
	const char *s = *state;
	if (!namespaces_here())
		skip();
	make_dir(P("%s/sb", s), 0700);
	make_dir(P("%s/sb/m", s), 0700);
	struct stage st = STAGE_INIT;
	mount_plan_set_root(&st.mounts, P("%s/sb", s));
	st.mounts.userns = geteuid() != 0;
	mount_plan_add(&st.mounts, MOUNT_BIND_RO, "m", P("%s/nowhere", s), NULL, NULL);
	char *argv[] = {"/bin/true", NULL};
	char *envp[] = {NULL};
	struct spawn_req req = {
		.path = "/bin/true", .argv = argv, .envp = envp, .stdin_fd = -1,
		.stdout_fd = -1, .stderr_fd = -1, .mounts = &st.mounts,
	};
	struct isola_error e = {0};
	assert_int_equal(spawn_in_init(&req, &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_contains(e.message, "cannot bind '");
	assert_contains(e.message, "read-only at 'm'");
	/* A symlink planted at a mount point is never followed. */
	mount_plan_release(&st.mounts);
	mount_plan_set_root(&st.mounts, P("%s/sb", s));
	st.mounts.userns = geteuid() != 0;
	make_symlink("/", P("%s/sb/link", s));
	mount_plan_add(&st.mounts, MOUNT_BIND_RO, "link", P("%s/sb/m", s), NULL, NULL);
	err_clear(&e);
	assert_int_equal(spawn_in_init(&req, &e), -1);
	assert_int_equal(e.code, ELOOP);
	mount_plan_release(&st.mounts);
	mount_plan_set_root(&st.mounts, P("%s/sb", s));
	mount_plan_add(&st.mounts, MOUNT_MKDIR, "link/x", NULL, NULL, NULL);
	err_clear(&e);
	assert_int_equal(spawn_in_init(&req, &e), -1);
	assert_missing("/x");
	stage_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strategy_names),
		SCRATCH_TEST(test_forced_copy_makes_no_mounts),
		SCRATCH_TEST(test_no_namespaces_falls_back_with_reason),
		SCRATCH_TEST(test_tiny_trees_are_copied),
		SCRATCH_TEST(test_forced_overlay_without_namespaces_fails),
		SCRATCH_TEST(test_nothing_inside_read_only),
		SCRATCH_TEST(test_copy_keeps_holes_and_survives_no_clone),
		SCRATCH_TEST(test_parallel_copy_is_exact),
		SCRATCH_TEST(test_unstage_stays_inside),
		SCRATCH_TEST(test_overlay_plan_and_program),
		SCRATCH_TEST(test_mount_failure_is_an_error_not_exit_127),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

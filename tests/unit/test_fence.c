/* SPDX-License-Identifier: MIT */
/* Unit tests for src/spawn/fence.c: the rights per ABI, the fence applied in a child (writes
 * beneath an allowed path work, others fail with EACCES), a failure named, and the reading of
 * refused paths from a test's output. */
#include "unit.h"

#include <sys/prctl.h>

#include "spawn/fence.h"

#define WRITE_FILE (1ULL << 1)
#define REFER      (1ULL << 13)
#define TRUNCATE   (1ULL << 14)
#define READ_FILE  (1ULL << 2)
#define EXECUTE    (1ULL << 0)

static void test_rights_per_abi(void **state)
{
	(void)state;
	struct fence f;
	fence_init(&f, 1);
	assert_true(f.handled & WRITE_FILE);
	assert_false(f.handled & (REFER | TRUNCATE | READ_FILE | EXECUTE));
	fence_init(&f, 2);
	assert_true(f.handled & REFER);
	assert_false(f.handled & TRUNCATE);
	fence_init(&f, 7);
	assert_true(f.handled & REFER);
	assert_true(f.handled & TRUNCATE);
	/* Reading and executing are never fenced. */
	assert_false(f.handled & (READ_FILE | EXECUTE));
	fence_release(&f);
}

static bool prctl_no_new_privs_set(void)
{
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

struct child {
	const char *dir;
	int abi;
};

static void fenced_child(void *arg)
{
	const struct child *c = arg;
	char in[4096], sub[4096], out[4096], moved[4096];
	snprintf(in, sizeof(in), "%s/in/f", c->dir);
	snprintf(sub, sizeof(sub), "%s/in/sub", c->dir);
	snprintf(out, sizeof(out), "%s/out/f", c->dir);
	snprintf(moved, sizeof(moved), "%s/in/moved", c->dir);
	char allowed[4096];
	snprintf(allowed, sizeof(allowed), "%s/in", c->dir);
	/* Its log, outside what is allowed: allowed by its fd, whatever path it has. */
	char log[4096], self[64];
	snprintf(log, sizeof(log), "%s/out/log", c->dir);
	int log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	CHILD_CHECK(log_fd >= 0);
	struct fence f;
	fence_init(&f, c->abi);
	fence_allow(&f, allowed);
	struct fence_failure ff = {0};
	CHILD_CHECK(fence_apply(&f, NULL, log_fd, &ff) == 0);
	/* Reopened as /dev/stdout is: through /proc, to the file the fd is. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", log_fd);
	int again = open(self, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHILD_CHECK(again >= 0);
	close(again);
	close(log_fd);
	int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHILD_CHECK(fd >= 0);
	close(fd);
	CHILD_CHECK(mkdir(sub, 0700) == 0);
	CHILD_CHECK(rename(in, moved) == 0);
	errno = 0;
	CHILD_CHECK(open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) < 0 && errno == EACCES);
	/* What was there before is fenced too: no writing, removing or renaming into it. */
	snprintf(out, sizeof(out), "%s/out/old", c->dir);
	CHILD_CHECK(open(out, O_WRONLY | O_CLOEXEC) < 0 && errno == EACCES);
	CHILD_CHECK(unlink(out) < 0 && errno == EACCES);
	CHILD_CHECK(rename(moved, out) < 0 && (errno == EACCES || errno == EXDEV));
	CHILD_CHECK(open(out, O_RDONLY | O_CLOEXEC) >= 0); /* reads stay allowed */
	/* The devices: /dev/null is writable, even with O_TRUNC as a shell opens it. */
	CHILD_CHECK(open("/dev/null", O_WRONLY | O_TRUNC | O_CLOEXEC) >= 0);
	CHILD_CHECK(prctl_no_new_privs_set());
	fence_release(&f);
}

static void test_apply_in_child(void **state)
{
	const char *dir = *state;
	const char *why;
	int abi = fence_abi(&why);
	if (abi < 1) {
		print_message("no Landlock here: %s\n", why);
		skip();
	}
	char p[4096];
	snprintf(p, sizeof(p), "%s/in", dir);
	make_dir(p, 0700);
	snprintf(p, sizeof(p), "%s/out", dir);
	make_dir(p, 0700);
	snprintf(p, sizeof(p), "%s/out/old", dir);
	write_file(p, "old\n", 0600);
	struct child c = {.dir = dir, .abi = abi};
	assert_child_ok(fenced_child, &c);
	/* Outside the child nothing is fenced, and nothing was written outside. */
	assert_file_text(p, "old\n");
	snprintf(p, sizeof(p), "%s/out/f", dir);
	assert_missing(p);
	snprintf(p, sizeof(p), "%s/in/moved", dir);
	assert_exists(p);
}

/* A path the child's view does not show (an --allow-write a private /tmp hides) is skipped:
 * the fence still applies. One that cannot be looked up for another reason is the error. */
static void missing_child(void *arg)
{
	struct fence f;
	fence_init(&f, *(int *)arg);
	char bad[300];
	memset(bad, 'x', sizeof(bad) - 1);
	bad[0] = '/';
	bad[sizeof(bad) - 1] = '\0';
	fence_allow(&f, bad); /* a name longer than NAME_MAX: ENAMETOOLONG */
	struct fence_failure ff = {0};
	CHILD_CHECK(fence_apply(&f, NULL, -1, &ff) < 0);
	CHILD_CHECK(ff.at == 0 && ff.err == ENAMETOOLONG);
	struct isola_error e = {0};
	CHILD_CHECK(fence_failure_describe(&f, NULL, &ff, &e) < 0);
	CHILD_CHECK(strstr(e.message, "cannot allow writing beneath '/xxx"));
	/* Nothing was applied: writing anywhere still works as before. */
	CHILD_CHECK(!prctl_no_new_privs_set());
	fence_release(&f);

	fence_init(&f, *(int *)arg);
	fence_allow(&f, "/nonexistent/isola-fence");
	CHILD_CHECK(fence_apply(&f, NULL, -1, &ff) == 0);
	CHILD_CHECK(prctl_no_new_privs_set());
	fence_release(&f);
}

static void test_missing_path_is_skipped(void **state)
{
	(void)state;
	int abi = fence_abi(NULL);
	if (abi < 1)
		skip();
	assert_child_ok(missing_child, &abi);
}

static void test_refused_paths(void **state)
{
	(void)state;
	static const char log[] =
	    "/w/t.sh: 2: cannot create /out/x: Permission denied\n"
	    "touch: cannot touch '/out/y': Permission denied\n"
	    "mkdir: cannot create directory \xe2\x80\x98/out/d\xe2\x80\x99: Permission denied\n"
	    "bash: /out/z: Permission denied\n"
	    "PermissionError: [Errno 13] Permission denied: '/out/py'\n"
	    "mv: cannot move '/sb/a' to '/out/moved': Permission denied\n"
	    "rm: cannot remove '/out/x': Permission denied\n"      /* said twice: once */
	    "cannot create /sb/inner: Permission denied\n"         /* in the sandbox: not it */
	    "cannot create /allowed/deep/f: Permission denied\n"   /* allowed: not it */
	    "cannot create /allowedx/f: Permission denied\n"       /* a sibling: it is */
	    "cannot create relative/x: Permission denied\n"        /* not absolute */
	    "write /out/nope: No space left on device\n"           /* not a refusal */
	    "no newline at the end: '/out/last': Permission denied";
	char *allowed[] = {"/sb", "/allowed/"};
	struct strv out = STRV_INIT;
	size_t n = fence_refused_paths(log, sizeof(log) - 1, allowed, 2, &out, 100);
	assert_int_equal(n, 8);
	assert_int_equal(out.n, 8);
	const char *want[] = {"/out/x",  "/out/y",     "/out/d",     "/out/z",
	                      "/out/py", "/out/moved", "/allowedx/f", "/out/last"};
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(out.v[i], want[i]);
	strv_release(&out);
	/* At most max. */
	n = fence_refused_paths(log, sizeof(log) - 1, allowed, 2, &out, 3);
	assert_int_equal(n, 3);
	assert_int_equal(out.n, 3);
	strv_release(&out);
	/* A control character makes it no path worth reporting. */
	static const char ctl[] = "cannot create /out/a\x1b[31m: Permission denied\n";
	assert_int_equal(fence_refused_paths(ctl, sizeof(ctl) - 1, allowed, 2, &out, 10), 0);
	strv_release(&out);
}

/* fence_plan: the real thing bound back becomes read-only, but the sandbox, a tree's overlay and
 * an --allow-write path; each --allow-write inside a read-only bind is bound again, writable
 * (the plan grows while it is walked: under ASan a held op would be a use after free). */
static void test_plan_read_only(void **state)
{
	(void)state;
	struct mount_plan p = MOUNT_PLAN_INIT;
	mount_plan_set_root(&p, "/sb/1");
	mount_plan_add(&p, MOUNT_BIND, "/tmp", "/sb/1/tmp", NULL, NULL);     /* a cover */
	mount_plan_add(&p, MOUNT_BIND, "/tmp/prog", "/tmp/prog", NULL, NULL); /* real */
	mount_plan_add(&p, MOUNT_BIND, "/sb/1", "/sb/1", NULL, NULL);         /* the sandbox */
	mount_plan_add(&p, MOUNT_OVERLAY, "/src", "/src", "/sb/1/.isola/1/upper",
		       "/sb/1/.isola/1/work");
	assert_int_equal(p.n, 4);
	mount_plan_add(&p, MOUNT_BIND, "/src", "/src", NULL, NULL);       /* the tree, bound back */
	mount_plan_add(&p, MOUNT_BIND, "/src/out", "/src/out", NULL, NULL); /* a --share */
	mount_plan_add(&p, MOUNT_BIND, "/src/res", "/src/res", NULL, NULL); /* a --share, allowed */
	mount_plan_add(&p, MOUNT_BIND_RO, "ro", "/etc", NULL, NULL);
	assert_int_equal(p.n, p.cap); /* the next add moves p.v */
	struct strv allow = STRV_INIT;
	strv_push(&allow, "/tmp/prog/a");
	strv_push(&allow, "/tmp/prog/b");
	strv_push(&allow, "/src/res");
	fence_plan(&p, "/sb/1", &allow);
	assert_false(p.v[0].ro);
	assert_true(p.v[1].ro);
	assert_false(p.v[2].ro);
	assert_false(p.v[4].ro);
	assert_true(p.v[5].ro);
	assert_false(p.v[6].ro);
	assert_false(p.v[7].ro);
	assert_int_equal(p.n, 10);
	assert_string_equal(p.v[8].target, "/tmp/prog/a");
	assert_string_equal(p.v[9].target, "/tmp/prog/b");
	assert_false(p.v[8].ro || p.v[9].ro);
	strv_release(&allow);
	mount_plan_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rights_per_abi),
	    SCRATCH_TEST(test_apply_in_child),
	    cmocka_unit_test(test_missing_path_is_skipped),
	    cmocka_unit_test(test_refused_paths),
	    cmocka_unit_test(test_plan_read_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/stage: parsing resource specs, and staging them into a sandbox by copy.
 * Each test's scratch directory (*state) holds a source tree and a "sandbox" directory.
 */
#include "unit.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include "stage/stage.h"

/* --- resources_add ----------------------------------------------------------------------- */

static void add_ok(struct resources *l, enum resource_kind kind, const char *spec, const char *base,
                   const char *want_src, const char *want_dest)
{
	struct isola_error e = {0};
	size_t n = l->n;
	if (resources_add(l, kind, spec, base, &e) != 0)
		fail_msg("resources_add(\"%s\") refused it: %s", spec, e.message);
	assert_int_equal(l->n, n + 1);
	const struct resource *r = &l->v[n];
	assert_int_equal(r->kind, kind);
	if (want_src)
		assert_string_equal(r->src, want_src);
	else
		assert_null(r->src);
	assert_string_equal(r->dest, want_dest);
}

static void add_refused(struct resources *l, enum resource_kind kind, const char *spec,
                        const char *want_in_message)
{
	struct isola_error e = {0};
	size_t n = l->n;
	if (resources_add(l, kind, spec, "/base", &e) != -1)
		fail_msg("resources_add(\"%s\") accepted it as dest '%s'", spec,
		         l->v[l->n - 1].dest);
	assert_int_equal(l->n, n);
	assert_contains(e.message, want_in_message);
}

static void test_resources_add_default_dest(void **state)
{
	(void)state;
	struct resources l = {0};
	add_ok(&l, RES_COPY, "fixtures", "/base", "/base/fixtures", "fixtures");
	add_ok(&l, RES_COPY, "a/b", "/base", "/base/a/b", "b");
	add_ok(&l, RES_COPY, "a/b/", "/base", "/base/a/b/", "b");
	add_ok(&l, RES_COPY, "a/b//", "/base", "/base/a/b//", "b");
	add_ok(&l, RES_COPY, "/abs/data.db", "/base", "/abs/data.db", "data.db");
	add_ok(&l, RES_COPY, "rel", NULL, "rel", "rel");
	add_ok(&l, RES_COPY, "../up/x", "/base", "/base/../up/x", "x"); /* SRC may be anywhere */
	assert_int_equal(l.n, 7);
	resources_release(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

static void test_resources_add_explicit_dest(void **state)
{
	(void)state;
	struct resources l = {0};
	add_ok(&l, RES_COPY, "data:x/y", "/base", "/base/data", "x/y");
	add_ok(&l, RES_COPY, "data:./x//y", "/base", "/base/data", "x/y");
	add_ok(&l, RES_COPY, "data:x/./y/", "/base", "/base/data", "x/y");
	add_ok(&l, RES_COPY, "data:.//x", "/base", "/base/data", "x");
	add_ok(&l, RES_COPY, "data:...", "/base", "/base/data", "..."); /* just a name */
	add_ok(&l, RES_COPY, "data:..x/x..", "/base", "/base/data", "..x/x..");
	add_ok(&l, RES_COPY, "/abs:renamed", "/base", "/abs", "renamed");
	for (int i = 0; i < 20; i++) /* growth */
		add_ok(&l, RES_COPY, "s:d", "/b", "/b/s", "d");
	resources_release(&l);
}

static void test_resources_add_refusals(void **state)
{
	(void)state;
	struct resources l = {0};
	add_ok(&l, RES_COPY, "first", "/base", "/base/first", "first");
	add_refused(&l, RES_COPY, "", "empty source");
	add_refused(&l, RES_COPY, ":dest", "empty source in ':dest'");
	add_refused(&l, RES_COPY, "a:/abs", "destination '/abs' must be a relative path");
	add_refused(&l, RES_COPY, "a:..", "destination '..'");
	add_refused(&l, RES_COPY, "a:../b", "destination '../b'");
	add_refused(&l, RES_COPY, "a:a/../../b", "destination 'a/../../b'");
	add_refused(&l, RES_COPY, "a:a/../b", "destination 'a/../b'");
	add_refused(&l, RES_COPY, "a:b/..", "destination 'b/..'");
	add_refused(&l, RES_COPY, "a:", "destination ''");
	add_refused(&l, RES_COPY, "a:.", "destination '.'");
	add_refused(&l, RES_COPY, "a:./", "destination './'");
	add_refused(&l, RES_COPY, "a://", "destination '//'");
	add_refused(&l, RES_COPY, "..", "destination '..'"); /* default DEST of ".." */
	add_refused(&l, RES_COPY, "x/..", "destination '..'");
	add_refused(&l, RES_COPY, ".", "destination '.'");
	add_refused(&l, RES_COPY, "/", "destination ''");
	/* The list is as it was. */
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].dest, "first");
	resources_release(&l);
}

static void test_resources_add_mkdir(void **state)
{
	(void)state;
	struct resources l = {0};
	add_ok(&l, RES_MKDIR, "out", "/base", NULL, "out");
	add_ok(&l, RES_MKDIR, "./out//logs/", "/base", NULL, "out/logs");
	add_ok(&l, RES_MKDIR, "a:b", "/base", NULL, "a:b"); /* no SRC: the colon is a name */
	add_refused(&l, RES_MKDIR, "/abs", "destination '/abs'");
	add_refused(&l, RES_MKDIR, "../x", "destination '../x'");
	add_refused(&l, RES_MKDIR, "", "destination ''");
	add_refused(&l, RES_MKDIR, ".", "destination '.'");
	assert_int_equal(l.n, 3);
	resources_release(&l);
}

static void test_resources_extend(void **state)
{
	(void)state;
	struct resources a = {0}, b = {0};
	struct isola_error e = {0};
	assert_int_equal(resources_add(&a, RES_COPY, "x:y", "/b", &e), 0);
	assert_int_equal(resources_add(&a, RES_MKDIR, "m", "/b", &e), 0);
	assert_int_equal(resources_add(&b, RES_COPY, "first", "/b", &e), 0);
	resources_extend(&b, &a);
	resources_extend(&b, &a);
	assert_int_equal(b.n, 5);
	assert_string_equal(b.v[0].dest, "first");
	assert_string_equal(b.v[1].src, "/b/x");
	assert_string_equal(b.v[1].dest, "y");
	assert_int_equal(b.v[2].kind, RES_MKDIR);
	assert_null(b.v[2].src);
	assert_string_equal(b.v[4].dest, "m");
	/* Deep copies: the original can go. */
	assert_ptr_not_equal(b.v[1].dest, a.v[0].dest);
	resources_release(&a);
	assert_string_equal(b.v[3].src, "/b/x");
	resources_release(&b);
}

/* --- staging ----------------------------------------------------------------------------- */

/* Parse spec relative to the scratch dir and stage it into scratch/sb. */
static int stage(const char *s, enum resource_kind kind, const char *spec, struct isola_error *e)
{
	struct resources l = {0};
	struct isola_error pe = {0};
	if (resources_add(&l, kind, spec, s, &pe) < 0)
		fail_msg("resources_add(\"%s\"): %s", spec, pe.message);
	int sbfd = open(P("%s/sb", s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sbfd < 0) {
		make_dir(P("%s/sb", s), 0700);
		sbfd = open(P("%s/sb", s), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	assert_true(sbfd >= 0);
	int r = stage_resource(sbfd, &l.v[0], e);
	close(sbfd);
	resources_release(&l);
	return r;
}

static int check(const char *s, const char *spec, struct isola_error *e)
{
	struct resources l = {0};
	struct isola_error pe = {0};
	if (resources_add(&l, RES_COPY, spec, s, &pe) < 0)
		fail_msg("resources_add(\"%s\"): %s", spec, pe.message);
	int r = stage_check(&l.v[0], e);
	resources_release(&l);
	return r;
}

static void set_times(const char *path, long sec, long nsec)
{
	struct timespec t[2] = {{.tv_sec = sec - 1000, .tv_nsec = 1},
	                        {.tv_sec = sec, .tv_nsec = nsec}};
	if (utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("utimensat '%s': %s", path, strerror(errno));
}

/* Compare two trees: types, modes, mtimes (ns), symlink targets, file contents. */
static void assert_same_tree(const char *a, const char *b)
{
	struct stat sa, sb;
	if (lstat(a, &sa) < 0 || lstat(b, &sb) < 0)
		fail_msg("cannot stat '%s' or '%s': %s", a, b, strerror(errno));
	if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
		fail_msg("'%s' and '%s' differ in type", a, b);
	if (!S_ISLNK(sa.st_mode) && (sa.st_mode & 07777) != (sb.st_mode & 07777))
		fail_msg("'%s' has mode %o, its copy '%s' %o", a, sa.st_mode & 07777, b,
		         sb.st_mode & 07777);
	if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
		fail_msg("'%s' has mtime %lld.%09ld, its copy %lld.%09ld", a,
		         (long long)sa.st_mtim.tv_sec, sa.st_mtim.tv_nsec,
		         (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	if (S_ISLNK(sa.st_mode)) {
		char ta[4096], tb[4096];
		ssize_t na = readlink(a, ta, sizeof(ta)), nb = readlink(b, tb, sizeof(tb));
		if (na < 0 || na != nb || memcmp(ta, tb, (size_t)na) != 0)
			fail_msg("symlinks '%s' and '%s' differ", a, b);
	} else if (S_ISREG(sa.st_mode)) {
		/* The copy must be readable by us even when the original mode says otherwise. */
		size_t la = 0, lb = 0;
		char *ca = read_file_n(a, &la), *cb = read_file_n(b, &lb);
		if (!ca || !cb || la != lb || memcmp(ca, cb, la) != 0)
			fail_msg("'%s' and '%s' differ in content", a, b);
		free(ca);
		free(cb);
	} else if (S_ISDIR(sa.st_mode)) {
		DIR *d = opendir(a);
		assert_non_null(d);
		struct dirent *de;
		int n = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			n++;
			char *ea = xasprintf("%s/%s", a, de->d_name);
			char *eb = xasprintf("%s/%s", b, de->d_name);
			assert_same_tree(ea, eb);
			free(ea);
			free(eb);
		}
		closedir(d);
		if (count_entries(b) != n)
			fail_msg("'%s' has %d entries, its copy '%s' %d", a, n, b,
			         count_entries(b));
	}
}

static void test_copy_tree_preserves_everything(void **state)
{
	const char *s = *state;
	make_dir(P("%s/src", s), 0755);
	write_file(P("%s/src/exec.sh", s), "#!/bin/sh\nexit 0\n", 0755);
	write_file(P("%s/src/secret", s), "key", 0600);
	write_file(P("%s/src/ro", s), "ro", 0444);
	write_file(P("%s/src/odd", s), "odd", 0741);
	write_file(P("%s/src/empty-file", s), "", 0644);
	make_dir(P("%s/src/empty-dir", s), 0750);
	make_dir(P("%s/src/sub", s), 0755);
	make_dir(P("%s/src/sub/deeper", s), 0711);
	write_file(P("%s/src/sub/deeper/data", s), "deep data\n", 0640);
	make_dir(P("%s/src/locked", s), 0755);
	write_file(P("%s/src/locked/inside", s), "in a read-only dir", 0644);
	make_symlink("exec.sh", P("%s/src/rel-link", s));
	make_symlink("../secret", P("%s/src/sub/up-link", s));
	make_symlink("does/not/exist", P("%s/src/dangling", s));
	make_symlink("/etc/hostname", P("%s/src/abs-link", s));
	make_symlink("sub", P("%s/src/dir-link", s));
	/* Distinct nanosecond mtimes everywhere, directories last (their own entries touch them).
	 */
	const char *leaves[] = {
	    "exec.sh",       "secret",   "ro",          "odd",      "empty-file", "sub/deeper/data",
	    "locked/inside", "rel-link", "sub/up-link", "dangling", "abs-link",   "dir-link"};
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++)
		set_times(P("%s/src/%s", s, leaves[i]), 1500000000 + (long)i * 1000,
		          123456789 + (long)i);
	const char *dirs[] = {"empty-dir", "sub/deeper", "sub", "locked", ""};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		set_times(P("%s/src/%s", s, dirs[i]), 1600000000 + (long)i, 987654321 - (long)i);
	assert_int_equal(chmod(P("%s/src/locked", s), 0555), 0);
	set_times(P("%s/src/locked", s), 1600000003, 987654318);

	struct isola_error e = {0};
	int r = stage(s, RES_COPY, "src:copy", &e);
	if (r != 0)
		fail_msg("stage_resource: %s", e.message);
	assert_int_equal(mode_of(P("%s/sb/copy/rel-link", s)) & S_IFMT, S_IFLNK);
	assert_int_equal(mode_of(P("%s/sb/copy/dir-link", s)) & S_IFMT, S_IFLNK);
	assert_int_equal(mode_of(P("%s/sb/copy/dangling", s)) & S_IFMT, S_IFLNK);
	assert_int_equal(mode_of(P("%s/sb/copy/locked", s)) & 07777, 0555);
	assert_int_equal(mode_of(P("%s/sb/copy/odd", s)) & 07777, 0741);
	assert_same_tree(P("%s/src", s), P("%s/sb/copy", s));
	/* The test checks itself: the source really had nanosecond times. */
	struct stat st;
	assert_int_equal(lstat(P("%s/src/sub/deeper/data", s), &st), 0);
	assert_int_equal(st.st_mtim.tv_nsec, 123456789 + 5);
	/* Staging reads only: the source tree is as it was. */
	assert_int_equal(lstat(P("%s/src", s), &st), 0);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321 - 4);
}

static void fill_pattern(unsigned char *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		buf[i] = (unsigned char)(seed >> 24);
	}
}

static void test_copy_large_file(void **state)
{
	const char *s = *state;
	size_t n = 20u << 20;
	unsigned char *buf = malloc(n + 7);
	fill_pattern(buf, n + 7, 42);
	write_file_n(P("%s/big", s), buf, n + 7, 0640);
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "big", &e), 0);
	size_t len;
	char *copy = read_file_n(P("%s/sb/big", s), &len);
	assert_non_null(copy);
	assert_int_equal(len, n + 7);
	assert_true(memcmp(copy, buf, n + 7) == 0);
	assert_int_equal(mode_of(P("%s/sb/big", s)) & 07777, 0640);
	free(copy);
	free(buf);
}

static void test_copy_sparse_file(void **state)
{
	const char *s = *state;
	const char *path = P("%s/sparse", s);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	off_t size = 48 << 20;
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(pwrite(fd, "head", 4, 0), 4);
	assert_int_equal(pwrite(fd, "middle", 6, 17 << 20), 6);
	assert_int_equal(pwrite(fd, "tail", 4, size - 4), 4);
	close(fd);

	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "sparse:holes", &e), 0);
	size_t la = 0, lb = 0;
	char *a = read_file_n(P("%s/sparse", s), &la);
	char *b = read_file_n(P("%s/sb/holes", s), &lb);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(la, (size_t)size);
	assert_int_equal(lb, (size_t)size);
	assert_true(memcmp(a, b, la) == 0);
	assert_memory_equal(b + (17 << 20), "middle", 6);
	free(a);
	free(b);
}

static void test_copy_is_private(void **state)
{
	const char *s = *state;
	make_dir(P("%s/src", s), 0755);
	write_file(P("%s/src/f", s), "original", 0644);
	make_dir(P("%s/src/d", s), 0755);
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "src", &e), 0);

	/* Overwrite, append, truncate, add and delete in the copy. */
	write_file(P("%s/sb/src/f", s), "changed by the test", 0600);
	int fd = open(P("%s/sb/src/f", s), O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_int_equal(write(fd, "+", 1), 1);
	close(fd);
	write_file(P("%s/sb/src/d/new", s), "new", 0644);
	assert_int_equal(rmdir(P("%s/sb/src/d", s)), -1); /* not empty: the file went in */
	assert_int_equal(unlink(P("%s/sb/src/d/new", s)), 0);
	assert_int_equal(rmdir(P("%s/sb/src/d", s)), 0);

	assert_file_text(P("%s/src/f", s), "original");
	assert_int_equal(mode_of(P("%s/src/f", s)) & 07777, 0644);
	assert_int_equal(count_entries(P("%s/src/d", s)), 0);
	assert_exists(P("%s/src/d", s));
	/* Not a hard link either. */
	struct stat a, b;
	assert_int_equal(stat(P("%s/src/f", s), &a), 0);
	assert_int_equal(stat(P("%s/sb/src/f", s), &b), 0);
	assert_int_equal(a.st_nlink, 1);
	assert_true(a.st_ino != b.st_ino);
}

static void test_refuses_fifo(void **state)
{
	const char *s = *state;
	make_dir(P("%s/src", s), 0755);
	make_dir(P("%s/src/sub", s), 0755);
	write_file(P("%s/src/sub/a", s), "x", 0644);
	assert_int_equal(mkfifo(P("%s/src/sub/pipe", s), 0644), 0);
	cleanup_free char *fifo = xstrdup(P("%s/src/sub/pipe", s));

	alarm(10); /* opening a fifo would block: fail loudly instead of hanging */
	struct isola_error e = {0};
	assert_int_equal(check(s, "src", &e), -1);
	assert_string_equal(e.path, fifo);
	assert_contains(e.message, P("'%s'", fifo));
	assert_contains(e.message, "fifo");
	assert_int_equal(count_entries(s), 1); /* the check wrote nothing */

	memset(&e, 0, sizeof(e));
	assert_int_equal(stage(s, RES_COPY, "src", &e), -1);
	assert_string_equal(e.path, fifo);
	assert_contains(e.message, "fifo");

	/* The resource itself a fifo. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(stage(s, RES_COPY, "src/sub/pipe:p2", &e), -1);
	assert_contains(e.message, P("'%s'", fifo));
	assert_contains(e.message, "fifo");
	assert_missing(P("%s/sb/p2", s));
	memset(&e, 0, sizeof(e));
	assert_int_equal(check(s, "src/sub/pipe", &e), -1);
	assert_contains(e.message, "fifo");
	alarm(0);
}

static void test_refuses_socket_and_device(void **state)
{
	const char *s = *state;
	make_dir(P("%s/src", s), 0755);
	const char *sock = P("%s/src/sock", s);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(sa.sun_path))
		skip();
	strcpy(sa.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);

	struct isola_error e = {0};
	assert_int_equal(check(s, "src", &e), -1);
	assert_contains(e.message, "socket");
	assert_string_equal(e.path, P("%s/src/sock", s));
	assert_int_equal(unlink(P("%s/src/sock", s)), 0);

	if (mknod(P("%s/src/null", s), S_IFCHR | 0666, makedev(1, 3)) < 0)
		skip(); /* needs CAP_MKNOD */
	memset(&e, 0, sizeof(e));
	assert_int_equal(stage(s, RES_COPY, "src", &e), -1);
	assert_contains(e.message, "character device");
	assert_string_equal(e.path, P("%s/src/null", s));
}

static void test_top_symlink_is_followed(void **state)
{
	const char *s = *state;
	make_dir(P("%s/real", s), 0750);
	write_file(P("%s/real/f", s), "content", 0644);
	make_symlink("real", P("%s/link", s));
	write_file(P("%s/file", s), "file content", 0755);
	make_symlink("file", P("%s/file-link", s));
	make_symlink("nowhere", P("%s/dangling", s));

	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "link", &e), 0);
	assert_true(S_ISDIR(mode_of(P("%s/sb/link", s))));
	assert_int_equal(mode_of(P("%s/sb/link", s)) & 07777, 0750);
	assert_file_text(P("%s/sb/link/f", s), "content");

	assert_int_equal(stage(s, RES_COPY, "file-link", &e), 0);
	assert_true(S_ISREG(mode_of(P("%s/sb/file-link", s))));
	assert_int_equal(mode_of(P("%s/sb/file-link", s)) & 07777, 0755);
	assert_file_text(P("%s/sb/file-link", s), "file content");

	/* Dangling at the top: nothing to copy, and the message names it. */
	assert_int_equal(stage(s, RES_COPY, "dangling", &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_contains(e.message, P("cannot copy '%s/dangling'", s));
	assert_missing(P("%s/sb/dangling", s));
}

static void test_nested_dest_creates_parents(void **state)
{
	const char *s = *state;
	write_file(P("%s/f", s), "data", 0600);
	make_dir(P("%s/d", s), 0700);
	write_file(P("%s/d/g", s), "g", 0644);
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "f:a/b/c", &e), 0);
	assert_true(S_ISDIR(mode_of(P("%s/sb/a", s))));
	assert_true(S_ISDIR(mode_of(P("%s/sb/a/b", s))));
	assert_file_text(P("%s/sb/a/b/c", s), "data");
	assert_int_equal(mode_of(P("%s/sb/a/b/c", s)) & 07777, 0600);
	/* A second resource into the same, now existing, parents. */
	assert_int_equal(stage(s, RES_COPY, "d:./a//b/d", &e), 0);
	assert_file_text(P("%s/sb/a/b/d/g", s), "g");
	assert_int_equal(count_entries(P("%s/sb/a/b", s)), 2);
}

static void test_mkdir(void **state)
{
	const char *s = *state;
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_MKDIR, "out", &e), 0);
	assert_true(S_ISDIR(mode_of(P("%s/sb/out", s))));
	assert_int_equal(count_entries(P("%s/sb/out", s)), 0);
	assert_int_equal(stage(s, RES_MKDIR, "x/y/z", &e), 0);
	assert_true(S_ISDIR(mode_of(P("%s/sb/x/y/z", s))));
	/* Already there: fine. */
	assert_int_equal(stage(s, RES_MKDIR, "x/y", &e), 0);
	assert_int_equal(count_entries(P("%s/sb/x/y", s)), 1);
	/* In the way: a file. */
	write_file(P("%s/sb/file", s), "", 0644);
	assert_int_equal(stage(s, RES_MKDIR, "file/sub", &e), -1);
	assert_int_equal(e.code, ENOTDIR);
	assert_contains(e.message, "'file/sub'");
}

static void test_stage_check(void **state)
{
	const char *s = *state;
	struct isola_error e = {0};
	assert_int_equal(check(s, "missing", &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.path, P("%s/missing", s));
	assert_contains(e.message, P("cannot copy '%s/missing'", s));
	assert_contains(e.message, strerror(ENOENT));

	make_dir(P("%s/tree", s), 0755);
	make_dir(P("%s/tree/d", s), 0755);
	write_file(P("%s/tree/d/f", s), "x", 0644);
	make_symlink("nowhere", P("%s/tree/d/dangling", s));
	assert_int_equal(check(s, "tree:dest", &e), 0);
	assert_int_equal(check(s, "tree/d/f", &e), 0);
	assert_int_equal(count_entries(s), 1); /* nothing written anywhere */
	assert_int_equal(count_entries(P("%s/tree/d", s)), 2);

	struct resource mk = {.kind = RES_MKDIR, .src = NULL, .dest = "anything"};
	assert_int_equal(stage_check(&mk, &e), 0);

	/* Staging a missing source fails the same way. */
	assert_int_equal(stage(s, RES_COPY, "missing", &e), -1);
	assert_int_equal(e.code, ENOENT);
	assert_missing(P("%s/sb/missing", s));
}

static void unreadable_child(void *arg)
{
	const char *s = arg;
	CHILD_CHECK(drop_effective_caps() == 0);
	struct resources l = {0};
	struct isola_error e = {0};
	CHILD_CHECK(resources_add(&l, RES_COPY, "src", s, &e) == 0);
	CHILD_CHECK(stage_check(&l.v[0], &e) == -1);
	CHILD_CHECK(e.code == EACCES);
	CHILD_CHECK(strcmp(e.path, P("%s/src/secret", s)) == 0);
	resources_release(&l);
}

static void test_stage_check_unreadable_file(void **state)
{
	const char *s = *state;
	make_dir(P("%s/src", s), 0755);
	write_file(P("%s/src/secret", s), "x", 0000);
	assert_child_ok(unreadable_child, (void *)s);
}

static void test_dest_exists_fails(void **state)
{
	const char *s = *state;
	write_file(P("%s/f", s), "new", 0644);
	make_dir(P("%s/sb", s), 0700);
	write_file(P("%s/sb/f", s), "already there", 0644);
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "f", &e), -1);
	assert_int_equal(e.code, EEXIST);
	assert_contains(e.message, P("cannot copy '%s/f'", s));
	assert_file_text(P("%s/sb/f", s), "already there");
}

static void test_never_follows_symlink_in_sandbox(void **state)
{
	const char *s = *state;
	write_file(P("%s/f", s), "payload", 0644);
	make_dir(P("%s/outside", s), 0755);
	make_dir(P("%s/sb", s), 0700);
	make_symlink(P("%s/outside", s), P("%s/sb/a", s));
	struct isola_error e = {0};
	assert_int_equal(stage(s, RES_COPY, "f:a/b", &e), -1);
	/* O_NOFOLLOW|O_DIRECTORY on a symlink: ENOTDIR on Linux (ELOOP elsewhere). */
	assert_true(e.code == ENOTDIR || e.code == ELOOP);
	assert_contains(e.message, "'a/b'");
	assert_int_equal(count_entries(P("%s/outside", s)), 0);
	assert_int_equal(stage(s, RES_MKDIR, "a/c", &e), -1);
	assert_int_equal(count_entries(P("%s/outside", s)), 0);
	/* A symlink as the leaf is not written through either. */
	make_symlink(P("%s/outside/leaf", s), P("%s/sb/leaf", s));
	assert_int_equal(stage(s, RES_COPY, "f:leaf", &e), -1);
	assert_missing(P("%s/outside/leaf", s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resources_add_default_dest),
	    cmocka_unit_test(test_resources_add_explicit_dest),
	    cmocka_unit_test(test_resources_add_refusals),
	    cmocka_unit_test(test_resources_add_mkdir),
	    cmocka_unit_test(test_resources_extend),
	    SCRATCH_TEST(test_copy_tree_preserves_everything),
	    SCRATCH_TEST(test_copy_large_file),
	    SCRATCH_TEST(test_copy_sparse_file),
	    SCRATCH_TEST(test_copy_is_private),
	    SCRATCH_TEST(test_refuses_fifo),
	    SCRATCH_TEST(test_refuses_socket_and_device),
	    SCRATCH_TEST(test_top_symlink_is_followed),
	    SCRATCH_TEST(test_nested_dest_creates_parents),
	    SCRATCH_TEST(test_mkdir),
	    SCRATCH_TEST(test_stage_check),
	    SCRATCH_TEST(test_stage_check_unreadable_file),
	    SCRATCH_TEST(test_dest_exists_fails),
	    SCRATCH_TEST(test_never_follows_symlink_in_sandbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL) ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for --partition (src/testlist/partition.c): a simulation of N shards of a
 * 1,000-test list for N = 1..8 and each strategy (disjoint, covering, balanced), hash shards
 * that do not move when tests are added, the hash pinned (shards computed by different builds
 * must agree), time: shards within 10% of the ideal makespan given recorded durations, timings
 * files read or refused, K and N from each CI engine's environment, and every bad value refused;
 * and the order tests wait for (after =, src/sched/order.c): globs resolved within the list,
 * circles refused with two of their tests named.
 */
#include "unit.h"

#include <dirent.h>
#include <unistd.h>

#include "sched/order.h"
#include "testlist/partition.h"

#define NTESTS 1000

/* A list of n tests named PREFIX0000.. (only names: what the split looks at). */
static void make_list(struct testlist *tl, const char *prefix, size_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (tl->n == tl->cap) {
			tl->cap = tl->cap ? tl->cap * 2 : 64;
			tl->v = xrealloc(tl->v, tl->cap * sizeof(*tl->v));
		}
		tl->v[tl->n++] = (struct test){.name = xasprintf("%s%04zu", prefix, first + i)};
	}
}

static struct partition part(enum partition_strategy s, unsigned k, unsigned n)
{
	return (struct partition){.on = true, .strategy = s, .k = k, .n = n};
}

/* For each N and strategy: every test is in exactly one of the N shards that partition_apply
 * keeps, and the shards are as even as the strategy promises. */
static void test_shards_are_disjoint_and_cover(void **state)
{
	(void)state;
	for (int s = PART_HASH; s <= PART_SLICE; s++) {
		for (unsigned n = 1; n <= 8; n++) {
			unsigned seen[NTESTS] = {0};
			size_t smallest = NTESTS, largest = 0;
			for (unsigned k = 1; k <= n; k++) {
				struct testlist tl = {0};
				make_list(&tl, "t", 0, NTESTS);
				struct partition p = part((enum partition_strategy)s, k, n);
				size_t dropped = partition_apply(&p, &tl);
				assert_int_equal(dropped + tl.n, NTESTS);
				for (size_t i = 0; i < tl.n; i++)
					seen[atoi(tl.v[i].name + 1)]++;
				if (tl.n < smallest)
					smallest = tl.n;
				if (tl.n > largest)
					largest = tl.n;
				testlist_release(&tl);
			}
			for (size_t i = 0; i < NTESTS; i++)
				if (seen[i] != 1)
					fail_msg("%s, N=%u: t%04zu is in %u shards",
					         s == PART_HASH ? "hash" : "slice", n, i, seen[i]);
			if (s == PART_SLICE)
				assert_true(largest - smallest <= 1);
			else /* 1000/8 = 125 a shard on average; a hash is not exact */
				assert_true(largest <= NTESTS / n + NTESTS / n / 4 + 8 &&
				            smallest + NTESTS / n / 4 + 8 >= NTESTS / n);
		}
	}
}

/* hash: adding 10 unrelated tests moves no test; slice keeps the list's own order. */
static void test_hash_is_stable_when_tests_are_added(void **state)
{
	(void)state;
	for (unsigned n = 2; n <= 8; n++) {
		struct partition p = part(PART_HASH, 1, n);
		for (size_t i = 0; i < NTESTS; i++) {
			const char *name = P("t%04zu", i);
			unsigned before = partition_shard(&p, name, i);
			/* Its place in a longer list does not matter to hash. */
			assert_int_equal(partition_shard(&p, name, i + 10), before);
		}
		/* The same through partition_apply, with ten new names mixed in front. */
		for (unsigned k = 1; k <= n; k++) {
			struct testlist a = {0}, b = {0};
			make_list(&a, "t", 0, NTESTS);
			make_list(&b, "new", 0, 10);
			make_list(&b, "t", 0, NTESTS);
			p.k = k;
			partition_apply(&p, &a);
			partition_apply(&p, &b);
			size_t j = 0;
			for (size_t i = 0; i < b.n; i++) {
				if (strncmp(b.v[i].name, "new", 3) == 0)
					continue;
				assert_true(j < a.n);
				assert_string_equal(b.v[i].name, a.v[j++].name);
			}
			assert_int_equal(j, a.n);
			testlist_release(&a);
			testlist_release(&b);
		}
	}
}

/* The hash is part of the interface: a shard computed by another build must be the same. */
static void test_hash_is_pinned(void **state)
{
	(void)state;
	struct partition p = part(PART_HASH, 1, 3);
	static const struct {
		const char *name;
		unsigned shard;
	} pinned[] = {{"t03", 1}, {"t05", 1}, {"t02", 2}, {"t04", 2}, {"t01", 3}, {"t06", 3}};
	for (size_t i = 0; i < ARRAY_SIZE(pinned); i++)
		assert_int_equal(partition_shard(&p, pinned[i].name, 0), pinned[i].shard);
	/* slice: sorted order, whatever order the list came in. */
	struct testlist tl = {0};
	const char *names[] = {"c", "a", "d", "b", "e"};
	for (size_t i = 0; i < 5; i++) {
		make_list(&tl, names[i], 0, 1);
	}
	struct partition s = part(PART_SLICE, 2, 2);
	partition_apply(&s, &tl);
	assert_int_equal(tl.n, 2);
	assert_string_equal(tl.v[0].name, "d0000"); /* b and d, in the list's order */
	assert_string_equal(tl.v[1].name, "b0000");
	testlist_release(&tl);
}

static void test_parse(void **state)
{
	(void)state;
	struct partition p;
	struct isola_error e = {0};
	assert_int_equal(partition_parse("hash:2/4", &p, &e), 0);
	assert_true(p.on && !p.from_env && p.strategy == PART_HASH && p.k == 2 && p.n == 4);
	assert_int_equal(partition_parse("slice:1/1", &p, &e), 0);
	assert_true(p.strategy == PART_SLICE && p.k == 1 && p.n == 1);
	assert_int_equal(partition_parse("auto", &p, &e), 0);
	assert_true(p.on && p.from_env && p.strategy == PART_HASH);
	assert_int_equal(partition_parse("slice:auto", &p, &e), 0);
	assert_true(p.from_env && p.strategy == PART_SLICE);
	char buf[32];
	assert_int_equal(partition_parse("slice:3/7", &p, &e), 0);
	assert_string_equal(partition_name(&p, buf, sizeof(buf)), "slice:3/7");

	static const char *const bad[] = {
	    "",         "hash",      "hash:",       "hash:1",   "hash:1/",  "hash:/3",
	    "hash:0/3", "hash:3/0",  "hash:4/3",    "hash:a/3", "hash:-1/3", "hash: 1/3",
	    "time", "HASH:1/2",  "hash:1/2/3",  "auto:1/2", "hash:1/100001",
	    "hash:99999999999/3", "slice:auto:x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err_clear(&e);
		if (partition_parse(bad[i], &p, &e) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_contains(e.message, "--partition");
		assert_contains(e.message, P("'%s'", bad[i]));
	}
	err_clear(&e);
	assert_int_equal(partition_parse("hash:4/3", &p, &e), -1);
	assert_contains(e.message, "shard 4 of 3 does not exist");
}

/* A fake environment for partition_from_env(). */
static const char *const *fake_env;
static const char *fake_get(const char *name)
{
	for (const char *const *v = fake_env; v && *v; v += 2)
		if (strcmp(v[0], name) == 0)
			return v[1];
	return NULL;
}

/* K/N from env (NULL-terminated NAME, VALUE pairs); returns 0/-1, fills *p and *e. */
static int from(const char *const *env, unsigned count_opt, struct partition *p,
                struct isola_error *e)
{
	fake_env = env;
	err_clear(e);
	assert_int_equal(partition_parse("auto", p, e), 0);
	return partition_from_env(p, count_opt, fake_get, e);
}

static void test_engines(void **state)
{
	(void)state;
	struct partition p;
	struct isola_error e = {0};
	static const struct {
		const char *env[12];
		unsigned count_opt, k, n;
		const char *source;
	} good[] = {
	    {{"CI_NODE_INDEX", "2", "CI_NODE_TOTAL", "4", NULL}, 0, 2, 4, "GitLab"},
	    {{"CIRCLE_NODE_INDEX", "0", "CIRCLE_NODE_TOTAL", "3", NULL}, 0, 1, 3, "CircleCI"},
	    {{"BUILDKITE_PARALLEL_JOB", "4", "BUILDKITE_PARALLEL_JOB_COUNT", "5", NULL}, 0, 5, 5,
	     "Buildkite"},
	    {{"JOB_COMPLETION_INDEX", "3", NULL}, 8, 4, 8, "Kubernetes"},
	    {{"JOB_COMPLETION_INDEX", "0", "ISOLA_PARTITION_COUNT", "2", NULL}, 0, 1, 2,
	     "Kubernetes"},
	    {{"SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_MIN", "5", "SLURM_ARRAY_TASK_MAX", "8",
	      "SLURM_ARRAY_TASK_COUNT", "4", NULL},
	     0, 3, 4, "Slurm"},
	    {{"SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "6",
	      "SLURM_ARRAY_TASK_STEP", "2", NULL},
	     0, 3, 4, "Slurm"},
	    {{"ISOLA_PARTITION_INDEX", "1", "ISOLA_PARTITION_COUNT", "1", NULL}, 0, 1, 1, "isola"},
	    /* Two engines that agree. */
	    {{"CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "2", "SLURM_ARRAY_TASK_ID", "0",
	      "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "1", NULL},
	     0, 1, 2, "GitLab"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (from(good[i].env, good[i].count_opt, &p, &e) != 0)
			fail_msg("case %zu: %s", i, e.message);
		assert_int_equal(p.k, good[i].k);
		assert_int_equal(p.n, good[i].n);
		assert_contains(p.source, good[i].source);
		assert_false(p.from_env);
	}

	static const struct {
		const char *env[12];
		const char *says;
	} bad[] = {
	    {{NULL}, "no CI engine's shard index is set"},
	    {{"CI_NODE_TOTAL", "4", NULL}, "CI_NODE_TOTAL is set but CI_NODE_INDEX is not"},
	    {{"CI_NODE_INDEX", "2", NULL}, "CI_NODE_INDEX is set but CI_NODE_TOTAL is not"},
	    {{"CI_NODE_INDEX", "0", "CI_NODE_TOTAL", "4", NULL}, "out of range"},
	    {{"CI_NODE_INDEX", "5", "CI_NODE_TOTAL", "4", NULL}, "out of range"},
	    {{"CI_NODE_INDEX", "x", "CI_NODE_TOTAL", "4", NULL}, "CI_NODE_INDEX='x' is not a number"},
	    {{"CIRCLE_NODE_INDEX", "3", "CIRCLE_NODE_TOTAL", "3", NULL}, "out of range"},
	    {{"JOB_COMPLETION_INDEX", "0", NULL}, "--partition-count"},
	    {{"SLURM_ARRAY_TASK_ID", "3", NULL}, "SLURM_ARRAY_TASK_MIN"},
	    {{"SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "6",
	      "SLURM_ARRAY_TASK_STEP", "2", NULL},
	     "does not fit"},
	    {{"SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_MAX", "9",
	      "SLURM_ARRAY_TASK_COUNT", "3", NULL},
	     "not one of consecutive tasks"},
	    {{"CI_NODE_INDEX", "1", "CI_NODE_TOTAL", "2", "BUILDKITE_PARALLEL_JOB", "1",
	      "BUILDKITE_PARALLEL_JOB_COUNT", "2", NULL},
	     "but Buildkite"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (from(bad[i].env, 0, &p, &e) != -1)
			fail_msg("bad case %zu accepted: %u/%u", i, p.k, p.n);
		assert_contains(e.message, "--partition auto");
		assert_contains(e.message, bad[i].says);
	}
	/* Given K/N: the environment is not read. */
	static const char *const gitlab[] = {"CI_NODE_INDEX", "2", "CI_NODE_TOTAL", "4", NULL};
	fake_env = gitlab;
	assert_int_equal(partition_parse("hash:1/3", &p, &e), 0);
	assert_int_equal(partition_from_env(&p, 0, fake_get, &e), 0);
	assert_true(p.k == 1 && p.n == 3 && p.source[0] == '\0');
}

/* A skewed, known set of durations: most tests short, a few long (seeded, so the same here and
 * everywhere). Written as a timings file in dir; returns the sum and *max the longest. */
static double write_timings(const char *dir, size_t n, double *max)
{
	FILE *f = fopen(P("%s/timings", dir), "w");
	assert_non_null(f);
	fprintf(f, "# a comment\n\n");
	uint64_t x = 42;
	double sum = 0;
	*max = 0;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		double u = (double)(x >> 11) / (double)(1ull << 53);
		double secs = 0.05 + (u < 0.9 ? u : 20 * u * u * u); /* a long tail */
		fprintf(f, "%.6f\tt%04zu\n", secs, i);
		sum += secs;
		if (secs > *max)
			*max = secs;
	}
	fclose(f);
	return sum;
}

static void test_time_balances(void **state)
{
	const char *dir = *state;
	double max, sum = write_timings(dir, NTESTS, &max);
	struct timings tm;
	struct isola_error e = {0};
	if (timings_load(&tm, P("%s/timings", dir), &e) < 0)
		fail_msg("%s", e.message);
	assert_int_equal(tm.n, NTESTS);
	assert_true(timings_get(&tm, "t0003") > 0);
	assert_true(timings_get(&tm, "nope") < 0);
	for (unsigned n = 1; n <= 8; n++) {
		unsigned seen[NTESTS] = {0};
		double makespan = 0;
		for (unsigned k = 1; k <= n; k++) {
			struct testlist tl = {0};
			make_list(&tl, "t", 0, NTESTS);
			struct partition p = part(PART_TIME, k, n);
			p.timings = &tm;
			partition_apply(&p, &tl);
			double load = 0;
			for (size_t i = 0; i < tl.n; i++) {
				seen[atoi(tl.v[i].name + 1)]++;
				load += timings_get(&tm, tl.v[i].name);
			}
			if (load > makespan)
				makespan = load;
			testlist_release(&tl);
		}
		for (size_t i = 0; i < NTESTS; i++)
			if (seen[i] != 1)
				fail_msg("time, N=%u: t%04zu is in %u shards", n, i, seen[i]);
		double ideal = sum / n > max ? sum / n : max;
		if (makespan > 1.10 * ideal)
			fail_msg("time, N=%u: makespan %.2f s, ideal %.2f s", n, makespan, ideal);
	}
	/* Tests the file does not know go by hash, and the known ones keep their shards. */
	struct testlist a = {0};
	make_list(&a, "t", 0, 10);
	make_list(&a, "unknown", 0, 10);
	struct partition p = part(PART_TIME, 2, 3);
	p.timings = &tm;
	unsigned shard[20];
	partition_shards(&p, &a, shard);
	struct partition h = part(PART_HASH, 2, 3);
	for (size_t i = 10; i < 20; i++)
		assert_int_equal(shard[i], partition_shard(&h, a.v[i].name, i));
	testlist_release(&a);
	timings_release(&tm);
}

static void test_timings_files(void **state)
{
	const char *dir = *state;
	struct timings tm;
	struct isola_error e = {0};
	static const char *const bad[] = {
	    "abc\tt1\n", "1.5 t1\n", "-1\tt1\n", "1.5\t\n", "nan\tt1\n", "1e99\tt1\n",
	    "1.5x\tt1\n", "0.1\tok\n2\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		write_file(P("%s/bad", dir), bad[i], 0644);
		err_clear(&e);
		if (timings_load(&tm, P("%s/bad", dir), &e) == 0)
			fail_msg("'%s' was read", bad[i]);
		assert_contains(e.message, "not a line of a timings file");
		assert_contains(e.message, i == ARRAY_SIZE(bad) - 1 ? "bad:2:" : "bad:1:");
	}
	err_clear(&e);
	assert_int_equal(timings_load(&tm, P("%s/missing", dir), &e), -1);
	assert_contains(e.message, "cannot read the timings file");
	/* A name twice: the last line wins; names may hold spaces. */
	write_file(P("%s/ok", dir), "1\ta b\n2\ta b\n0\tzero\n", 0644);
	assert_int_equal(timings_load(&tm, P("%s/ok", dir), &e), 0);
	assert_int_equal(tm.n, 2);
	assert_true(timings_get(&tm, "a b") == 2.0);
	assert_true(timings_get(&tm, "zero") == 0.0);
	timings_release(&tm);
}

/* timings_record(): averaged with what was there, bounded (this run's tests kept first),
 * names that cannot be a line skipped, replaced whole (no temporary left), and the directory
 * made when asked. */
static void test_timings_record(void **state)
{
	const char *dir = *state;
	struct timings tm;
	struct isola_error e = {0};
	char *file = xasprintf("%s/.isola/timings", dir);
	char *names[] = {"a", "b", "c\nd", "e"};
	double secs[] = {1.0, 3.0, 5.0, -1};
	/* No directory and not asked to make it: an error, nothing made. */
	assert_int_equal(timings_record(file, names, secs, 4, false, &e), -1);
	assert_int_equal(access(P("%s/.isola", dir), F_OK), -1);
	assert_int_equal(timings_record(file, names, secs, 4, true, &e), 0);
	assert_int_equal(timings_load(&tm, file, &e), 0);
	assert_int_equal(tm.n, 2);
	assert_true(timings_get(&tm, "a") == 1.0 && timings_get(&tm, "b") == 3.0);
	assert_true(timings_get(&tm, "e") < 0);
	timings_release(&tm);
	/* Again: each new duration averaged with the recorded one; others kept. */
	double again[] = {3.0, -1, -1, 2.0};
	assert_int_equal(timings_record(file, names, again, 4, true, &e), 0);
	assert_int_equal(timings_load(&tm, file, &e), 0);
	assert_int_equal(tm.n, 3);
	assert_true(timings_get(&tm, "a") == 2.0 && timings_get(&tm, "b") == 3.0);
	assert_true(timings_get(&tm, "e") == 2.0);
	timings_release(&tm);
	/* Over the bound: this run's tests are kept, then others while there is room. */
	size_t n = TIMINGS_MAX + 10;
	char **many = xcalloc(n, sizeof(*many));
	double *ms = xcalloc(n, sizeof(*ms));
	for (size_t i = 0; i < n; i++) {
		many[i] = xasprintf("t%06zu", i);
		ms[i] = 0.5;
	}
	assert_int_equal(timings_record(file, many, ms, n, true, &e), 0);
	assert_int_equal(timings_load(&tm, file, &e), 0);
	assert_int_equal(tm.n, TIMINGS_MAX);
	assert_true(timings_get(&tm, "a") < 0);
	timings_release(&tm);
	assert_int_equal(timings_record(file, names, secs, 2, true, &e), 0);
	assert_int_equal(timings_load(&tm, file, &e), 0);
	assert_int_equal(tm.n, TIMINGS_MAX);
	assert_true(timings_get(&tm, "a") == 1.0 && timings_get(&tm, "b") == 3.0);
	timings_release(&tm);
	for (size_t i = 0; i < n; i++)
		free(many[i]);
	free(many);
	free(ms);
	/* Only the file and its lock are left. */
	DIR *d = opendir(P("%s/.isola", dir));
	assert_non_null(d);
	struct dirent *de;
	unsigned entries = 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
			entries++;
	closedir(d);
	assert_int_equal(entries, 2);
	free(file);
}

/* A list of the given names, test i after the glob after[i] (NULL: none). */
static void make_after_list(struct testlist *tl, const char *const *names,
                            const char *const *after, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		make_list(tl, names[i], 0, 1);
		free(tl->v[i].name);
		tl->v[i].name = xstrdup(names[i]);
		tl->v[i].s = (struct settings)SETTINGS_INIT;
		if (after[i])
			assert_int_equal(settings_apply(&tl->v[i].s, "after", after[i], "/", NULL), 1);
	}
}

static void free_list(struct testlist *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		free(tl->v[i].name);
		settings_release(&tl->v[i].s);
	}
	free(tl->v);
}

static void test_after(void **state)
{
	(void)state;
	static const char *const names[] = {"a", "b", "c1", "c2", "d"};
	static const char *const after[] = {"missing", NULL, "a", "c*", "c*"};
	struct testlist tl = {0};
	make_after_list(&tl, names, after, 5);
	struct deps d;
	struct isola_error e = {0};
	assert_int_equal(order_deps(&tl, &d, &e), 0);
	assert_non_null(d.of);
	assert_int_equal(d.n[0], 0); /* a test not in the list is not waited for */
	assert_int_equal(d.n[1], 0);
	assert_int_equal(d.n[2], 1);
	assert_int_equal(d.of[2][0], 0);
	assert_int_equal(d.n[3], 1); /* c2 after c*: c1, never itself */
	assert_int_equal(d.of[3][0], 2);
	assert_int_equal(d.n[4], 2);
	assert_int_equal(d.of[4][0], 2);
	assert_int_equal(d.of[4][1], 3);
	deps_release(&d);
	free_list(&tl);

	/* No test with after =: nothing to plan. */
	static const char *const none[] = {NULL, NULL};
	tl = (struct testlist){0};
	make_after_list(&tl, names, none, 2);
	assert_int_equal(order_deps(&tl, &d, &e), 0);
	assert_null(d.of);
	free_list(&tl);

	/* A circle x -> y -> z -> x, with w waiting behind it: refused, naming two of the
	 * circle's tests (w is not in it). */
	static const char *const cnames[] = {"w", "x", "y", "z"};
	static const char *const cafter[] = {"x", "y", "z", "x"};
	tl = (struct testlist){0};
	make_after_list(&tl, cnames, cafter, 4);
	assert_int_equal(order_deps(&tl, &d, &e), -1);
	assert_null(d.of);
	assert_non_null(strstr(e.message, "is to start after"));
	assert_null(strstr(e.message, "'w'"));
	free_list(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shards_are_disjoint_and_cover),
	    cmocka_unit_test(test_hash_is_stable_when_tests_are_added),
	    cmocka_unit_test(test_hash_is_pinned),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_engines),
	    SCRATCH_TEST(test_time_balances),
	    SCRATCH_TEST(test_timings_files),
	    SCRATCH_TEST(test_timings_record),
	    cmocka_unit_test(test_after),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

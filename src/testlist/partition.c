/* SPDX-License-Identifier: MIT */
/* --partition: one shard of the test list (partition.h). */
#include "testlist/partition.h"

#include <errno.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More shards than this is a typo, not a cluster. */
#define PARTITION_MAX 100000

static const char *const strategy_names[] = {
    [PART_HASH] = "hash", [PART_SLICE] = "slice", [PART_TIME] = "time"};

/* A decimal number in [min, max] spanning all of s[0..len). */
static bool number(const char *s, size_t len, unsigned min, unsigned max, unsigned *out)
{
	if (len == 0 || len > 9)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

int partition_parse(const char *spec, struct partition *p, struct isola_error *e)
{
	*p = (struct partition){0};
	const char *colon = strchr(spec, ':');
	size_t slen = colon ? (size_t)(colon - spec) : strlen(spec);
	const char *rest = colon ? colon + 1 : NULL;
	if (!colon && strcmp(spec, "auto") == 0) {
		p->on = p->from_env = true;
		p->strategy = PART_HASH;
		return 0;
	}
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(strategy_names); i++)
		if (strlen(strategy_names[i]) == slen && strncmp(spec, strategy_names[i], slen) == 0) {
			p->strategy = (enum partition_strategy)i;
			known = true;
		}
	if (!known)
		return err_set(e, 0, NULL,
		               "invalid value '%s' for --partition: unknown strategy '%.*s' (expected "
		               "hash:K/N, slice:K/N, time:K/N or auto)",
		               spec, (int)slen, spec);
	if (!rest)
		return err_set(e, 0, NULL,
		               "invalid value '%s' for --partition (expected %s:K/N, K from 1 to N, or "
		               "%s:auto)",
		               spec, strategy_names[p->strategy], strategy_names[p->strategy]);
	p->on = true;
	if (strcmp(rest, "auto") == 0) {
		p->from_env = true;
		return 0;
	}
	const char *slash = strchr(rest, '/');
	unsigned k, n;
	if (!slash || !number(slash + 1, strlen(slash + 1), 1, PARTITION_MAX, &n) ||
	    !number(rest, (size_t)(slash - rest), 1, PARTITION_MAX, &k))
		return err_set(e, 0, NULL,
		               "invalid value '%s' for --partition (expected %s:K/N with K and N from "
		               "1 to %d, K counting from 1)",
		               spec, strategy_names[p->strategy], PARTITION_MAX);
	if (k > n)
		return err_set(e, 0, NULL,
		               "invalid value '%s' for --partition: shard %u of %u does not exist (K "
		               "counts from 1 to N)",
		               spec, k, n);
	p->k = k;
	p->n = n;
	return 0;
}

/* ---- K and N from a CI engine ------------------------------------------------------------ */

struct engine {
	const char *name;
	const char *index, *count; /* variables; count NULL: see the code */
	unsigned base;             /* what the first shard's index is */
};

static const struct engine engines[] = {
    {"isola", "ISOLA_PARTITION_INDEX", "ISOLA_PARTITION_COUNT", 1},
    {"GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", 1},
    {"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", 0},
    {"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
    {"Kubernetes", "JOB_COMPLETION_INDEX", NULL, 0},
    {"Slurm", "SLURM_ARRAY_TASK_ID", NULL, 0},
};

static const char *set(const char *(*get)(const char *), const char *name)
{
	const char *v = get(name);
	return v && *v ? v : NULL;
}

static bool env_number(const char *(*get)(const char *), const char *name, unsigned max,
                       unsigned *out)
{
	const char *v = set(get, name);
	return v && number(v, strlen(v), 0, max, out);
}

/* One engine's K/N. Returns 1 if found, 0 if its variables are not set, -1 with *e. */
static int engine_shard(const struct engine *en, unsigned count_opt,
                        const char *(*get)(const char *), unsigned *k, unsigned *n,
                        char *src, size_t srclen, struct isola_error *e)
{
	const char *iv = set(get, en->index);
	if (!iv) {
		/* A count without its index is a half-made setting: say so. */
		if (en->count && en != &engines[0] && set(get, en->count))
			return err_set(e, 0, NULL,
			               "--partition auto: %s is set but %s is not (%s)", en->count,
			               en->index, en->name);
		return 0;
	}
	unsigned idx, cnt;
	if (!number(iv, strlen(iv), 0, 10 * PARTITION_MAX, &idx))
		return err_set(e, 0, NULL, "--partition auto: %s='%s' is not a number (%s)",
		               en->index, iv, en->name);
	if (strcmp(en->name, "Slurm") == 0) {
		unsigned min = 0, max = 0, step = 1;
		if (!env_number(get, "SLURM_ARRAY_TASK_MIN", 10 * PARTITION_MAX, &min) ||
		    !env_number(get, "SLURM_ARRAY_TASK_MAX", 10 * PARTITION_MAX, &max))
			return err_set(e, 0, NULL,
			               "--partition auto: SLURM_ARRAY_TASK_ID is set without "
			               "SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX (Slurm)");
		if (set(get, "SLURM_ARRAY_TASK_STEP") &&
		    !env_number(get, "SLURM_ARRAY_TASK_STEP", 10 * PARTITION_MAX, &step))
			step = 0;
		if (step == 0 || idx < min || idx > max || (idx - min) % step != 0)
			return err_set(e, 0, NULL,
			               "--partition auto: SLURM_ARRAY_TASK_ID=%u does not fit the array "
			               "%u-%u:%u (Slurm): pass --partition hash:K/N",
			               idx, min, max, step);
		cnt = (max - min) / step + 1;
		unsigned given;
		if (set(get, "SLURM_ARRAY_TASK_COUNT") &&
		    (!env_number(get, "SLURM_ARRAY_TASK_COUNT", 10 * PARTITION_MAX, &given) ||
		     given != cnt))
			return err_set(e, 0, NULL,
			               "--partition auto: the array %u-%u:%u is not one of consecutive "
			               "tasks (SLURM_ARRAY_TASK_COUNT=%s): pass --partition hash:K/N",
			               min, max, step, set(get, "SLURM_ARRAY_TASK_COUNT"));
		*k = (idx - min) / step + 1;
		*n = cnt;
		snprintf(src, srclen, "Slurm (SLURM_ARRAY_TASK_ID=%u of %u-%u)", idx, min, max);
		return 1;
	}
	/* Kubernetes puts the index in the pod's environment, not the number of completions:
	 * that comes from --partition-count or ISOLA_PARTITION_COUNT. */
	bool from_opt = !en->count && count_opt;
	const char *cname = en->count ? en->count
	                    : from_opt ? "--partition-count"
	                               : "ISOLA_PARTITION_COUNT";
	if (!en->count && !from_opt && !set(get, cname))
		return err_set(e, 0, NULL,
		               "--partition auto: JOB_COMPLETION_INDEX is set but not the number of "
		               "completions (Kubernetes): pass --partition-count N or set "
		               "ISOLA_PARTITION_COUNT");
	if (from_opt) {
		cnt = count_opt;
	} else {
		const char *cv = set(get, cname);
		if (!cv)
			return err_set(e, 0, NULL, "--partition auto: %s is set but %s is not (%s)",
			               en->index, cname, en->name);
		if (!number(cv, strlen(cv), 1, PARTITION_MAX, &cnt))
			return err_set(e, 0, NULL,
			               "--partition auto: %s='%s' is not a number from 1 to %d (%s)",
			               cname, cv, PARTITION_MAX, en->name);
	}
	if (idx < en->base || idx - en->base >= cnt)
		return err_set(e, 0, NULL,
		               "--partition auto: %s=%u is out of range for %s=%u (%s counts from %u)",
		               en->index, idx, cname, cnt, en->name, en->base);
	*k = idx - en->base + 1;
	*n = cnt;
	snprintf(src, srclen, "%s (%s=%u, %s=%u)", en->name, en->index, idx, cname, cnt);
	return 1;
}

int partition_from_env(struct partition *p, unsigned count_opt,
                       const char *(*get)(const char *), struct isola_error *e)
{
	if (!p->on || !p->from_env)
		return 0;
	bool found = false;
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++) {
		unsigned k = 0, n = 0;
		char src[sizeof(p->source)];
		int r = engine_shard(&engines[i], count_opt, get, &k, &n, src, sizeof(src), e);
		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		if (!found) {
			p->k = k, p->n = n;
			snprintf(p->source, sizeof(p->source), "%s", src);
			found = true;
		} else if (k != p->k || n != p->n) {
			return err_set(e, 0, NULL,
			               "--partition auto: %s says shard %u of %u, but %s says %u of "
			               "%u: pass --partition %s:K/N",
			               p->source, p->k, p->n, src, k, n, strategy_names[p->strategy]);
		}
	}
	if (!found)
		return err_set(
		    e, 0, NULL,
		    "--partition auto: no CI engine's shard index is set (GitLab CI_NODE_INDEX, "
		    "CircleCI CIRCLE_NODE_INDEX, Buildkite BUILDKITE_PARALLEL_JOB, Kubernetes "
		    "JOB_COMPLETION_INDEX, Slurm SLURM_ARRAY_TASK_ID, or ISOLA_PARTITION_INDEX and "
		    "ISOLA_PARTITION_COUNT): elsewhere (GitHub Actions, a plain machine) pass "
		    "--partition %s:K/N",
		    strategy_names[p->strategy]);
	p->from_env = false;
	return 0;
}

/* ---- the split ----------------------------------------------------------------------------- */

/* FNV-1a over the name, then a 64-bit finaliser (splitmix64) so that names that differ in
 * their last byte only land far apart. The same on every machine and every isola version that
 * documents it: shards computed by different builds must agree. */
static uint64_t name_hash64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

unsigned partition_shard(const struct partition *p, const char *name, size_t pos)
{
	if (p->strategy == PART_SLICE)
		return (unsigned)(pos % p->n) + 1;
	return (unsigned)(name_hash64(name) % p->n) + 1;
}

static int cmp_by_name(const void *a, const void *b, void *ctx)
{
	const struct testlist *tl = ctx;
	return strcmp(tl->v[*(const size_t *)a].name, tl->v[*(const size_t *)b].name);
}

struct timed {
	double secs;
	size_t test;
	const char *name;
};

/* Longest first; equal times by name: the same order on every machine. */
static int cmp_timed(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;
	if (x->secs != y->secs)
		return x->secs > y->secs ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* time: LPT over the known tests (each to the least loaded shard, the lowest on a tie), the
 * others by hash. */
static void time_shards(const struct partition *p, const struct testlist *tl, unsigned *shard)
{
	struct timed *known = xmalloc((tl->n ? tl->n : 1) * sizeof(*known));
	size_t nk = 0;
	for (size_t i = 0; i < tl->n; i++) {
		double s = p->timings ? timings_get(p->timings, tl->v[i].name) : -1;
		if (s >= 0)
			known[nk++] = (struct timed){.secs = s, .test = i, .name = tl->v[i].name};
		else
			shard[i] = (unsigned)(name_hash64(tl->v[i].name) % p->n) + 1;
	}
	qsort(known, nk, sizeof(*known), cmp_timed);
	double *load = xcalloc(p->n, sizeof(*load));
	for (size_t i = 0; i < nk; i++) {
		unsigned best = 0;
		for (unsigned k = 1; k < p->n; k++)
			if (load[k] < load[best])
				best = k;
		load[best] += known[i].secs;
		shard[known[i].test] = best + 1;
	}
	free(load);
	free(known);
}

void partition_shards(const struct partition *p, const struct testlist *tl, unsigned *shard)
{
	if (p->strategy == PART_TIME) {
		time_shards(p, tl, shard);
		return;
	}
	/* pos: a test's place among the names in sorted order (slice only). */
	size_t *order = NULL;
	if (p->strategy == PART_SLICE) {
		order = xmalloc((tl->n ? tl->n : 1) * sizeof(*order));
		for (size_t i = 0; i < tl->n; i++)
			order[i] = i;
		qsort_r(order, tl->n, sizeof(*order), cmp_by_name, (void *)tl);
		for (size_t r = 0; r < tl->n; r++)
			shard[order[r]] = partition_shard(p, tl->v[order[r]].name, r);
		free(order);
		return;
	}
	for (size_t i = 0; i < tl->n; i++)
		shard[i] = partition_shard(p, tl->v[i].name, 0);
}

size_t partition_apply(const struct partition *p, struct testlist *tl)
{
	if (!p->on || tl->n == 0)
		return 0;
	unsigned *shard = xmalloc(tl->n * sizeof(*shard));
	partition_shards(p, tl, shard);
	size_t kept = 0, n = tl->n;
	for (size_t i = 0; i < n; i++) {
		if (shard[i] == p->k)
			tl->v[kept++] = tl->v[i];
		else
			test_release(&tl->v[i]);
	}
	tl->n = kept;
	free(shard);
	return n - kept;
}


void partition_digest(const struct testlist *tl, char out[17])
{
	/* A sum and a xor of the names' hashes: order does not matter, and no sort is needed. */
	uint64_t sum = 0, x = 0;
	for (size_t i = 0; i < tl->n; i++) {
		uint64_t h = name_hash64(tl->v[i].name);
		sum += h;
		x ^= (h << 17) | (h >> 47);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)(sum ^ x ^ (uint64_t)tl->n));
}

const char *partition_strategy_name(enum partition_strategy s)
{
	return strategy_names[s];
}

const char *partition_name(const struct partition *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%u/%u", strategy_names[p->strategy], p->k, p->n);
	return buf;
}

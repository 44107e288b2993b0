/* SPDX-License-Identifier: MIT */
/*
 * Sharding: --partition keeps one part of the selected tests, so that N machines (CI matrix
 * jobs, Kubernetes Indexed Jobs, Slurm array tasks) each run a disjoint part and together run
 * all of it, with nothing shared between them at run time: every shard computes the same split
 * from the same test list.
 *
 *   hash:K/N    a test goes to shard hash(name) mod N + 1: stable as tests are added or removed
 *               (a test moves only if it is renamed), about even for many tests
 *   slice:K/N   round-robin over the names in sorted order: exactly even, but adding a test
 *               moves the ones after it
 *   time:K/N    balanced by recorded durations (a timings file, --timings FILE): the longest
 *               first, each to the shard with the least time so far (LPT); tests the file does
 *               not know are spread by hash
 *   auto, STRATEGY:auto
 *               K and N from the CI engine's environment (partition_from_env()); the strategy
 *               is hash unless given
 *
 * K counts from 1. isola's own index variables and the engines' are listed in isola(1).
 */
#ifndef ISOLA_PARTITION_H
#define ISOLA_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

#include "testlist/testlist.h"
#include "testlist/timings.h"
#include "util/util.h"

enum partition_strategy { PART_HASH, PART_SLICE, PART_TIME };


struct partition {
	bool on;
	enum partition_strategy strategy;
	unsigned k, n;     /* 1 <= k <= n */
	bool from_env;     /* K and N still to be read (partition_from_env()) */
	char source[160];  /* where auto found K and N: "GitLab (CI_NODE_INDEX=2, ...)"; "" if given */
	const struct timings *timings; /* time: the durations (borrowed); required */
};

/* Parse a --partition value. Returns 0, or -1 with *e naming the value and what is expected. */
int partition_parse(const char *spec, struct partition *p, struct isola_error *e);

/*
 * For "auto": K and N from the environment (getenv_fn, normally getenv), from the first engine
 * whose variables are set: GitLab, CircleCI, Buildkite, Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX, with the count from count_opt or ISOLA_PARTITION_COUNT), Slurm job
 * arrays; ISOLA_PARTITION_INDEX/ISOLA_PARTITION_COUNT go before them all. Two engines that
 * disagree, a value that is not a number, or none set: -1 with *e saying how to pass K/N.
 * count_opt: --partition-count, 0 if not given. Does nothing unless p->from_env.
 */
int partition_from_env(struct partition *p, unsigned count_opt,
                       const char *(*getenv_fn)(const char *name), struct isola_error *e);

/* The shard (1..n) of the test called name, at sorted position pos (slice) among the list. Not
 * for time:, whose shards depend on the whole list (partition_shards()). */
unsigned partition_shard(const struct partition *p, const char *name, size_t pos);

/* The shard (1..n) of every test of tl, into shard[tl->n]. */
void partition_shards(const struct partition *p, const struct testlist *tl, unsigned *shard);

/* Keep only p's shard of tl (the order of the rest is kept). Returns how many were dropped. */
size_t partition_apply(const struct partition *p, struct testlist *tl);

/* A digest of tl's names, whatever their order (16 hex digits): shards of one suite agree on it,
 * shards of different suites or selections almost surely do not. */
void partition_digest(const struct testlist *tl, char out[17]);

/* "hash" or "slice". */
const char *partition_strategy_name(enum partition_strategy s);

/* "hash:2/4" into buf. */
const char *partition_name(const struct partition *p, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The order tests start in (--order, --shuffle, --seed): the list as given (the default), by
 * name, the longest first by recorded durations (tests the timings do not know first of all:
 * a new test's time is unknown, and it may be the longest), or shuffled by a seeded generator
 * that is the same on every machine, so that a failing order can be replayed exactly.
 */
#ifndef ISOLA_ORDER_H
#define ISOLA_ORDER_H

#include <stdint.h>

#include "testlist/partition.h"
#include "testlist/testlist.h"

enum test_order { ORDER_GIVEN, ORDER_NAME, ORDER_LONGEST, ORDER_SHUFFLE };

/* "given", "name", "longest", "shuffle". Returns 0, or -1 if s is none of them. */
int order_parse(const char *s, enum test_order *out);
const char *order_name(enum test_order o);

/* Reorder tl. timings: for ORDER_LONGEST (required there); seed: for ORDER_SHUFFLE. */
void order_apply(struct testlist *tl, enum test_order o, const struct timings *timings,
                 uint64_t seed);

/* What each test starts after (after = GLOB): indices into the list it was made for. */
struct deps {
	size_t **of; /* [ntests]; NULL if no test of the list has one */
	size_t *n;
	size_t ntests;
};

/*
 * The tests each test of tl must start after: every other test whose name matches one of its
 * after = GLOBs. A test not in tl (filtered out, in another shard) is not waited for. Returns 0,
 * or -1 with *e naming two tests that would wait for each other (through a circle of after =).
 */
int order_deps(const struct testlist *tl, struct deps *d, struct isola_error *e);
void deps_release(struct deps *d);

/* A seed for --shuffle when none is given. */
uint64_t order_new_seed(void);

#endif

/* SPDX-License-Identifier: MIT */
/* --order, --shuffle, --seed (order.h). */
#include "sched/order.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char *const names[] = {[ORDER_GIVEN] = "given",
                                    [ORDER_NAME] = "name",
                                    [ORDER_LONGEST] = "longest",
                                    [ORDER_SHUFFLE] = "shuffle"};

int order_parse(const char *s, enum test_order *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum test_order)i;
			return 0;
		}
	return -1;
}

const char *order_name(enum test_order o)
{
	return names[o];
}

/* splitmix64: small, well mixed, and the same everywhere (the seed replays an order). */
static uint64_t next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A uniform value in [0, n) (rejection sampling: no modulo bias). */
static uint64_t below(uint64_t *state, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t v;
	do
		v = next(state);
	while (v >= limit);
	return v % n;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct test *)a)->name, ((const struct test *)b)->name);
}

static int cmp_longest(const void *a, const void *b, void *ctx)
{
	const struct timings *t = ctx;
	const struct test *x = a, *y = b;
	double dx = timings_get(t, x->name), dy = timings_get(t, y->name);
	/* Unknown (new) first, then the longest; equal times by name. */
	if ((dx < 0) != (dy < 0))
		return dx < 0 ? -1 : 1;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->name, y->name);
}

void order_apply(struct testlist *tl, enum test_order o, const struct timings *timings,
                 uint64_t seed)
{
	switch (o) {
	case ORDER_GIVEN:
		break;
	case ORDER_NAME:
		qsort(tl->v, tl->n, sizeof(*tl->v), cmp_name);
		break;
	case ORDER_LONGEST:
		if (timings)
			qsort_r(tl->v, tl->n, sizeof(*tl->v), cmp_longest, (void *)timings);
		break;
	case ORDER_SHUFFLE: {
		/* Fisher-Yates over the names in sorted order: the same seed gives the same order
		 * whatever order the list was built in. */
		qsort(tl->v, tl->n, sizeof(*tl->v), cmp_name);
		uint64_t state = seed;
		for (size_t i = tl->n; i > 1; i--) {
			size_t j = (size_t)below(&state, i);
			struct test tmp = tl->v[i - 1];
			tl->v[i - 1] = tl->v[j];
			tl->v[j] = tmp;
		}
		break;
	}
	}
}

uint64_t order_new_seed(void)
{
	uint64_t s;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
}

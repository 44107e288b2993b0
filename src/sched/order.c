/* SPDX-License-Identifier: MIT */
/* --order, --shuffle, --seed (order.h). */
#include "sched/order.h"

#include <fnmatch.h>
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

void deps_release(struct deps *d)
{
	for (size_t i = 0; d->of && i < d->ntests; i++)
		free(d->of[i]);
	free(d->of);
	free(d->n);
	*d = (struct deps){0};
}

int order_deps(const struct testlist *tl, struct deps *d, struct isola_error *e)
{
	*d = (struct deps){.ntests = tl->n};
	bool any = false;
	for (size_t i = 0; i < tl->n && !any; i++)
		any = tl->v[i].s.after.n > 0;
	if (!any)
		return 0;
	d->of = xcalloc(tl->n, sizeof(*d->of));
	d->n = xcalloc(tl->n, sizeof(*d->n));
	for (size_t i = 0; i < tl->n; i++) {
		const struct strv *after = &tl->v[i].s.after;
		if (!after->n)
			continue;
		for (size_t j = 0; j < tl->n; j++) {
			bool m = false;
			for (size_t k = 0; k < after->n && !m && j != i; k++)
				m = fnmatch(after->v[k], tl->v[j].name, 0) == 0;
			if (!m)
				continue;
			d->of[i] = xrealloc(d->of[i], (d->n[i] + 1) * sizeof(**d->of));
			d->of[i][d->n[i]++] = j;
		}
	}

	/* Kahn: take the tests whose every dependency is taken; what is left waits in a circle,
	 * or after one. */
	size_t *waiting = xcalloc(tl->n, sizeof(*waiting)); /* dependencies not taken yet */
	size_t *ready = xmalloc(tl->n * sizeof(*ready)), nready = 0, taken = 0;
	/* Who starts after j: followers[first[j] .. first[j + 1]). */
	size_t *first = xcalloc(tl->n + 1, sizeof(*first)), nedges = 0;
	for (size_t i = 0; i < tl->n; i++)
		for (size_t k = 0; k < d->n[i]; k++, nedges++)
			first[d->of[i][k] + 1]++;
	for (size_t j = 0; j < tl->n; j++)
		first[j + 1] += first[j];
	size_t *followers = xmalloc((nedges + 1) * sizeof(*followers));
	size_t *fill = xmalloc(tl->n * sizeof(*fill));
	memcpy(fill, first, tl->n * sizeof(*fill));
	for (size_t i = 0; i < tl->n; i++)
		for (size_t k = 0; k < d->n[i]; k++)
			followers[fill[d->of[i][k]]++] = i;
	for (size_t i = 0; i < tl->n; i++)
		if (!(waiting[i] = d->n[i]))
			ready[nready++] = i;
	while (nready) {
		size_t j = ready[--nready];
		taken++;
		for (size_t f = first[j]; f < first[j + 1]; f++)
			if (--waiting[followers[f]] == 0)
				ready[nready++] = followers[f];
	}
	free(first);
	free(followers);
	free(fill);
	int ret = 0;
	if (taken < tl->n) {
		/* Walk the dependencies not taken from one such test: the walk comes back to a
		 * test it met, which is in the circle. */
		size_t at = 0;
		while (!waiting[at])
			at++;
		for (size_t steps = 0; steps < tl->n; steps++) {
			size_t k = 0;
			while (!waiting[d->of[at][k]])
				k++;
			at = d->of[at][k];
		}
		size_t next = 0;
		while (!waiting[d->of[at][next]])
			next++;
		ret = err_set(e, 0, NULL,
		              "test '%s' is to start after '%s', which is to start after it (through "
		              "after = or an imported DEPENDS): remove one of them",
		              tl->v[at].name, tl->v[d->of[at][next]].name);
		deps_release(d);
	}
	free(waiting);
	free(ready);
	return ret;
}

/* SPDX-License-Identifier: MIT */
#include "report/report.h"

#include <stdlib.h>

#include "util/util.h"

struct reporter *reporters_add(struct reporters *r, const struct reporter_ops *ops, void *ctx)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n] = (struct reporter){.ops = ops, .ctx = ctx, .input_fd = -1};
	return &r->v[r->n++];
}

#define EACH(r, fn, ...)                                                                           \
	for (size_t i = 0; i < (r)->n; i++)                                                        \
		if ((r)->v[i].ops->fn)                                                             \
	(r)->v[i].ops->fn((r)->v[i].ctx, __VA_ARGS__)

int64_t reporters_tick_ns(const struct reporters *r)
{
	int64_t t = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].tick_ns && (!t || r->v[i].tick_ns < t))
			t = r->v[i].tick_ns;
	return t;
}

int reporters_input_fd(const struct reporters *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].input_fd >= 0 && r->v[i].ops->input)
			return r->v[i].input_fd;
	return -1;
}

void report_input(struct reporters *r, struct attempt *const *slots, unsigned nslots, int64_t now)
{
	for (size_t i = 0; i < r->n; i++) {
		struct reporter *rep = &r->v[i];
		if (rep->input_fd >= 0 && rep->ops->input) {
			if (rep->ops->input(rep->ctx, slots, nslots, now) < 0)
				rep->input_fd = -1;
			return; /* one watcher: the one reporters_input_fd() named */
		}
	}
}

void report_tick(struct reporters *r, struct attempt *const *slots, unsigned nslots, int64_t now)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ops->tick)
			r->v[i].ops->tick(r->v[i].ctx, slots, nslots, now);
}

void report_show_running(struct reporters *r, struct attempt *const *slots, unsigned nslots,
                         int64_t now)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ops->show_running)
			r->v[i].ops->show_running(r->v[i].ctx, slots, nslots, now);
}

void report_run_start(struct reporters *r, const struct run_info *ri)
{
	EACH(r, run_start, ri);
}

void report_test_start(struct reporters *r, const struct attempt *a)
{
	EACH(r, test_start, a);
}

void report_test_end(struct reporters *r, const struct attempt *a)
{
	EACH(r, test_end, a);
}

void report_test_slow(struct reporters *r, const struct attempt *a, int64_t now)
{
	EACH(r, test_slow, a, now);
}

void report_run_end(struct reporters *r, const struct run_summary *rs)
{
	EACH(r, run_end, rs);
}

void reporters_release(struct reporters *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ops->free)
			r->v[i].ops->free(r->v[i].ctx);
	free(r->v);
	*r = (struct reporters){0};
}

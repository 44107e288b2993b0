/* SPDX-License-Identifier: MIT */
/*
 * --trace FILE: the Chrome trace event format (JSON object form), which Perfetto and
 * chrome://tracing open. One process ("isola run ID"), one thread per slot ("slot 0", ...), so
 * that each slot is a track; on it one complete ("X") slice per attempt, from the start of its
 * staging to the end of the test, named after the test, with a nested "staging" slice; the rest
 * is the test itself. A sandbox is removed after its test has given up the slot, so each
 * attempt's "cleanup" slice (leak hunt, sandbox removal) is on a track of its own, "cleanup 0",
 * ...: as many as were busy at once. A counter track ("running") shows how full the slots were.
 * Timestamps are microseconds since the run started (monotonic clock). Built with jansson at the
 * end of the run.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/plugin-json.h"
#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/spawn.h"
#include "util/util.h"

#define TRACE_PID 1

struct trace {
	struct report_out *out;
	struct report_problems *problems;
	struct report_recs recs;
	char *run_id;
	unsigned jobs;
	int64_t t0;
};

void *report_trace_new(struct report_out *out, struct report_problems *p)
{
	struct trace *t = xcalloc(1, sizeof(*t));
	t->out = out;
	t->problems = p;
	return t;
}

static void trace_run_start(void *ctx, const struct run_info *ri)
{
	struct trace *t = ctx;
	t->t0 = now_ns();
	t->run_id = xstrdup(ri->run_id);
	t->jobs = ri->jobs;
}

static void trace_test_end(void *ctx, const struct attempt *a)
{
	struct trace *t = ctx;
	report_recs_add(&t->recs, a);
}

static json_t *us(struct trace *t, int64_t ns)
{
	/* Whole microseconds: viewers nest slices by comparing these, and rounding both ends the
	 * same way keeps a child inside its parent. */
	return json_integer((ns - t->t0) / 1000);
}

static json_t *slice(struct trace *t, const char *name, const char *cat, unsigned tid, int64_t from,
                     int64_t to)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "name", text_json(name));
	json_object_set_new(ev, "cat", json_string(cat));
	json_object_set_new(ev, "ph", json_string("X"));
	json_object_set_new(ev, "ts", us(t, from));
	json_object_set_new(ev, "dur", json_integer((to - t->t0) / 1000 - (from - t->t0) / 1000));
	json_object_set_new(ev, "pid", json_integer(TRACE_PID));
	json_object_set_new(ev, "tid", json_integer(tid));
	return ev;
}

static json_t *meta(const char *name, unsigned tid, const char *key, json_t *value)
{
	json_t *ev = json_object(), *args = json_object();
	json_object_set_new(args, key, value);
	json_object_set_new(ev, "name", json_string(name));
	json_object_set_new(ev, "ph", json_string("M"));
	json_object_set_new(ev, "pid", json_integer(TRACE_PID));
	if (tid)
		json_object_set_new(ev, "tid", json_integer(tid));
	json_object_set_new(ev, "args", args);
	return ev;
}

static int cmp_end(const void *x, const void *y, void *recs)
{
	const struct report_rec *v = recs;
	int64_t a = v[*(const size_t *)x].end_ns, b = v[*(const size_t *)y].end_ns;
	return (a > b) - (a < b);
}

/* order[] (indices into t->recs) by the end of the test: the start of its cleanup. */
static void recs_sort_by_end(struct trace *t, size_t *order)
{
	qsort_r(order, t->recs.n, sizeof(*order), cmp_end, t->recs.v);
}

static int cmp_time(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;
	/* at equal times, ends (-1) before starts (+1): the count never overshoots */
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

static void trace_run_end(void *ctx, const struct run_summary *rs)
{
	struct trace *t = ctx;
	json_t *events = json_array();
	char sig[32];

	char *pname = xasprintf("isola run %s", t->run_id ? t->run_id : "");
	json_array_append_new(events, meta("process_name", 0, "name", text_json(pname)));
	free(pname);
	for (unsigned s = 0; s < t->jobs; s++) {
		char name[32];
		snprintf(name, sizeof(name), "slot %u", s);
		json_array_append_new(events,
		                      meta("thread_name", s + 1, "name", json_string(name)));
		json_array_append_new(
		    events, meta("thread_sort_index", s + 1, "sort_index", json_integer(s)));
	}

	/* Cleanups overlap each other and the next attempts of their slots: each goes on the
	 * first cleanup track free when it starts. lane_end[k]: when track k is free again. */
	int64_t *lane_end = xcalloc(t->recs.n + 1, sizeof(*lane_end));
	unsigned nlanes = 0;
	size_t *order = xcalloc(t->recs.n + 1, sizeof(*order));
	for (size_t i = 0; i < t->recs.n; i++)
		order[i] = i;
	recs_sort_by_end(t, order);

	/* The running count: +1 at each start, -1 at each end. */
	int64_t(*edges)[2] = xcalloc(t->recs.n * 2 + 1, sizeof(*edges));
	size_t ne = 0;
	for (size_t k = 0; k < t->recs.n; k++) {
		const struct report_rec *r = &t->recs.v[order[k]];
		unsigned tid = r->slot + 1;
		json_t *ev = slice(t, r->name, "test", tid, r->start_ns, r->end_ns);
		json_t *args = json_object();
		json_object_set_new(args, "outcome", json_string(outcome_name(attempt_shown(r))));
		json_object_set_new(args, "attempt", json_integer(r->number));
		json_object_set_new(args, "reason", text_json(r->reason));
		json_object_set_new(args, "exit_code",
		                    r->exited ? json_integer(r->exit_code) : json_null());
		json_object_set_new(args, "signal",
		                    r->signal
		                        ? json_string(signal_name(r->signal, sig, sizeof(sig)))
		                        : json_null());
		json_object_set_new(args, "test_time_ms",
		                    json_real((double)(r->end_ns - r->exec_ns) / 1e6));
		json_object_set_new(args, "sandbox", text_json(r->sandbox_path));
		json_object_set_new(args, "kept", json_boolean(r->kept));
		json_object_set_new(ev, "args", args);
		json_array_append_new(events, ev);

		json_t *st = slice(t, "staging", "isola", tid, r->start_ns, r->exec_ns);
		json_t *sargs = json_object();
		json_object_set_new(sargs, "strategy", text_json(r->strategy));
		json_object_set_new(st, "args", sargs);
		json_array_append_new(events, st);

		unsigned lane = 0;
		while (lane < nlanes && lane_end[lane] > r->end_ns)
			lane++;
		if (lane == nlanes)
			nlanes++;
		lane_end[lane] = r->done_ns;
		json_t *cl = slice(t, "cleanup", "isola", t->jobs + 1 + lane, r->end_ns, r->done_ns);
		json_t *cargs = json_object();
		json_object_set_new(cargs, "test", text_json(r->name));
		json_object_set_new(cargs, "slot", json_integer(r->slot));
		json_object_set_new(cl, "args", cargs);
		json_array_append_new(events, cl);

		edges[ne][0] = r->start_ns, edges[ne++][1] = 1;
		edges[ne][0] = r->end_ns, edges[ne++][1] = -1;
	}
	for (unsigned k = 0; k < nlanes; k++) {
		char name[32];
		snprintf(name, sizeof(name), "cleanup %u", k);
		json_array_append_new(events, meta("thread_name", t->jobs + 1 + k, "name",
		                                   json_string(name)));
		json_array_append_new(events, meta("thread_sort_index", t->jobs + 1 + k,
		                                   "sort_index", json_integer(t->jobs + k)));
	}
	free(lane_end);
	free(order);
	qsort(edges, ne, sizeof(*edges), cmp_time);
	int64_t running = 0;
	for (size_t i = 0; i < ne; i++) {
		running += edges[i][1];
		if (i + 1 < ne && edges[i + 1][0] == edges[i][0])
			continue; /* one sample per instant */
		json_t *ev = json_object(), *args = json_object();
		json_object_set_new(args, "running", json_integer(running));
		json_object_set_new(ev, "name", json_string("running"));
		json_object_set_new(ev, "ph", json_string("C"));
		json_object_set_new(ev, "ts", us(t, edges[i][0]));
		json_object_set_new(ev, "pid", json_integer(TRACE_PID));
		json_object_set_new(ev, "args", args);
		json_array_append_new(events, ev);
	}
	free(edges);

	json_t *other = json_object();
	json_object_set_new(other, "isola_version", json_string(ISOLA_VERSION));
	json_object_set_new(other, "run_id", text_json(t->run_id));
	json_object_set_new(other, "jobs", json_integer(t->jobs));
	json_object_set_new(other, "wall_ms", json_real((double)rs->wall_ns / 1e6));
	json_object_set_new(other, "passed", json_integer(rs->passed));
	json_object_set_new(other, "failed", json_integer(rs->failed));
	json_object_set_new(other, "skipped", json_integer(rs->skipped));

	json_t *doc = json_object();
	json_object_set_new(doc, "traceEvents", events);
	json_object_set_new(doc, "displayTimeUnit", json_string("ms"));
	json_object_set_new(doc, "otherData", other);
	bool ok = json_dumpf(doc, t->out->fp,
	                     JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) == 0 &&
	          fputc('\n', t->out->fp) != EOF;
	json_decref(doc);

	report_out_finish(t->out, ok, t->problems);
}

static void trace_free(void *ctx)
{
	struct trace *t = ctx;
	report_out_free(t->out);
	report_recs_release(&t->recs);
	free(t->run_id);
	free(t);
}

const struct reporter_ops report_trace_ops = {
    .name = "trace",
    .run_start = trace_run_start,
    .test_end = trace_test_end,
    .run_end = trace_run_end,
    .free = trace_free,
};

/* SPDX-License-Identifier: MIT */
/*
 * --json FILE: JSON Lines, one event per line, written as the events happen (doc/reports.md has
 * the schema). Built with jansson; strings go through text_json() (valid UTF-8 first).
 */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "report/plugin-json.h"
#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/contract.h"
#include "spawn/spawn.h"
#include "util/util.h"

/* The version of this file's schema: bumped when a field changes meaning or goes away. */
#define JSON_SCHEMA_VERSION 1

/* output_tail: how much of a failed attempt's output the report carries. */
#define JSON_TAIL_BYTES 4096

struct json_rep {
	struct report_out *out;
	struct report_problems *problems;
	struct report_opts o;
	int64_t t0;
	bool broken; /* a write failed: said once, at the end */
};

void *report_json_new(struct report_out *out, struct report_problems *p,
                      const struct report_opts *o)
{
	struct json_rep *j = xcalloc(1, sizeof(*j));
	j->out = out;
	j->problems = p;
	j->o = *o;
	return j;
}

/* One line; takes the reference. Dumped to memory first: json_dumpf() writes token by token. */
static void emit(struct json_rep *j, json_t *ev)
{
	char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (!s || fputs(s, j->out->fp) == EOF || fputc('\n', j->out->fp) == EOF)
		j->broken = true;
	free(s);
	/* Each line is whole as soon as it is written, for whoever follows the file (not for
	 * isola merge, which writes a finished run at once). */
	if (!j->o.batch)
		fflush(j->out->fp);
	json_decref(ev);
}

static json_t *seconds(int64_t ns)
{
	return json_real((double)ns / 1e9);
}

/* "2026-11-26T08:47:09.123Z" */
static json_t *iso_time(int64_t wall)
{
	time_t s = (time_t)(wall / NSEC_PER_SEC);
	struct tm tm;
	char buf[64];
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03dZ", (int)(wall % NSEC_PER_SEC / NSEC_PER_MSEC));
	return json_string(buf);
}

static const char *keep_name(enum keep_mode k)
{
	return k == KEEP_ALL ? "all" : k == KEEP_NONE ? "none" : "failed";
}

static void json_run_start(void *ctx, const struct run_info *ri)
{
	struct json_rep *j = ctx;
	j->t0 = now_ns();
	json_t *opts = json_object();
	json_object_set_new(opts, "jobs", json_integer(ri->jobs));
	json_object_set_new(opts, "verbose", json_boolean(j->o.verbose));
	if (j->o.run_opts_set) {
		json_object_set_new(opts, "keep", json_string(keep_name(j->o.keep)));
		json_object_set_new(opts, "retries", json_integer(j->o.retries));
		json_object_set_new(opts, "flaky_result",
		                    json_string(j->o.flaky_fails ? "fail" : "pass"));
		if (j->o.repeat > 1)
			json_object_set_new(opts, "repeat", json_integer(j->o.repeat));
		if (j->o.until_fail)
			json_object_set_new(opts, "until_fail", json_true());
		if (j->o.stress_ns)
			json_object_set_new(opts, "stress", seconds(j->o.stress_ns));
	}
	json_t *reports = json_object();
	const char *const names[] = {"junit", "tap", "json", "trace", "html"};
	const char *const files[] = {j->o.junit, j->o.tap, j->o.json, j->o.trace, j->o.html};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (files[i])
			json_object_set_new(reports, names[i], text_json(files[i]));
	json_object_set_new(opts, "reports", reports);
	if (j->o.order) {
		json_object_set_new(opts, "order", json_string(j->o.order));
		if (j->o.seed[0])
			json_object_set_new(opts, "seed", json_string(j->o.seed));
	}
	if (j->o.partition.strategy) {
		json_t *part = json_object();
		json_object_set_new(part, "strategy", json_string(j->o.partition.strategy));
		json_object_set_new(part, "index", json_integer(j->o.partition.index));
		json_object_set_new(part, "count", json_integer(j->o.partition.count));
		json_object_set_new(part, "selected",
		                    json_integer((json_int_t)j->o.partition.selected));
		json_object_set_new(part, "digest", json_string(j->o.partition.digest));
		json_object_set_new(opts, "partition", part);
	}

	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string("run_start"));
	json_object_set_new(ev, "t", json_real(0));
	json_object_set_new(ev, "schema", json_integer(JSON_SCHEMA_VERSION));
	json_object_set_new(ev, "isola_version", json_string(ISOLA_VERSION));
	json_object_set_new(ev, "contract_version", json_integer(CONTRACT_VERSION));
	json_object_set_new(ev, "run_id", text_json(ri->run_id));
	json_object_set_new(ev, "time", iso_time(ri->start_wall_ns));
	json_object_set_new(ev, "run_dir", text_json(ri->run_dir));
	json_object_set_new(ev, "source_dir", text_json(ri->source_dir));
	json_object_set_new(ev, "tests", json_integer((json_int_t)ri->ntests));
	json_object_set_new(ev, "options", opts);
	emit(j, ev);
}

static json_t *attempt_head(struct json_rep *j, const char *event, const struct attempt *a)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string(event));
	json_object_set_new(ev, "t", seconds(now_ns() - j->t0));
	json_object_set_new(ev, "test", text_json(a->test->name));
	json_object_set_new(ev, "attempt", json_integer(a->number));
	json_object_set_new(ev, "run", json_integer(a->run ? a->run : 1));
	json_object_set_new(ev, "seq", json_integer(a->seq));
	json_object_set_new(ev, "slot", json_integer(a->slot));
	return ev;
}

static void json_test_start(void *ctx, const struct attempt *a)
{
	struct json_rep *j = ctx;
	const struct settings *s = &a->test->s;
	json_t *ev = attempt_head(j, "test_start", a);
	json_object_set_new(ev, "sandbox", text_json(a->sandbox_path));
	json_object_set_new(ev, "timeout",
	                    s->timeout_ns > 0 ? seconds(s->timeout_ns) : json_null());
	json_object_set_new(ev, "grace", seconds(s->grace_ns > 0 ? s->grace_ns : 0));
	json_object_set_new(ev, "leak", json_string(s->leak == LEAK_FAIL ? "fail" : "warn"));
	emit(j, ev);
}

static void json_test_end(void *ctx, const struct attempt *a)
{
	struct json_rep *j = ctx;
	char sig[32];
	json_t *ev = attempt_head(j, "test_end", a);
	json_object_set_new(ev, "outcome", json_string(outcome_name(a->outcome)));
	/* The run's result on the attempt that ends it (FLAKY: a pass after failed attempts);
	 * null on one that is retried. */
	json_object_set_new(ev, "retried", json_boolean(a->retried));
	json_object_set_new(ev, "result",
	                    a->retried ? json_null() : json_string(outcome_name(a->result)));
	json_object_set_new(ev, "reason", text_json(a->reason));
	json_object_set_new(ev, "exit_code", a->exited ? json_integer(a->exit_code) : json_null());
	json_object_set_new(ev, "signal",
	                    a->signal ? json_string(signal_name(a->signal, sig, sizeof(sig)))
	                              : json_null());
	json_object_set_new(ev, "timed_out", json_boolean(a->timed_out));
	json_object_set_new(ev, "interrupted", json_boolean(a->interrupted));
	json_object_set_new(ev, "leaked", json_integer(a->leaked));
	json_object_set_new(ev, "duration", seconds(a->end_ns - a->exec_ns));
	json_t *staging = json_object();
	json_object_set_new(staging, "strategy", text_json(a->strategy));
	/* Why a resource did not get a better strategy (null: every one got the best). */
	json_object_set_new(staging, "reason",
	                    a->strategy_reason ? text_json(a->strategy_reason) : json_null());
	json_object_set_new(staging, "duration", seconds(a->exec_ns - a->start_ns));
	json_object_set_new(ev, "staging", staging);
	json_t *procs = json_object();
	json_object_set_new(procs, "owner", text_json(a->owner));
	json_object_set_new(procs, "reason", a->owner_reason ? text_json(a->owner_reason) : json_null());
	json_object_set_new(procs, "cpu", a->cpu_us >= 0 ? seconds(a->cpu_us * NSEC_PER_USEC) : json_null());
	json_object_set_new(procs, "max_rss_kib",
	                    a->maxrss_kb >= 0 ? json_integer(a->maxrss_kb) : json_null());
	json_object_set_new(ev, "processes", procs);
	/* Only for an attempt that asked for --isolate (and started): the kinds it got, what it
	 * did not get and why (--isolate all), what each tree and --share path became. */
	if (attempt_isolation_known(a)) {
		json_t *kinds = json_array();
		for (int bit = ISO_TMP; bit <= ISO_TREE; bit <<= 1)
			if (a->isolated & bit)
				json_array_append_new(kinds, json_string(isolate_kind_name(bit)));
		json_object_set_new(ev, "isolated", kinds);
		if (a->isolate_reason)
			json_object_set_new(ev, "not_isolated", text_json(a->isolate_reason));
		if (a->trees.n) {
			json_t *trees = json_array();
			for (size_t i = 0; i < a->trees.n; i++) {
				const struct tree_view *v = &a->trees.v[i];
				json_t *o = json_object();
				json_object_set_new(o, "path", text_json(v->path));
				json_object_set_new(o, "kind",
				                    json_string(v->share ? "share" : "tree"));
				json_object_set_new(o, "private", json_boolean(v->is_private));
				json_object_set_new(o, "reason", text_json(v->why));
				json_array_append_new(trees, o);
			}
			json_object_set_new(ev, "trees", trees);
		}
	}
	/* Only for a fenced attempt: the Landlock ABI, and what its output says was refused. */
	if (a->fence_abi) {
		json_t *refused = json_array();
		for (size_t i = 0; i < a->fence_refused.n; i++)
			json_array_append_new(refused, text_json(a->fence_refused.v[i]));
		json_object_set_new(ev, "fence_abi", json_integer(a->fence_abi));
		json_object_set_new(ev, "fence_refused", refused);
	}
	json_object_set_new(ev, "cleanup_duration", seconds(a->done_ns - a->end_ns));
	json_object_set_new(ev, "kept", json_boolean(a->kept));
	json_object_set_new(ev, "sandbox", a->kept ? text_json(a->sandbox_path) : json_null());
	json_object_set_new(ev, "log", a->kept ? text_json(a->log_path) : json_null());
	json_object_set_new(ev, "outputs", json_integer(a->outputs));
	json_object_set_new(ev, "output_bytes",
	                    json_integer((json_int_t)report_log_size(a->log_path)));
	/* What a failure said, so that the report alone (isola merge, on another machine) can
	 * show it: the last JSON_TAIL_BYTES of the output of an attempt that did not pass. */
	json_t *tail = json_null();
	if (!outcome_ok(a->outcome)) {
		char *buf;
		size_t len;
		off_t size;
		if (report_log_tail(a->log_path, JSON_TAIL_BYTES, &buf, &len, &size) == 0 && len) {
			json_decref(tail);
			tail = text_jsonn(buf, len);
		}
		free(buf);
	}
	json_object_set_new(ev, "output_tail", tail);
	/* The shared-write report: what it changed through its overlays, when it changed
	 * anything. */
	if (a->wrote.total) {
		json_t *wrote = json_array();
		for (size_t i = 0; i < a->wrote.n; i++) {
			const struct write *w = &a->wrote.v[i];
			json_t *o = json_object();
			json_object_set_new(o, "path", text_json(w->path));
			json_object_set_new(o, "kind", json_string(write_kind_name(w->kind)));
			json_object_set_new(o, "size", w->size >= 0 ? json_integer(w->size) : json_null());
			json_object_set_new(o, "from", w->from ? text_json(w->from) : json_null());
			json_object_set_new(o, "in", json_string(w->tree ? "tree" : "copy"));
			json_object_set_new(o, "shared", json_boolean(w->shared));
			json_array_append_new(wrote, o);
		}
		json_object_set_new(ev, "wrote", wrote);
		json_object_set_new(ev, "wrote_total", json_integer((json_int_t)a->wrote.total));
	}
	/* What the test said of its insides (its protocol), when it said anything. */
	if (a->subs.total) {
		json_t *subs = json_array();
		for (size_t i = 0; i < a->subs.n; i++) {
			const struct subresult *r = &a->subs.v[i];
			json_t *o = json_object();
			json_object_set_new(o, "name", text_json(r->name));
			json_object_set_new(o, "outcome", json_string(outcome_name(r->outcome)));
			json_object_set_new(o, "todo", json_boolean(r->todo));
			json_object_set_new(o, "message", text_json(r->message));
			json_object_set_new(o, "duration", r->ns >= 0 ? seconds(r->ns) : json_null());
			json_array_append_new(subs, o);
		}
		json_object_set_new(ev, "subtests", subs);
		json_object_set_new(ev, "subtests_total", json_integer((json_int_t)a->subs.total));
		json_object_set_new(ev, "subtests_failed", json_integer((json_int_t)a->subs.failed));
	}
	emit(j, ev);
}

static void json_test_slow(void *ctx, const struct attempt *a, int64_t now)
{
	struct json_rep *j = ctx;
	json_t *ev = attempt_head(j, "test_slow", a);
	json_object_set_new(ev, "running_for", seconds(now - a->exec_ns));
	emit(j, ev);
}

static void json_run_end(void *ctx, const struct run_summary *rs)
{
	struct json_rep *j = ctx;
	char sig[32];
	json_t *counts = json_object();
	for (int o = 0; o < OUT__COUNT; o++)
		json_object_set_new(counts, outcome_name((enum outcome)o),
		                    json_integer(rs->counts[o]));
	json_t *kept = json_array();
	for (size_t i = 0; i < rs->kept.n; i++) {
		const char *tab = strrchr(rs->kept.v[i], '\t');
		json_t *k = json_object();
		json_object_set_new(k, "test",
		                    text_jsonn(rs->kept.v[i], (size_t)(tab - rs->kept.v[i])));
		json_object_set_new(k, "sandbox", text_json(tab + 1));
		json_array_append_new(kept, k);
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string("run_end"));
	json_object_set_new(ev, "t", seconds(now_ns() - j->t0));
	json_object_set_new(ev, "counts", counts);
	json_object_set_new(ev, "passed", json_integer(rs->passed));
	json_object_set_new(ev, "failed", json_integer(rs->failed));
	json_object_set_new(ev, "skipped", json_integer(rs->skipped));
	json_object_set_new(ev, "not_run", json_integer(rs->not_run));
	json_object_set_new(ev, "flaky", json_integer(rs->flaky));
	json_object_set_new(ev, "flaky_result", json_string(rs->flaky_fails ? "fail" : "pass"));
	json_t *flakes = json_array();
	for (size_t i = 0; i < rs->nflakes; i++) {
		const struct flake *f = &rs->flakes[i];
		json_t *o = json_object();
		json_object_set_new(o, "test", text_json(f->name));
		json_object_set_new(o, "attempts", json_integer(f->attempts));
		json_object_set_new(o, "failures", json_integer(f->failures));
		json_object_set_new(o, "flaky_runs", json_integer(f->flaky_runs));
		json_t *reasons = json_array();
		for (size_t k = 0; k < f->nreasons; k++) {
			json_t *r = json_object();
			json_object_set_new(r, "reason", text_json(f->reasons[k].reason));
			json_object_set_new(r, "count", json_integer(f->reasons[k].count));
			json_array_append_new(reasons, r);
		}
		json_object_set_new(o, "reasons", reasons);
		json_object_set_new(o, "other_reasons", json_integer(f->other_reasons));
		json_array_append_new(flakes, o);
	}
	json_object_set_new(ev, "flakes", flakes);
	json_t *slowest = json_array();
	for (size_t i = 0; i < rs->nslowest; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "test", text_json(rs->slowest[i].name));
		json_object_set_new(o, "duration", seconds(rs->slowest[i].ns));
		json_array_append_new(slowest, o);
	}
	json_object_set_new(ev, "slowest", slowest);
	json_object_set_new(ev, "duration", seconds(rs->wall_ns));
	json_object_set_new(ev, "interrupted_by",
	                    rs->signal ? json_string(signal_name(rs->signal, sig, sizeof(sig)))
	                               : json_null());
	json_object_set_new(ev, "fail_fast", rs->fail_fast ? json_integer(rs->fail_fast)
	                                                   : json_null());
	json_object_set_new(ev, "kept", kept);
	json_t *unknown = json_object();
	json_t *cmds = json_array();
	for (size_t i = 0; i < rs->unknown_cmds.n; i++)
		json_array_append_new(cmds, text_json(rs->unknown_cmds.v[i]));
	json_object_set_new(unknown, "killed", json_integer(rs->unknown_killed));
	json_object_set_new(unknown, "commands", cmds);
	json_object_set_new(ev, "unknown_processes", unknown);
	emit(j, ev);

	report_out_finish(j->out, !j->broken, j->problems);
}

static void json_free(void *ctx)
{
	struct json_rep *j = ctx;
	report_out_free(j->out);
	free(j);
}

const struct reporter_ops report_json_ops = {
    .name = "json",
    .run_start = json_run_start,
    .test_start = json_test_start,
    .test_end = json_test_end,
    .run_end = json_run_end,
    .test_slow = json_test_slow,
    .free = json_free,
};

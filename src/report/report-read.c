/* SPDX-License-Identifier: MIT */
/* Reading a --json report back, with jansson (report-read.h). Part of report-json.so. */
#include "report/report-read.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "protocol/protocol.h"

/* The schema this reader knows (report-json.c writes it). */
#define READ_SCHEMA 1

struct reader {
	const char *path;
	size_t line;
	struct isola_error *e;
	const char *missing; /* the first required field found missing or of the wrong type */
};

static const char *str(struct reader *r, json_t *o, const char *key, bool required)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (required && !r->missing)
		r->missing = key;
	return NULL;
}

static double num(struct reader *r, json_t *o, const char *key, bool required, double dflt)
{
	json_t *v = json_object_get(o, key);
	if (json_is_number(v))
		return json_number_value(v);
	if (required && !r->missing)
		r->missing = key;
	return dflt;
}

static bool flag(struct reader *r, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_boolean(v))
		return json_is_true(v);
	if (!r->missing)
		r->missing = key;
	return false;
}

static unsigned uint_of(struct reader *r, json_t *o, const char *key)
{
	double d = num(r, o, key, true, 0);
	if (d < 0 || d > 4e9) {
		if (!r->missing)
			r->missing = key;
		return 0;
	}
	return (unsigned)d;
}

static int run_start(struct reader *r, json_t *ev, const struct report_read_ops *ops, void *ctx)
{
	double schema = num(r, ev, "schema", true, 0);
	if (!r->missing && schema != READ_SCHEMA)
		return err_set(r->e, 0, r->path,
		               "%s:%zu: a report of schema %g, and this isola reads schema %d: merge "
		               "with the isola that wrote it",
		               r->path, r->line, schema, READ_SCHEMA);
	json_t *opts = json_object_get(ev, "options");
	struct read_run_start rs = {
	    .isola_version = str(r, ev, "isola_version", true),
	    .run_id = str(r, ev, "run_id", true),
	    .time = str(r, ev, "time", true),
	    .source_dir = str(r, ev, "source_dir", true),
	    .tests = (size_t)uint_of(r, ev, "tests"),
	};
	if (!json_is_object(opts)) {
		r->missing = "options";
	} else {
		rs.jobs = uint_of(r, opts, "jobs");
		json_t *fr = json_object_get(opts, "flaky_result");
		rs.flaky_fails = json_is_string(fr) && strcmp(json_string_value(fr), "fail") == 0;
		json_t *p = json_object_get(opts, "partition");
		if (json_is_object(p)) {
			rs.part_strategy = str(r, p, "strategy", true);
			rs.part_digest = str(r, p, "digest", true);
			rs.part_index = uint_of(r, p, "index");
			rs.part_count = uint_of(r, p, "count");
			rs.part_selected = (size_t)uint_of(r, p, "selected");
		}
	}
	if (r->missing)
		return 0;
	if (ops->run_start)
		ops->run_start(ctx, &rs);
	return 0;
}

static void test_end(struct reader *r, json_t *ev, const struct report_read_ops *ops, void *ctx)
{
	json_t *staging = json_object_get(ev, "staging");
	json_t *procs = json_object_get(ev, "processes");
	if (!json_is_object(staging) || !json_is_object(procs)) {
		r->missing = json_is_object(staging) ? "processes" : "staging";
		return;
	}
	json_t *code = json_object_get(ev, "exit_code");
	struct read_test_end te = {
	    .test = str(r, ev, "test", true),
	    .attempt = uint_of(r, ev, "attempt"),
	    .run = json_is_integer(json_object_get(ev, "run")) ? uint_of(r, ev, "run") : 1,
	    .seq = uint_of(r, ev, "seq"),
	    .slot = uint_of(r, ev, "slot"),
	    .outcome = str(r, ev, "outcome", true),
	    .reason = str(r, ev, "reason", false),
	    .exited = json_is_integer(code),
	    .exit_code = json_is_integer(code) ? (int)json_integer_value(code) : 0,
	    .signal = str(r, ev, "signal", false),
	    .timed_out = flag(r, ev, "timed_out"),
	    .interrupted = flag(r, ev, "interrupted"),
	    .kept = flag(r, ev, "kept"),
	    .leaked = uint_of(r, ev, "leaked"),
	    .t = num(r, ev, "t", true, 0),
	    .duration = num(r, ev, "duration", true, 0),
	    .staging_duration = num(r, staging, "duration", true, 0),
	    .cleanup_duration = num(r, ev, "cleanup_duration", true, 0),
	    .strategy = str(r, staging, "strategy", false),
	    .strategy_reason = str(r, staging, "reason", false),
	    .owner = str(r, procs, "owner", false),
	    .owner_reason = str(r, procs, "reason", false),
	    .cpu = num(r, procs, "cpu", false, -1),
	    .max_rss_kib = (long long)num(r, procs, "max_rss_kib", false, -1),
	    .sandbox = str(r, ev, "sandbox", false),
	    .log = str(r, ev, "log", false),
	    .output_tail = str(r, ev, "output_tail", false),
	};
	if (te.output_tail)
		te.output_tail_len = json_string_length(json_object_get(ev, "output_tail"));
	struct subresults subs = {0};
	json_t *arr = json_object_get(ev, "subtests");
	if (json_is_array(arr)) {
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o) {
			const char *name = json_is_object(o) ? str(r, o, "name", true) : NULL;
			const char *oc = json_is_object(o) ? str(r, o, "outcome", true) : NULL;
			if (!name || !oc) {
				r->missing = "subtests";
				break;
			}
			/* A subtest is PASS, SKIP, ERROR or FAIL; anything else read as FAIL. */
			enum outcome out;
			if (outcome_parse(oc, &out) < 0 ||
			    (out != OUT_PASS && out != OUT_SKIP && out != OUT_ERROR))
				out = OUT_FAIL;
			const char *msg = str(r, o, "message", false);
			double d = num(r, o, "duration", false, -1);
			subresults_add(&subs, name, strlen(name), out,
			               json_is_true(json_object_get(o, "todo")), msg, msg ? strlen(msg) : 0,
			               d >= 0 ? (int64_t)(d * 1e9) : -1);
		}
		/* What the shard found but did not keep still counts. */
		double total = num(r, ev, "subtests_total", false, 0);
		double failed = num(r, ev, "subtests_failed", false, 0);
		if (total > (double)subs.total && total < 1e15)
			subs.total = (size_t)total;
		if (failed > (double)subs.failed && failed < 1e15)
			subs.failed = (size_t)failed;
		te.subs = &subs;
	}
	struct writes wrote = {0};
	arr = json_object_get(ev, "wrote");
	if (json_is_array(arr)) {
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o) {
			const char *path = json_is_object(o) ? str(r, o, "path", true) : NULL;
			const char *kind = json_is_object(o) ? str(r, o, "kind", true) : NULL;
			int k = kind ? write_kind_parse(kind) : -1;
			if (!path || k < 0) {
				r->missing = "wrote";
				break;
			}
			const char *in = str(r, o, "in", false);
			double size = num(r, o, "size", false, -1);
			writes_add(&wrote, path, (enum write_kind)k,
			           size >= 0 && size < 9e18 ? (int64_t)size : -1,
			           str(r, o, "from", false), !in || strcmp(in, "copy") != 0,
			           json_is_true(json_object_get(o, "shared")));
		}
		/* What the shard found but did not keep still counts. */
		double total = num(r, ev, "wrote_total", false, 0);
		if (total > (double)wrote.total && total < 1e15)
			wrote.total = (size_t)total;
		te.wrote = &wrote;
	}
	/* What --isolate gave it; kinds this isola does not know are passed over. */
	arr = json_object_get(ev, "isolated");
	if (json_is_array(arr)) {
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o) {
			int bits;
			if (json_is_string(o) && parse_isolate(json_string_value(o), &bits) == 0)
				te.isolated |= bits & (ISO_TMP | ISO_SHM | ISO_NET | ISO_TREE);
		}
		te.not_isolated = str(r, ev, "not_isolated", false);
	}
	struct tree_views trees = {0};
	arr = json_object_get(ev, "trees");
	if (json_is_array(arr)) {
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o) {
			const char *path = json_is_object(o) ? str(r, o, "path", true) : NULL;
			const char *kind = json_is_object(o) ? str(r, o, "kind", true) : NULL;
			bool share = kind && strcmp(kind, "share") == 0;
			if (!path || !kind || (!share && strcmp(kind, "tree") != 0)) {
				r->missing = "trees";
				break;
			}
			tree_views_add(&trees, path, share, flag(r, o, "private"),
			               str(r, o, "reason", false));
		}
		te.trees = &trees;
	}
	struct strv refused = STRV_INIT;
	json_t *fence = json_object_get(ev, "fence_refused");
	double abi = num(r, ev, "fence_abi", false, 0);
	if (json_is_array(fence) && abi >= 1 && abi < 1000) {
		size_t i;
		json_t *o;
		json_array_foreach(fence, i, o) {
			if (json_is_string(o))
				strv_push(&refused, json_string_value(o));
		}
		te.fence_abi = (int)abi;
		te.fence_refused = &refused;
	}
	if (!r->missing && ops->test_end)
		ops->test_end(ctx, &te);
	subresults_release(&subs);
	writes_release(&wrote);
	tree_views_release(&trees);
	strv_release(&refused);
}

int report_json_read(const char *path, const struct report_read_ops *ops, void *ctx,
                     struct isola_error *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return err_set(e, errno, path, "cannot read '%s'", path);
	struct reader r = {.path = path, .e = e};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool started = false, ended = false;
	int ret = 0;
	while (ret == 0 && (len = getline(&line, &cap, f)) >= 0) {
		r.line++;
		bool whole = len > 0 && line[len - 1] == '\n';
		if (len == 0 || (len == 1 && whole))
			continue;
		json_error_t je;
		/* A test's output may hold NUL (output_tail keeps it, as \u0000). */
		json_t *ev = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, &je);
		if (!ev) {
			/* A line cut short at the very end: the shard was killed while writing. */
			if (!whole && started && fgetc(f) == EOF)
				break;
			ret = err_set(e, 0, path, "%s:%zu: not a line of an isola --json report (%s)",
			              path, r.line, je.text);
			break;
		}
		const char *event = json_is_object(ev) ? str(&r, ev, "event", true) : NULL;
		if (!event) {
			ret = err_set(e, 0, path, "%s:%zu: not an event of an isola --json report", path,
			              r.line);
		} else if (!started && strcmp(event, "run_start") != 0) {
			ret = err_set(e, 0, path,
			              "%s:%zu: an isola --json report starts with run_start, not %s",
			              path, r.line, event);
		} else if (ended) {
			ret = err_set(e, 0, path, "%s:%zu: an event after run_end", path, r.line);
		} else if (strcmp(event, "run_start") == 0) {
			if (started)
				ret = err_set(e, 0, path, "%s:%zu: a second run_start (two reports in one "
				              "file?)", path, r.line);
			else
				ret = run_start(&r, ev, ops, ctx);
			started = true;
		} else if (strcmp(event, "test_end") == 0) {
			test_end(&r, ev, ops, ctx);
		} else if (strcmp(event, "run_end") == 0) {
			struct read_run_end re = {
			    .duration = num(&r, ev, "duration", true, 0),
			    .interrupted_by = str(&r, ev, "interrupted_by", false),
			};
			if (!r.missing && ops->run_end)
				ops->run_end(ctx, &re);
			ended = true;
		}
		if (ret == 0 && r.missing)
			ret = err_set(e, 0, path, "%s:%zu: %s event without a valid '%s'", path, r.line,
			              event, r.missing);
		json_decref(ev);
	}
	if (ret == 0 && ferror(f))
		ret = err_set(e, errno, path, "cannot read '%s'", path);
	if (ret == 0 && !started)
		ret = err_set(e, 0, path, "%s: empty: not an isola --json report", path);
	free(line);
	fclose(f);
	return ret < 0 ? -1 : ended ? 0 : 1;
}

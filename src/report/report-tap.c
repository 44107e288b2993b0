/* SPDX-License-Identifier: MIT */
/*
 * --tap FILE: TAP version 14, one test point per attempt, written as attempts end; the plan
 * comes last (the number of attempts is known only then: retries). A test point that did not
 * pass carries a YAML diagnostic block with the outcome, the reason, the exit status and the
 * tail of the output (a double-quoted YAML string: its escapes are the subset TAP::Parser's
 * YAMLish reader and the YAML 1.2 parsers of TAP 14 harnesses agree on).
 */
#include <string.h>

#include "protocol/protocol.h"
#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/spawn.h"
#include "util/util.h"

/* The output tail a failure's diagnostics carry. */
#define TAP_TAIL_LINES 20
#define TAP_TAIL_BYTES 4096

struct tap {
	bool flaky_fails; /* --flaky-result fail */
	struct report_out *out;
	struct report_problems *problems;
	unsigned n; /* test points written */
	struct tbuf b;
};

void *report_tap_new(struct report_out *out, struct report_problems *p)
{
	struct tap *t = xcalloc(1, sizeof(*t));
	t->out = out;
	t->problems = p;
	return t;
}

/* `  key: "value"` */
static void yaml_str(struct tap *t, FILE *f, const char *key, const char *s, size_t n)
{
	tbuf_reset(&t->b);
	text_yaml_quoted(&t->b, s, n);
	fprintf(f, "  %s: \"%s\"\n", key, tbuf_str(&t->b));
}

static void tap_run_start(void *ctx, const struct run_info *ri)
{
	struct tap *t = ctx;
	FILE *f = t->out->fp;
	t->flaky_fails = ri->flaky_fails;
	fprintf(f, "TAP version 14\n");
	tbuf_reset(&t->b);
	text_visible(&t->b, ri->run_id, strlen(ri->run_id), false, false);
	fprintf(f, "# isola %s run %s: %zu test%s, %u job%s\n", ISOLA_VERSION, tbuf_str(&t->b),
	        ri->ntests, ri->ntests == 1 ? "" : "s", ri->jobs, ri->jobs == 1 ? "" : "s");
	fflush(f);
}

/*
 * The sub-results of an attempt as a TAP 14 subtest: a "# Subtest" comment, then the subtest
 * indented four spaces (its plan first: the points it holds), before the attempt's own point.
 * A failed subtest's message is its YAML block; a skip's or TODO's is its directive's reason.
 */
static void write_subs(struct tap *t, FILE *f, const struct attempt *a)
{
	const struct subresults *s = &a->subs;
	if (!s->total)
		return;
	tbuf_reset(&t->b);
	text_tap_desc(&t->b, a->test->name, strlen(a->test->name));
	fprintf(f, "# Subtest: %s\n", tbuf_str(&t->b));
	fprintf(f, "    1..%zu\n", s->n);
	for (size_t i = 0; i < s->n; i++) {
		const struct subresult *r = &s->v[i];
		tbuf_reset(&t->b);
		text_tap_desc(&t->b, r->name, strlen(r->name));
		bool ok = r->outcome == OUT_PASS || r->outcome == OUT_SKIP;
		fprintf(f, "    %sok %zu - %s", ok ? "" : "not ", i + 1, tbuf_str(&t->b));
		if (r->outcome == OUT_SKIP || r->todo) {
			const char *m = r->message ? r->message : "";
			tbuf_reset(&t->b);
			text_tap_desc(&t->b, m, strcspn(m, "\n"));
			fprintf(f, " # %s%s%s", r->todo ? "TODO" : "SKIP", *tbuf_str(&t->b) ? " " : "",
			        tbuf_str(&t->b));
		}
		fputc('\n', f);
		if (!ok && !r->todo) {
			fprintf(f, "      ---\n");
			fprintf(f, "      outcome: %s\n", outcome_name(r->outcome));
			if (r->message) {
				tbuf_reset(&t->b);
				text_yaml_quoted(&t->b, r->message, strlen(r->message));
				fprintf(f, "      message: \"%s\"\n", tbuf_str(&t->b));
			}
			if (r->ns >= 0)
				fprintf(f, "      duration_ms: %.3f\n", (double)r->ns / 1e6);
			fprintf(f, "      ...\n");
		}
	}
	if (s->total > s->n)
		fprintf(f, "    # %zu more subtests not shown (isola keeps %d, and failures)\n",
		        s->total - s->n, SUBS_MAX);
}

static void tap_test_end(void *ctx, const struct attempt *a)
{
	struct tap *t = ctx;
	FILE *f = t->out->fp;
	char buf[64];
	t->n++;
	write_subs(t, f, a);

	tbuf_reset(&t->b);
	text_tap_desc(&t->b, a->test->name, strlen(a->test->name));
	if (a->run > 1)
		tbuf_addf(&t->b, " (run %u)", a->run);
	if (a->number > 1)
		tbuf_addf(&t->b, " (attempt %u)", a->number);
	/*
	 * A failed attempt that is retried is a TODO: it does not fail the stream, its run's last
	 * attempt says how the test ended. A FLAKY run passed (a "# flaky" note a harness shows,
	 * not a directive), or, under --flaky-result fail, did not.
	 */
	enum outcome shown = attempt_shown(a);
	bool ok = shown == OUT_FLAKY ? !t->flaky_fails : outcome_ok(shown);
	fprintf(f, "%sok %u - %s", ok ? "" : "not ", t->n, tbuf_str(&t->b));
	if (a->outcome == OUT_SKIP)
		fprintf(f, " # SKIP %s", a->reason ? a->reason : "exit 77");
	else if (a->retried && !outcome_ok(a->outcome))
		fprintf(f, " # TODO retried after %s", outcome_name(a->outcome));
	else if (shown == OUT_FLAKY)
		fprintf(f, " # flaky: passed after %u failed attempt%s", a->failed_before,
		        a->failed_before == 1 ? "" : "s");
	fputc('\n', f);
	if (ok) {
		if (a->leaked)
			fprintf(f, "# left %u process%s behind: killed\n", a->leaked,
			        a->leaked == 1 ? "" : "es");
		fflush(f);
		return;
	}

	fprintf(f, "  ---\n");
	fprintf(f, "  outcome: %s\n", outcome_name(shown));
	if (a->reason)
		yaml_str(t, f, "message", a->reason, strlen(a->reason));
	if (a->exited)
		fprintf(f, "  exit_code: %d\n", a->exit_code);
	if (a->signal)
		fprintf(f, "  signal: %s\n", signal_name(a->signal, buf, sizeof(buf)));
	if (a->leaked)
		fprintf(f, "  leaked: %u\n", a->leaked);
	fprintf(f, "  attempt: %u\n", a->number);
	fprintf(f, "  duration_ms: %.3f\n", (double)(a->end_ns - a->exec_ns) / 1e6);
	if (a->kept && a->sandbox_path)
		yaml_str(t, f, "sandbox", a->sandbox_path, strlen(a->sandbox_path));
	if (a->kept && a->log_path)
		yaml_str(t, f, "log", a->log_path, strlen(a->log_path));
	char *out;
	size_t len;
	off_t size;
	if (report_log_tail(a->log_path, TAP_TAIL_BYTES, &out, &len, &size) == 0 && len) {
		size_t start = report_tail_lines(out, len, TAP_TAIL_LINES);
		fprintf(f, "  output_bytes: %lld\n", (long long)size);
		yaml_str(t, f, "output", out + start, len - start);
	}
	free(out);
	fprintf(f, "  ...\n");
	fflush(f);
}

static void tap_run_end(void *ctx, const struct run_summary *rs)
{
	struct tap *t = ctx;
	FILE *f = t->out->fp;
	if (rs->signal)
		fprintf(f, "# interrupted: %u test%s not run\n", rs->not_run,
		        rs->not_run == 1 ? "" : "s");
	fprintf(f, "1..%u\n", t->n);
	report_out_finish(t->out, true, t->problems);
}

static void tap_free(void *ctx)
{
	struct tap *t = ctx;
	report_out_free(t->out);
	tbuf_release(&t->b);
	free(t);
}

const struct reporter_ops report_tap_ops = {
    .name = "tap",
    .run_start = tap_run_start,
    .test_end = tap_test_end,
    .run_end = tap_run_end,
    .free = tap_free,
};

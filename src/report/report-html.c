/* SPDX-License-Identifier: MIT */
/*
 * --html FILE: one self-contained page (inline CSS and SVG, no script, no network): the counts,
 * the attempts that did not pass first with their output tails and kept sandboxes, a timeline of
 * the slots, the slowest tests, and where the time went (isolation overhead: staging and cleanup,
 * against the tests' own time). Written at the end of the run; every string goes through
 * text_html().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/protocol.h"
#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/isolate.h"
#include "util/util.h"

/* The output tail shown for an attempt that did not pass. */
#define HTML_TAIL_LINES 30
#define HTML_TAIL_BYTES 8192
#define HTML_SLOWEST    10

/* The timeline's geometry, in SVG user units. */
#define TL_WIDTH 960
#define TL_LABEL 64
#define TL_ROW   22
#define TL_AXIS  24

struct html {
	struct report_out *out;
	struct report_problems *problems;
	struct report_recs recs;
	char *run_id, *run_dir;
	unsigned jobs;
	size_t ntests;
	int64_t t0, start_wall_ns;
	struct tbuf b;
};

void *report_html_new(struct report_out *out, struct report_problems *p)
{
	struct html *h = xcalloc(1, sizeof(*h));
	h->out = out;
	h->problems = p;
	return h;
}

static void html_run_start(void *ctx, const struct run_info *ri)
{
	struct html *h = ctx;
	h->t0 = now_ns();
	h->run_id = xstrdup(ri->run_id);
	h->run_dir = xstrdup(ri->run_dir);
	h->jobs = ri->jobs;
	h->ntests = ri->ntests;
	h->start_wall_ns = ri->start_wall_ns;
}

static void html_test_end(void *ctx, const struct attempt *a)
{
	struct html *h = ctx;
	struct report_rec *r = report_recs_add(&h->recs, a);
	if (outcome_ok(a->outcome))
		return;
	/* Only what did not pass shows its output: keep just that tail. */
	char *buf;
	size_t len;
	off_t size;
	report_log_tail(a->log_path, HTML_TAIL_BYTES, &buf, &len, &size);
	size_t start = report_tail_lines(buf, len, HTML_TAIL_LINES);
	r->tail = xmalloc(len - start + 1);
	memcpy(r->tail, buf + start, len - start);
	r->tail[len - start] = '\0';
	r->tail_len = len - start;
	free(buf);
}

/* Escaped text, valid until the next call. */
static const char *esc(struct html *h, const char *s)
{
	tbuf_reset(&h->b);
	text_html(&h->b, s ? s : "", s ? strlen(s) : 0);
	return tbuf_str(&h->b);
}

static const char *css_class(enum outcome o)
{
	static const char *const c[OUT__COUNT] = {
	    [OUT_PASS] = "pass",   [OUT_FAIL] = "fail",       [OUT_SKIP] = "skip",
	    [OUT_ERROR] = "error", [OUT_TIMEOUT] = "timeout", [OUT_CRASH] = "crash",
	    [OUT_LEAK] = "leak",   [OUT_FLAKY] = "flaky",
	};
	return o < OUT__COUNT ? c[o] : "fail";
}

/* A record's outcome as shown: the run's result on the attempt that ended it. */
#define SHOWN(r) attempt_shown(r)

static void dur(int64_t ns, char *buf, size_t len)
{
	fmt_duration(ns < 0 ? 0 : ns, buf, len);
}

static const char style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d232a;"
    "background:#f6f7f9}\n"
    "main{max-width:1000px;margin:0 auto;padding:16px 20px 40px}\n"
    "h1{font-size:22px;margin:8px 0 2px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px "
    "solid #d5d9de;padding-bottom:4px}\n"
    "code,pre{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',monospace}\n"
    ".meta{color:#5b6570;margin:0}\n"
    ".counts{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0;margin:10px 0}\n"
    ".counts li{background:#fff;border:1px solid #d5d9de;border-left-width:5px;border-radius:4px;"
    "padding:6px 12px;min-width:70px}\n"
    ".counts .n{display:block;font-size:22px;font-weight:600}.counts .zero{opacity:.45}\n"
    "#closing{font-weight:600}\n"
    ".pass{border-color:#2f9e44!important}.fail,.crash,.timeout,.leak{border-color:#d9480f!"
    "important}.error{border-color:#ae3ec9!important}.skip,.flaky{border-color:#f59f00!important}\n"
    ".badge{display:inline-block;color:#fff;border-radius:3px;padding:0 6px;font-size:12px;"
    "font-weight:600;vertical-align:1px}\n"
    ".badge.pass{background:#2f9e44}.badge.fail,.badge.crash,.badge.timeout,.badge.leak{"
    "background:#d9480f}.badge.error{background:#ae3ec9}.badge.skip,.badge.flaky{background:#f59f00}\n"
    ".failure{background:#fff;border:1px solid #d5d9de;border-left:5px solid #d9480f;"
    "border-radius:4px;padding:8px 12px;margin:10px 0}\n"
    ".failure h3{font-size:15px;margin:0 0 4px;word-break:break-all}\n"
    ".failure p{margin:2px 0;color:#5b6570;word-break:break-all}\n"
    ".failure pre{background:#1d232a;color:#e9ecef;padding:8px;border-radius:3px;overflow-x:auto;"
    "white-space:pre-wrap;word-break:break-all;margin:6px 0 0}\n"
    "table{border-collapse:collapse;background:#fff;width:100%}\n"
    "td,th{border:1px solid #d5d9de;padding:3px 8px;text-align:left;vertical-align:top}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.name{word-break:break-all}\n"
    ".bar{display:flex;height:18px;border-radius:3px;overflow:hidden;border:1px solid #d5d9de;"
    "margin:6px 0}\n"
    ".bar div{height:100%}\n"
    ".k-test{background:#4c6ef5}.k-stage{background:#f59f00}"
    ".k-idle{background:#e9ecef}\n"
    ".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;"
    "vertical-align:0}\n"
    "svg{background:#fff;border:1px solid #d5d9de;border-radius:4px;max-width:100%;height:auto}\n"
    "svg text{font:11px sans-serif;fill:#5b6570}\n"
    "svg .s-pass{fill:#69db7c}svg .s-fail,svg .s-crash,svg .s-timeout,svg .s-leak{fill:#ff8787}"
    "svg .s-error{fill:#da77f2}svg .s-skip,svg .s-flaky{fill:#ffd43b}svg .iso{fill:#495057;opacity:.55}\n"
    "svg text.label{fill:#1d232a;font-size:10.5px}\n"
    "footer{color:#868e96;margin-top:30px;font-size:12px}\n";

static void write_summary(struct html *h, FILE *f, const struct run_summary *rs)
{
	fprintf(f, "<section id=\"summary\"><h2>Summary</h2>\n<ul class=\"counts\">\n");
	for (int o = 0; o < OUT__COUNT; o++)
		fprintf(
		    f, "<li class=\"%s%s\"><span class=\"n\" id=\"count-%s\">%u</span>%s</li>\n",
		    css_class((enum outcome)o), rs->counts[o] ? "" : " zero",
		    outcome_name((enum outcome)o), rs->counts[o], outcome_name((enum outcome)o));
	fprintf(f, "</ul>\n<p id=\"closing\">%u passed, %u failed", rs->passed, rs->failed);
	if (rs->skipped)
		fprintf(f, ", %u skipped", rs->skipped);
	fprintf(f, "</p>\n");
	if (rs->signal)
		fprintf(f, "<p id=\"interrupted\">interrupted: %u test%s not run</p>\n",
		        rs->not_run, rs->not_run == 1 ? "" : "s");
	if (rs->flaky)
		fprintf(f, "<p id=\"flaky\">flaky: %u test%s failed, then passed on retry (FLAKY: "
		           "counted as %s)</p>\n",
		        rs->flaky, rs->flaky == 1 ? "" : "s", rs->flaky_fails ? "failed" : "passed");
	fprintf(f, "</section>\n");
	if (!rs->nflakes || !flake_table_wanted(rs))
		return;
	fprintf(f, "<section id=\"flakes\"><h2>Flakes</h2>\n<table>\n<tr><th>test</th>"
	           "<th class=\"num\">attempts</th><th class=\"num\">failed</th>"
	           "<th class=\"num\">rate</th><th class=\"num\">95%% interval</th>"
	           "<th>reasons</th></tr>\n");
	for (size_t i = 0; i < rs->nflakes; i++) {
		const struct flake *fl = &rs->flakes[i];
		double lo = 0, hi = 1;
		if (fl->attempts)
			wilson_interval(fl->failures, fl->attempts, &lo, &hi);
		fprintf(f, "<tr><td class=\"name\">%s</td>", esc(h, fl->name));
		fprintf(f, "<td class=\"num\">%u</td><td class=\"num\">%u</td><td class=\"num\">"
		           "%.1f%%</td><td class=\"num\">%.1f%%&ndash;%.1f%%</td><td>",
		        fl->attempts, fl->failures,
		        fl->attempts ? 100.0 * fl->failures / fl->attempts : 0.0, 100 * lo, 100 * hi);
		for (size_t k = 0; k < fl->nreasons; k++)
			fprintf(f, "%s%u&times; %s", k ? "<br>" : "", fl->reasons[k].count,
			        esc(h, fl->reasons[k].reason));
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n</section>\n");
}

/* The failed subtests of an attempt that did not pass, each with its message. */
#define HTML_SUBS_SHOWN 50
static void write_failed_subs(struct html *h, FILE *f, const struct report_rec *r)
{
	const struct subresults *s = &r->subs;
	if (!s->failed)
		return;
	fprintf(f, "<p>%zu of %zu subtests failed:</p>\n<ul class=\"subtests\">\n", s->failed,
	        s->total);
	size_t shown = 0;
	for (size_t i = 0; i < s->n && shown < HTML_SUBS_SHOWN; i++) {
		const struct subresult *sr = &s->v[i];
		if (!subresult_failed(sr))
			continue;
		shown++;
		const char *cls = css_class(sr->outcome);
		fprintf(f, "<li class=\"subtest\" data-outcome=\"%s\" data-subtest=\"%s\">",
		        outcome_name(sr->outcome), esc(h, sr->name));
		fprintf(f, "<span class=\"badge %s\">%s</span> <span class=\"name\">%s</span>", cls,
		        outcome_name(sr->outcome), esc(h, sr->name));
		if (sr->message)
			fprintf(f, "<pre class=\"message\">%s</pre>", esc(h, sr->message));
		fprintf(f, "</li>\n");
	}
	fprintf(f, "</ul>\n");
	if (s->failed > shown)
		fprintf(f, "<p>... %zu more failed subtests not shown</p>\n", s->failed - shown);
}

/* What --isolate gave an attempt and its write fence, in one line, as -v says them. */
static void write_isolation(struct html *h, FILE *f, const struct report_rec *r)
{
	if (!r->isolation && !r->fence_abi)
		return;
	char iso[64];
	fprintf(f, "<p class=\"isolation\">");
	if (r->isolation) {
		fprintf(f, "isolated: %s", isolation_name(r->isolated, iso, sizeof(iso)));
		if (r->isolate_reason)
			fprintf(f, " &middot; not isolated more: %s", esc(h, r->isolate_reason));
		if (r->trees)
			fprintf(f, " &middot; %s", esc(h, r->trees));
	}
	if (r->fence_abi)
		fprintf(f, "%sfenced (Landlock ABI %d)", r->isolation ? " &middot; " : "",
		        r->fence_abi);
	fprintf(f, "</p>\n");
}

static void write_failures(struct html *h, FILE *f)
{
	size_t n = 0;
	for (size_t i = 0; i < h->recs.n; i++)
		n += !outcome_ok(h->recs.v[i].outcome);
	fprintf(f, "<section id=\"failed\"><h2>Not passed (%zu)</h2>\n", n);
	if (!n)
		fprintf(f, "<p>Every test passed or was skipped.</p>\n");
	for (size_t i = 0; i < h->recs.n; i++) {
		const struct report_rec *r = &h->recs.v[i];
		char d[32];
		if (outcome_ok(r->outcome))
			continue;
		const char *cls = css_class(r->outcome);
		fprintf(f, "<article class=\"failure %s\" data-outcome=\"%s\" data-test=\"%s\">",
		        cls, outcome_name(r->outcome), esc(h, r->name));
		fprintf(f, "<h3><span class=\"badge %s\">%s</span> <span class=\"name\">%s</span>",
		        cls, outcome_name(r->outcome), esc(h, r->name));
		if (r->number > 1)
			fprintf(f, " (attempt %u)", r->number);
		if (r->retried)
			fprintf(f, " (retried)");
		dur(r->end_ns - r->exec_ns, d, sizeof(d));
		fprintf(f, " <small>%s", d);
		if (r->reason)
			fprintf(f, " &middot; %s", esc(h, r->reason));
		fprintf(f, "</small></h3>\n");
		if (r->kept && r->sandbox_path)
			fprintf(f, "<p>sandbox (kept): <code class=\"sandbox\">%s</code></p>\n",
			        esc(h, r->sandbox_path));
		if (r->kept && r->log_path)
			fprintf(f, "<p>log: <code>%s</code> (%lld bytes)</p>\n",
			        esc(h, r->log_path), (long long)r->out_size);
		write_isolation(h, f, r);
		write_failed_subs(h, f, r);
		if (r->tail_len) {
			tbuf_reset(&h->b);
			text_html(&h->b, r->tail, r->tail_len);
			fprintf(f, "<pre class=\"tail\">%s</pre>\n", tbuf_str(&h->b));
		} else {
			fprintf(f, "<p>(no output)</p>\n");
		}
		fprintf(f, "</article>\n");
	}
	fprintf(f, "</section>\n");
}

static void write_timeline(struct html *h, FILE *f, int64_t wall)
{
	unsigned jobs = h->jobs ? h->jobs : 1;
	int height = (int)jobs * TL_ROW + TL_AXIS + 8;
	double scale = (double)(TL_WIDTH - TL_LABEL - 10) / (double)(wall > 0 ? wall : 1);
	fprintf(f,
	        "<section id=\"timeline\"><h2>Timeline</h2>\n<p class=\"legend\">One row per slot, "
	        "one bar per attempt, coloured by outcome; the dark start of a bar is isolation: "
	        "staging before the test. Its sandbox is removed after the test has left the slot, "
	        "off the slots (see below). Hover for names.</p>\n");
	fprintf(
	    f,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 "
	    "%d %d\" role=\"img\" aria-label=\"slots over time\">\n",
	    TL_WIDTH, height, TL_WIDTH, height);
	for (unsigned s = 0; s < jobs; s++)
		fprintf(f, "<text x=\"6\" y=\"%d\">slot %u</text>\n", (int)s * TL_ROW + 20, s);
	/* About six ticks at round numbers of seconds. */
	static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
	                               0.5,   1,     2,     5,    10,   20,   30,  60,
	                               120,   300,   600,   1200, 1800, 3600, 7200};
	double secs = (double)wall / 1e9, step = steps[ARRAY_SIZE(steps) - 1];
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++)
		if (secs / steps[i] <= 6) {
			step = steps[i];
			break;
		}
	int axis_y = (int)jobs * TL_ROW + 8;
	for (int k = 0; k <= 50 && k * step <= secs + 1e-9; k++) {
		double x = TL_LABEL + k * step * 1e9 * scale;
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"4\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e9ecef\"/>"
		        "<text x=\"%.1f\" y=\"%d\">%gs</text>\n",
		        x, x, axis_y, x + 2, axis_y + 14, k * step);
	}
	for (size_t i = 0; i < h->recs.n; i++) {
		const struct report_rec *r = &h->recs.v[i];
		double x0 = TL_LABEL + (double)(r->start_ns - h->t0) * scale;
		double x1 = TL_LABEL + (double)(r->end_ns - h->t0) * scale;
		double xe = TL_LABEL + (double)(r->exec_ns - h->t0) * scale;
		int y = (int)r->slot * TL_ROW + 5;
		char d[32];
		dur(r->end_ns - r->exec_ns, d, sizeof(d));
		fprintf(f, "<g><title>%s: %s, %s</title>", esc(h, r->name),
		        outcome_name(SHOWN(r)), d);
		fprintf(f,
		        "<rect class=\"s-%s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"/>",
		        css_class(SHOWN(r)), x0, y, x1 - x0 > 0.5 ? x1 - x0 : 0.5, TL_ROW - 4);
		/* Staging, however thin: the page's structure does not depend on timing. */
		fprintf(f, "<rect class=\"iso\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"/>",
		        x0, y, xe > x0 ? xe - x0 : 0, TL_ROW - 4);
		/* The name inside the bar, where it fits (about 6 units per character). */
		const char *label = esc(h, r->name);
		if (x1 - x0 > 6.0 * (double)text_columns(label, strlen(label)) + 10)
			fprintf(f, "<text class=\"label\" x=\"%.2f\" y=\"%d\">%s</text>", x0 + 5,
			        y + TL_ROW - 9, label);
		fprintf(f, "</g>\n");
	}
	fprintf(f, "</svg>\n</section>\n");
}

static int cmp_test_time(const void *x, const void *y)
{
	const struct report_rec *a = *(const struct report_rec *const *)x;
	const struct report_rec *b = *(const struct report_rec *const *)y;
	int64_t ta = a->end_ns - a->exec_ns, tb = b->end_ns - b->exec_ns;
	if (ta != tb)
		return ta > tb ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void write_slowest(struct html *h, FILE *f)
{
	const struct report_rec **v = xcalloc(h->recs.n + 1, sizeof(*v));
	for (size_t i = 0; i < h->recs.n; i++)
		v[i] = &h->recs.v[i];
	qsort(v, h->recs.n, sizeof(*v), cmp_test_time);
	fprintf(f, "<section id=\"slowest\"><h2>Slowest tests</h2>\n<table>\n<tr><th>test</th>"
	           "<th>outcome</th><th class=\"num\">test time</th><th class=\"num\">staging</th>"
	           "<th class=\"num\">cleanup</th></tr>\n");
	for (size_t i = 0; i < h->recs.n && i < HTML_SLOWEST; i++) {
		const struct report_rec *r = v[i];
		char d1[32], d2[32], d3[32];
		dur(r->end_ns - r->exec_ns, d1, sizeof(d1));
		dur(r->exec_ns - r->start_ns, d2, sizeof(d2));
		dur(r->done_ns - r->end_ns, d3, sizeof(d3));
		fprintf(
		    f,
		    "<tr><td class=\"name\">%s</td><td><span class=\"badge %s\">%s</span></td>"
		    "<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
		    "</tr>\n",
		    esc(h, r->name), css_class(SHOWN(r)), outcome_name(SHOWN(r)), d1, d2, d3);
	}
	fprintf(f, "</table>\n</section>\n");
	free(v);
}

static double pct(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0;
}

static void write_overhead(struct html *h, FILE *f, int64_t wall)
{
	int64_t test = 0, stage = 0, clean = 0;
	for (size_t i = 0; i < h->recs.n; i++) {
		const struct report_rec *r = &h->recs.v[i];
		test += r->end_ns - r->exec_ns;
		stage += r->exec_ns - r->start_ns;
		clean += r->done_ns - r->end_ns;
	}
	/* Staging holds a slot; the removal of a sandbox runs on isola's workers once the test
	 * has left its slot, so it is not slot time. */
	int64_t capacity = wall * (int64_t)(h->jobs ? h->jobs : 1);
	int64_t idle = capacity - test - stage;
	if (idle < 0)
		idle = 0;
	char dt[32], ds[32], dc[32], di[32], dw[32];
	dur(test, dt, sizeof(dt));
	dur(stage, ds, sizeof(ds));
	dur(clean, dc, sizeof(dc));
	dur(idle, di, sizeof(di));
	dur(wall, dw, sizeof(dw));
	fprintf(f, "<section id=\"overhead\"><h2>Where the time went</h2>\n");
	fprintf(f,
	        "<p>Isolation overhead (staging and cleanup): <b id=\"overhead-pct\">%.1f%%</b> of "
	        "the tests' own time.</p>\n",
	        pct(stage + clean, test));
	fprintf(f,
	        "<div class=\"bar\"><div class=\"k-test\" style=\"width:%.2f%%\"></div>"
	        "<div class=\"k-stage\" style=\"width:%.2f%%\"></div><div class=\"k-idle\" "
	        "style=\"width:%.2f%%\"></div></div>\n",
	        pct(test, capacity), pct(stage, capacity), pct(idle, capacity));
	fprintf(f,
	        "<p class=\"legend\"><span class=\"k-test\"></span>tests<span class=\"k-stage\">"
	        "</span>staging<span class=\"k-idle\"></span>idle slots</p>\n");
	fprintf(f,
	        "<table>\n<tr><th>slot time (%u slot%s &times; %s)</th><th class=\"num\">time</th>"
	        "<th class=\"num\">share</th></tr>\n",
	        h->jobs, h->jobs == 1 ? "" : "s", dw);
	fprintf(f,
	        "<tr><td>tests running</td><td class=\"num\" id=\"time-test\">%s</td><td "
	        "class=\"num\">%.1f%%</td></tr>\n",
	        dt, pct(test, capacity));
	fprintf(f,
	        "<tr><td>staging</td><td class=\"num\" id=\"time-staging\">%s</td><td "
	        "class=\"num\">%.1f%%</td></tr>\n",
	        ds, pct(stage, capacity));
	fprintf(f,
	        "<tr><td>idle</td><td class=\"num\">%s</td><td class=\"num\">%.1f%%</td></tr>\n"
	        "</table>\n",
	        di, pct(idle, capacity));
	fprintf(f,
	        "<p>Cleanup (leak hunt, sandbox removal), which starts when the test has left its slot: "
	        "<span id=\"time-cleanup\">%s</span> in all.</p>\n</section>\n",
	        dc);
}

static void write_attempts(struct html *h, FILE *f)
{
	/* The wrote column (the shared-write report) where some attempt wrote through an
	 * overlay. */
	bool wrote = false;
	for (size_t i = 0; i < h->recs.n && !wrote; i++)
		wrote = h->recs.v[i].wrote.total > 0;
	fprintf(f,
	        "<section id=\"all\"><h2>All attempts (%zu)</h2>\n<table>\n<tr><th "
	        "class=\"num\">#</th><th>test</th><th>outcome</th><th class=\"num\">slot</th><th "
	        "class=\"num\">time</th>%s<th>reason</th></tr>\n",
	        h->recs.n, wrote ? "<th class=\"num\">wrote</th>" : "");
	for (size_t i = 0; i < h->recs.n; i++) {
		const struct report_rec *r = &h->recs.v[i];
		char d[32];
		dur(r->end_ns - r->exec_ns, d, sizeof(d));
		fprintf(f,
		        "<tr class=\"attempt\"><td class=\"num\">%u</td><td class=\"name\">%s</td>",
		        r->seq, esc(h, r->name));
		fprintf(f,
		        "<td><span class=\"badge %s\">%s</span></td><td class=\"num\">%u</td><td "
		        "class=\"num\">%s</td>",
		        css_class(SHOWN(r)), outcome_name(SHOWN(r)), r->slot, d);
		/* The shared-write report's count (the paths: the "Shared writes" section). */
		if (r->wrote.total)
			fprintf(f, "<td class=\"num wrote\"><a href=\"#wrote\">%zu</a></td>",
			        r->wrote.total);
		else if (wrote)
			fprintf(f, "<td class=\"num wrote\"></td>");
		fprintf(f, "<td>%s</td></tr>\n", esc(h, r->reason));
		/* Its subtests, each a row under it. */
		for (size_t k = 0; k < r->subs.n; k++) {
			const struct subresult *sr = &r->subs.v[k];
			const char *m = sr->message ? sr->message : "";
			char *first = xasprintf("%s%.*s", sr->todo ? "TODO " : "", (int)strcspn(m, "\n"),
			                        m);
			if (sr->ns >= 0)
				dur(sr->ns, d, sizeof(d));
			else
				d[0] = '\0';
			fprintf(f, "<tr class=\"subtest\" data-outcome=\"%s\"><td></td><td "
			        "class=\"name\">&#8627; %s</td>",
			        outcome_name(sr->outcome), esc(h, sr->name));
			fprintf(f, "<td><span class=\"badge %s\">%s</span></td><td></td><td "
			        "class=\"num\">%s</td>%s<td>%s</td></tr>\n",
			        css_class(sr->outcome), outcome_name(sr->outcome), d,
			        wrote ? "<td></td>" : "", esc(h, first));
			free(first);
		}
		if (r->subs.total > r->subs.n)
			fprintf(f, "<tr class=\"subtest\"><td></td><td colspan=\"%d\">&#8627; %zu more "
			        "subtests not shown</td></tr>\n", wrote ? 6 : 5, r->subs.total - r->subs.n);
	}
	fprintf(f, "</table>\n</section>\n");
}

/* One path one attempt wrote (the shared-write report), for the per-path view. */
struct wrote_ref {
	const char *path;
	const struct write *w;
	const struct report_rec *r;
};

static int cmp_wrote_ref(const void *x, const void *y)
{
	const struct wrote_ref *a = x, *b = y;
	int c = strcmp(a->path, b->path);
	return c ? c : (a->r->seq > b->r->seq) - (a->r->seq < b->r->seq);
}

/* Every path some test wrote through its overlays, and which tests wrote it: the paths two
 * tests wrote are where they would have raced without --isolate tree. */
static void write_wrote(struct html *h, FILE *f)
{
	size_t n = 0, more = 0;
	for (size_t i = 0; i < h->recs.n; i++) {
		n += h->recs.v[i].wrote.n;
		more += h->recs.v[i].wrote.total - h->recs.v[i].wrote.n;
	}
	if (!n)
		return;
	struct wrote_ref *v = xcalloc(n, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < h->recs.n; i++)
		for (size_t m = 0; m < h->recs.v[i].wrote.n; m++)
			v[k++] = (struct wrote_ref){.path = h->recs.v[i].wrote.v[m].path,
			                            .w = &h->recs.v[i].wrote.v[m],
			                            .r = &h->recs.v[i]};
	qsort(v, n, sizeof(*v), cmp_wrote_ref);
	fprintf(f, "<section id=\"wrote\"><h2>Shared writes</h2>\n<table>\n<tr><th>path</th>"
	           "<th class=\"num\">tests</th><th>who wrote it</th></tr>\n");
	for (size_t i = 0; i < n;) {
		size_t end = i + 1;
		while (end < n && strcmp(v[end].path, v[i].path) == 0)
			end++;
		fprintf(f, "<tr class=\"wrote-path%s\"><td class=\"name\">%s</td>",
		        end - i > 1 ? " shared-by-many" : "", esc(h, v[i].path));
		fprintf(f, "<td class=\"num\">%zu</td><td>", end - i);
		for (size_t m = i; m < end; m++) {
			fprintf(f, "%s%s", m > i ? ", " : "", esc(h, v[m].r->name));
			fprintf(f, " <span class=\"kind\">%s", write_kind_name(v[m].w->kind));
			if (v[m].w->size >= 0)
				fprintf(f, ", %lld bytes", (long long)v[m].w->size);
			fprintf(f, "</span> (#%u)", v[m].r->seq);
		}
		fprintf(f, "</td></tr>\n");
		i = end;
	}
	if (more)
		fprintf(f, "<tr><td colspan=\"3\">%zu more paths not kept</td></tr>\n", more);
	fprintf(f, "</table>\n</section>\n");
	free(v);
}

static void html_run_end(void *ctx, const struct run_summary *rs)
{
	struct html *h = ctx;
	FILE *f = h->out->fp;
	int64_t wall = rs->wall_ns;
	for (size_t i = 0; i < h->recs.n; i++)
		if (h->recs.v[i].done_ns - h->t0 > wall)
			wall = h->recs.v[i].done_ns - h->t0;

	char when[64], dw[32];
	time_t s = (time_t)(h->start_wall_ns / NSEC_PER_SEC);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	dur(rs->wall_ns, dw, sizeof(dw));

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	fprintf(f, "<title>isola: %u passed, %u failed</title>\n", rs->passed, rs->failed);
	fprintf(f, "<style>\n%s</style>\n</head>\n<body>\n<main>\n", style);
	fprintf(f, "<header><h1>isola run <code id=\"run-id\">%s</code></h1>\n", esc(h, h->run_id));
	fprintf(f,
	        "<p class=\"meta\">%s &middot; %zu test%s, %zu attempt%s &middot; %u job%s "
	        "&middot; %s</p></header>\n",
	        when, h->ntests, h->ntests == 1 ? "" : "s", h->recs.n, h->recs.n == 1 ? "" : "s",
	        h->jobs, h->jobs == 1 ? "" : "s", dw);
	write_summary(h, f, rs);
	write_failures(h, f);
	write_timeline(h, f, wall);
	write_slowest(h, f);
	write_overhead(h, f, wall);
	write_attempts(h, f);
	write_wrote(h, f);
	fprintf(f, "<footer>isola %s &middot; sandboxes in <code>%s</code></footer>\n",
	        ISOLA_VERSION, esc(h, h->run_dir));
	fprintf(f, "</main>\n</body>\n</html>\n");

	report_out_finish(h->out, true, h->problems);
}

static void html_free(void *ctx)
{
	struct html *h = ctx;
	report_out_free(h->out);
	report_recs_release(&h->recs);
	tbuf_release(&h->b);
	free(h->run_id);
	free(h->run_dir);
	free(h);
}

const struct reporter_ops report_html_ops = {
    .name = "html",
    .run_start = html_run_start,
    .test_end = html_test_end,
    .run_end = html_run_end,
    .free = html_free,
};

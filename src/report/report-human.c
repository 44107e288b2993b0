/* SPDX-License-Identifier: MIT */
/* The human reporter: plain lines, one per finished test, then the summary. */
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "report/report.h"
#include "util/util.h"

struct human {
	struct human_opts o;
};

void *report_human_new(const struct human_opts *o)
{
	struct human *h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if (!h->o.tail_lines)
		h->o.tail_lines = 10;
	return h;
}

static void human_run_start(void *ctx, const struct run_info *ri)
{
	struct human *h = ctx;
	if (h->o.verbose)
		fprintf(h->o.out, "isola: run %s: %zu test%s, %u job%s, sandboxes in %s\n", ri->run_id,
			ri->ntests, ri->ntests == 1 ? "" : "s", ri->jobs, ri->jobs == 1 ? "" : "s",
			ri->run_dir);
}

static void human_test_start(void *ctx, const struct attempt *a)
{
	struct human *h = ctx;
	if (h->o.verbose)
		fprintf(h->o.out, "START   slot %u  %s%s  %s\n", a->slot, a->test->name,
			a->number > 1 ? " (retry)" : "", a->sandbox_path ? a->sandbox_path : "");
}

/* Print the tail of a log, each line behind a gutter; control bytes are made visible. */
static void print_tail(FILE *out, const char *tail)
{
	const char *p = tail;
	while (*p) {
		size_t len = strcspn(p, "\n");
		fputs("    | ", out);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];
			if (c < 0x20 && c != '\t')
				fprintf(out, "^%c", c + 64);
			else if (c == 0x7f)
				fputs("^?", out);
			else
				fputc(c, out);
		}
		fputc('\n', out);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void human_test_end(void *ctx, const struct attempt *a)
{
	struct human *h = ctx;
	char dur[32];
	fprintf(h->o.out, "%-7s %8s  %s", outcome_name(a->outcome),
		fmt_duration(a->end_ns - a->exec_ns, dur, sizeof(dur)), a->test->name);
	if (a->number > 1)
		fprintf(h->o.out, " (attempt %u)", a->number);
	if (a->reason)
		fprintf(h->o.out, " (%s)", a->reason);
	if (a->leaked && a->outcome != OUT_LEAK)
		fprintf(h->o.out, " [left %u process%s behind: killed]", a->leaked,
			a->leaked == 1 ? "" : "es");
	fputc('\n', h->o.out);
	if (h->o.verbose && a->strategy)
		fprintf(h->o.out, "    staged by %s in %s\n", a->strategy,
			fmt_duration(a->exec_ns - a->start_ns, dur, sizeof(dur)));
	if (!outcome_ok(a->outcome) || (h->o.verbose && a->outcome != OUT_PASS)) {
		if (a->log_path) {
			off_t size;
			char *tail = capture_tail(a->log_path, h->o.tail_lines, 4096, &size);
			print_tail(h->o.out, tail);
			free(tail);
		}
		if (a->kept && a->log_path)
			fprintf(h->o.out, "    log:     %s\n", a->log_path);
		if (a->kept && a->sandbox_path)
			fprintf(h->o.out, "    sandbox: %s\n", a->sandbox_path);
	}
	fflush(h->o.out);
}

static void human_run_end(void *ctx, const struct run_summary *rs)
{
	struct human *h = ctx;
	FILE *out = h->o.out;
	char dur[32];

	if (rs->kept.n) {
		fprintf(out, "\nkept sandboxes:\n");
		for (size_t i = 0; i < rs->kept.n; i++) {
			const char *tab = strchr(rs->kept.v[i], '\t');
			fprintf(out, "  %-30.*s %s\n", (int)(tab - rs->kept.v[i]), rs->kept.v[i],
				tab + 1);
		}
	}
	if (rs->failed_names.n) {
		fprintf(out, "\nnot passed:\n");
		for (size_t i = 0; i < rs->failed_names.n; i++)
			fprintf(out, "  %s\n", rs->failed_names.v[i]);
	}
	fputc('\n', out);
	if (rs->signal)
		fprintf(out, "interrupted: %u test%s not run\n", rs->not_run,
			rs->not_run == 1 ? "" : "s");
	if (rs->failed) {
		fprintf(out, "failures:");
		const char *sep = " ";
		for (int o = OUT_FAIL; o < OUT__COUNT; o++) {
			if (o == OUT_SKIP || !rs->counts[o])
				continue;
			fprintf(out, "%s%u %s", sep, rs->counts[o], outcome_name((enum outcome)o));
			sep = ", ";
		}
		fputc('\n', out);
	}
	if (rs->flaky)
		fprintf(out, "flaky: %u test%s passed only on retry\n", rs->flaky,
			rs->flaky == 1 ? "" : "s");
	fprintf(out, "time: %s\n", fmt_duration(rs->wall_ns, dur, sizeof(dur)));
	fprintf(out, "%u passed, %u failed", rs->passed, rs->failed);
	if (rs->skipped)
		fprintf(out, ", %u skipped", rs->skipped);
	fputc('\n', out);
	fflush(out);
}

static void human_show_running(void *ctx, struct attempt *const *slots, unsigned nslots,
			       int64_t now)
{
	struct human *h = ctx;
	char d[32];
	unsigned n = 0;
	for (unsigned i = 0; i < nslots; i++)
		n += slots[i] != NULL;
	fprintf(h->o.out, "running (%u):\n", n);
	for (unsigned i = 0; i < nslots; i++) {
		const struct attempt *a = slots[i];
		if (a)
			fprintf(h->o.out, "  slot %-3u %8s  %s  %s\n", i,
				fmt_duration(now - (a->exec_ns ? a->exec_ns : a->start_ns), d, sizeof(d)),
				a->test->name, a->sandbox_path ? a->sandbox_path : "");
	}
	fflush(h->o.out);
}

static void human_free(void *ctx)
{
	free(ctx);
}

const struct reporter_ops report_human_ops = {
	.name = "human",
	.run_start = human_run_start,
	.test_start = human_test_start,
	.test_end = human_test_end,
	.run_end = human_run_end,
	.show_running = human_show_running,
	.free = human_free,
};

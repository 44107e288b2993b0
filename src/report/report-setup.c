/* SPDX-License-Identifier: MIT */
/* From command-line report options to the list of reporters. */
#include <string.h>
#include <unistd.h>

#include "report/report-out.h"
#include "report/report.h"

static void problems_free(void *ctx)
{
	struct report_problems *p = ctx;
	strv_release(&p->lines);
	free(p);
}

/* Owns the problems list that the file reporters fill and the human reporter prints. It is
 * added first, so it outlives neither of them in use: reporters are freed after the run. */
static const struct reporter_ops problems_ops = {
    .name = "problems",
    .free = problems_free,
};

size_t reporters_problems(const struct reporters *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].ops == &problems_ops)
			return ((const struct report_problems *)r->v[i].ctx)->lines.n;
	return 0;
}

struct file_report {
	const char *option, *what;
	const char *path;
};

int reporters_setup(struct reporters *r, const struct report_opts *o, struct isola_error *e)
{
	struct report_problems *problems = xcalloc(1, sizeof(*problems));
	reporters_add(r, &problems_ops, problems);

	const struct file_report files[] = {
	    {"--junit", "JUnit report", o->junit}, {"--tap", "TAP report", o->tap},
	    {"--json", "JSON report", o->json},    {"--trace", "trace", o->trace},
	    {"--html", "HTML report", o->html},
	};
	/* Two reports cannot share a file, nor standard output. */
	bool to_stdout = false;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!files[i].path)
			continue;
		to_stdout |= strcmp(files[i].path, "-") == 0;
		for (size_t k = 0; k < i; k++)
			if (files[k].path && strcmp(files[k].path, files[i].path) == 0)
				return err_set(
				    e, 0, files[i].path,
				    "%s and %s both write to '%s': give each its own file",
				    files[k].option, files[i].option, files[i].path);
	}

	/* Every file is created now, before any test runs: a bad path stops the run here. */
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!files[i].path)
			continue;
		struct report_out *out = report_out_open(files[i].path, files[i].what, e);
		if (!out)
			return -1;
		void *ctx;
		const struct reporter_ops *ops;
		switch (i) {
		case 0:
			ctx = report_junit_new(out, problems), ops = &report_junit_ops;
			break;
		case 1:
			ctx = report_tap_new(out, problems), ops = &report_tap_ops;
			break;
		case 2:
			ctx = report_json_new(out, problems, o), ops = &report_json_ops;
			break;
		case 3:
			ctx = report_trace_new(out, problems), ops = &report_trace_ops;
			break;
		default:
			ctx = report_html_new(out, problems), ops = &report_html_ops;
			break;
		}
		reporters_add(r, ops, ctx);
	}

	/* The human reporter comes last, so that at the end of the run it can tell what the file
	 * reporters could not write. It yields standard output to a report written there. */
	struct human_opts ho = {
	    .out = to_stdout ? stderr : stdout,
	    .verbose = o->verbose,
	    .jobs = o->jobs,
	    .key_fd = -1,
	    .problems = problems,
	};
	/* The 't' key: only from a terminal this process has in the foreground (changing the
	 * terminal's mode from the background would stop us with SIGTTOU). */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		ho.key_fd = STDIN_FILENO;
	void *human = report_human_new(&ho);
	struct reporter *rep = reporters_add(r, &report_human_ops, human);
	rep->tick_ns = report_human_tick_ns(human);
	rep->input_fd = ho.key_fd;
	return 0;
}

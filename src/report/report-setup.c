/* SPDX-License-Identifier: MIT */
/* From command-line report options to the list of reporters. */
#include <string.h>
#include <unistd.h>

#include "report/report-out.h"
#include "report/report-plugin.h"
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

/* Where each file format's writer is: built in (plugin NULL: new), or in a plugin, loaded only
 * when that report is asked for (report-plugin.h). */
struct file_report {
	const char *option, *what;
	const char *path;
	const char *plugin, *name;
	void *(*new)(struct report_out *out, struct report_problems *p);
	const struct reporter_ops *ops;
};

int reporters_setup(struct reporters *r, const struct report_opts *o, struct isola_error *e)
{
	struct report_problems *problems = xcalloc(1, sizeof(*problems));
	reporters_add(r, &problems_ops, problems);

	const struct file_report files[] = {
	    {"--junit", "JUnit report", o->junit, "report-junit", "junit", NULL, NULL},
	    {"--tap", "TAP report", o->tap, NULL, NULL, report_tap_new, &report_tap_ops},
	    {"--json", "JSON report", o->json, "report-json", "json", NULL, NULL},
	    {"--trace", "trace", o->trace, "report-json", "trace", NULL, NULL},
	    {"--html", "HTML report", o->html, NULL, NULL, report_html_new, &report_html_ops},
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

	/* Every writer is loaded and every file created now, before any test runs: a missing
	 * plugin or a bad path stops the run here. */
	const struct report_format *fmt[ARRAY_SIZE(files)] = {0};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (files[i].path && files[i].plugin &&
		    !(fmt[i] = report_format_load(files[i].plugin, files[i].what, files[i].name, e)))
			return -2;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!files[i].path)
			continue;
		struct report_out *out = report_out_open(files[i].path, files[i].what, e);
		if (!out)
			return -1;
		if (fmt[i])
			reporters_add(r, fmt[i]->ops, fmt[i]->open(out, problems, o));
		else
			reporters_add(r, files[i].ops, files[i].new(out, problems));
	}

	/* The human reporter comes last, so that at the end of the run it can tell what the file
	 * reporters could not write. It yields standard output to a report written there. */
	struct human_opts ho = {
	    .out = to_stdout ? stderr : stdout,
	    .verbose = o->verbose,
	    .jobs = o->jobs,
	    .key_fd = -1,
	    .problems = problems,
	    .only_failures = o->only_failures,
	    .hunting = o->repeat > 1 || o->until_fail || o->stress_ns,
	};
	/* The 't' key: only from a terminal this process has in the foreground (changing the
	 * terminal's mode from the background would stop us with SIGTTOU). */
	if (!o->no_input && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		ho.key_fd = STDIN_FILENO;
	void *human = report_human_new(&ho);
	struct reporter *rep = reporters_add(r, &report_human_ops, human);
	rep->tick_ns = report_human_tick_ns(human);
	rep->input_fd = ho.key_fd;
	return 0;
}

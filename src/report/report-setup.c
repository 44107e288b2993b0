/* SPDX-License-Identifier: MIT */
/* From command-line report options to the list of reporters. */
#include "report/report.h"

int reporters_setup(struct reporters *r, const struct report_opts *o, struct isola_error *e)
{
	(void)e;
	struct human_opts ho = {.out = stdout, .verbose = o->verbose};
	reporters_add(r, &report_human_ops, report_human_new(&ho));
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* report-junit.so: the format written with libxml2, --junit, and the reader of the JUnit XML
 * tests write (report-plugin.h). */
#include "report/report-plugin.h"

static void *open_junit(struct report_out *out, struct report_problems *p,
                        const struct report_opts *o)
{
	(void)o;
	return report_junit_new(out, p);
}

static const struct report_format formats[] = {
    {"junit", open_junit, &report_junit_ops},
};

REPORT_PLUGIN_EXPORT const struct report_plugin isola_report_plugin = {
    .version = ISOLA_VERSION,
    .abi = REPORT_PLUGIN_ABI,
    .formats = formats,
    .nformats = ARRAY_SIZE(formats),
    .read_cases = report_junit_cases,
};

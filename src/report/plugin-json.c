/* SPDX-License-Identifier: MIT */
/* report-json.so: the formats written with jansson, --json and --trace (report-plugin.h). */
#include "report/plugin-json.h"

#include <string.h>

#include "report/report-plugin.h"
#include "report/report-text.h"

json_t *text_jsonn(const char *s, size_t n)
{
	struct tbuf b = {0};
	text_utf8(&b, s, n);
	json_t *j = json_stringn(tbuf_str(&b), b.len);
	tbuf_release(&b);
	return j;
}

json_t *text_json(const char *s)
{
	return s ? text_jsonn(s, strlen(s)) : json_null();
}

static void *open_json(struct report_out *out, struct report_problems *p,
                       const struct report_opts *o)
{
	return report_json_new(out, p, o);
}

static void *open_trace(struct report_out *out, struct report_problems *p,
                        const struct report_opts *o)
{
	(void)o;
	return report_trace_new(out, p);
}

static const struct report_format formats[] = {
    {"json", open_json, &report_json_ops},
    {"trace", open_trace, &report_trace_ops},
};

REPORT_PLUGIN_EXPORT const struct report_plugin isola_report_plugin = {
    .version = ISOLA_VERSION,
    .abi = REPORT_PLUGIN_ABI,
    .formats = formats,
    .nformats = ARRAY_SIZE(formats),
    .read = report_json_read,
    .import = source_import_json,
};

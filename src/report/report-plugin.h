/* SPDX-License-Identifier: MIT */
/*
 * Report plugins: the formats whose libraries are heavy to load live in shared objects that isola
 * opens only when such a report is asked for. JSON and the trace are written with jansson
 * (report-json.so), JUnit with libxml2 (report-junit.so), which pulls in ICU and the C++ runtime:
 * loading those on every start cost a plain `isola run` or `isola exec` several milliseconds.
 *
 * A plugin is built from this tree with the same headers as isola, and exports one symbol,
 * isola_report_plugin. The host refuses a plugin of another version or struct layout.
 *
 * Where the plugins are: PREFIX/lib/isola/ for the running binary PREFIX/bin/isola (symlinks
 * resolved; the build tree has the same layout, build/bin/isola and build/lib/isola/), else
 * ISOLA_PLUGINDIR, the directory make install was told to put them in.
 */
#ifndef ISOLA_REPORT_PLUGIN_H
#define ISOLA_REPORT_PLUGIN_H

#include <stddef.h>

#include "protocol/protocol.h"
#include "report/report-out.h"
#include "report/report-read.h"
#include "report/report.h"
#include "config/settings.h"
#include "testlist/source.h"

struct report_format {
	const char *name; /* "json", as in --json */
	void *(*open)(struct report_out *out, struct report_problems *p,
	              const struct report_opts *o);
	const struct reporter_ops *ops;
};

/* What isola checks before it uses a plugin: the same version, and the same layout of every
 * struct the two share (a stale plugin of another build would read them wrong). */
#define REPORT_PLUGIN_ABI                                                                       \
	{                                                                                       \
		sizeof(struct report_format), sizeof(struct reporter_ops),                      \
		    sizeof(struct report_opts), sizeof(struct report_problems),                 \
		    sizeof(struct attempt), sizeof(struct run_info), sizeof(struct run_summary), \
		    sizeof(struct report_out), sizeof(struct found_test), sizeof(struct source), \
		    sizeof(struct settings), sizeof(struct subresult), sizeof(struct subresults) \
	}
#define REPORT_PLUGIN_ABI_N 13

struct report_plugin {
	const char *version; /* ISOLA_VERSION */
	size_t abi[REPORT_PLUGIN_ABI_N];
	const struct report_format *formats;
	size_t nformats;
	report_read_fn *read; /* reads its format back (isola merge); NULL if it cannot */
	import_fn *import;    /* reads ctest's and meson's test listings (JSON); NULL if not */
	junit_parse_fn *read_cases; /* reads the JUnit XML a test wrote (protocol.h); NULL if it
	                             * cannot */
};

/* Defined by each plugin (plugin-json.c, plugin-junit.c). */
#define REPORT_PLUGIN_EXPORT __attribute__((visibility("default")))

/*
 * The format called name ("json", "trace", "junit"; what: "JSON report", for messages) from the
 * plugin file ("report-json"),
 * loaded on first use. Returns NULL with *e naming the file and what to do when the plugin
 * cannot be found, loaded or trusted.
 */
const struct report_format *report_format_load(const char *plugin, const char *what,
                                               const char *name, struct isola_error *e);

/* The reader of the plugin's format (isola merge), loaded as above; NULL with *e if none. */
report_read_fn *report_reader_load(const char *plugin, const char *what, struct isola_error *e);

/* The reader of the JUnit XML tests write (protocols gtest and junit), loaded as above; NULL with
 * *e if none. */
junit_parse_fn *report_cases_load(const char *plugin, const char *what, struct isola_error *e);

/* Defined in report-junit.so (junit-read.c). */
junit_parse_fn report_junit_cases;

#endif

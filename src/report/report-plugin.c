/* SPDX-License-Identifier: MIT */
/* Finding, opening and checking a report plugin (report-plugin.h). */
#include "report/report-plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#ifndef ISOLA_PLUGINDIR
#define ISOLA_PLUGINDIR "/usr/local/lib/isola"
#endif

/* The prefix the running binary was installed in (symlinks resolved): /usr/local for
 * /usr/local/bin/isola, .../build for .../build/bin/isola. Returns false if /proc cannot tell. */
static bool exe_prefix(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0 || (size_t)n >= len - 1 || buf[0] != '/')
		return false;
	buf[n] = '\0';
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(buf, '/');
		if (!slash)
			return false;
		*slash = '\0';
	}
	return true;
}

/* Open and check one candidate. Returns the plugin, or NULL with why (a static or dlerror
 * string) set when the file exists but is no good; NULL with *why NULL when it is absent. */
static const struct report_plugin *try_open(const char *path, const char **why)
{
	*why = NULL;
	if (access(path, F_OK) != 0)
		return NULL;
	/* RTLD_LOCAL: its libraries' symbols stay its own. Never closed: the formats' ops are
	 * used to the end of the run, and the process ends soon after. */
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		*why = dlerror();
		return NULL;
	}
	const struct report_plugin *p = dlsym(h, "isola_report_plugin");
	if (!p) {
		*why = "it has no isola_report_plugin";
		return NULL;
	}
	const size_t abi[REPORT_PLUGIN_ABI_N] = REPORT_PLUGIN_ABI;
	if (!p->version || strcmp(p->version, ISOLA_VERSION) != 0 ||
	    memcmp(p->abi, abi, sizeof(abi)) != 0) {
		*why = "it belongs to another build of isola";
		return NULL;
	}
	return p;
}

static const struct report_plugin *plugin_load(const char *plugin, const char *what,
                                               struct isola_error *e);

const struct report_format *report_format_load(const char *plugin, const char *what,
                                               const char *name, struct isola_error *e)
{
	const struct report_plugin *p = plugin_load(plugin, what, e);
	for (size_t i = 0; p && i < p->nformats; i++)
		if (strcmp(p->formats[i].name, name) == 0)
			return &p->formats[i];
	if (p)
		err_set(e, 0, NULL, "%s.so has no writer of the %s: reinstall isola", plugin, what);
	return NULL;
}

report_read_fn *report_reader_load(const char *plugin, const char *what, struct isola_error *e)
{
	const struct report_plugin *p = plugin_load(plugin, what, e);
	if (p && !p->read)
		err_set(e, 0, NULL, "%s.so has no reader of the %s: reinstall isola", plugin, what);
	return p ? p->read : NULL;
}

int source_import_plugin(const struct source *s, const char *dir, const char *json, size_t len,
                         found_fn *found, void *ctx, struct isola_error *e)
{
	const struct report_plugin *p = plugin_load("report-json", "JSON report", e);
	if (p && !p->import)
		err_set(e, 0, NULL, "report-json.so cannot read test listings: reinstall isola");
	if (!p || !p->import)
		return -1;
	return p->import(s, dir, json, len, found, ctx, e);
}

junit_parse_fn *report_cases_load(const char *plugin, const char *what, struct isola_error *e)
{
	const struct report_plugin *p = plugin_load(plugin, what, e);
	if (p && !p->read_cases)
		err_set(e, 0, NULL, "%s.so has no reader of the %s: reinstall isola", plugin, what);
	return p ? p->read_cases : NULL;
}

static const struct report_plugin *plugin_load(const char *plugin, const char *what,
                                               struct isola_error *e)
{
	char prefix[PATH_MAX];
	char *cand[2] = {
	    exe_prefix(prefix, sizeof(prefix)) ? xasprintf("%s/lib/isola/%s.so", prefix, plugin)
	                                       : NULL,
	    xasprintf("%s/%s.so", ISOLA_PLUGINDIR, plugin),
	};
	const struct report_plugin *p = NULL;
	const char *why = NULL;
	char *bad = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cand) && !p; i++) {
		if (!cand[i])
			continue;
		const char *w;
		p = try_open(cand[i], &w);
		if (!p && w && !why) {
			why = w;
			bad = cand[i];
		}
	}

	if (!p) {
		if (why)
			err_set(e, 0, bad, "cannot load %s, which writes the %s: %s: reinstall isola "
			        "(make install)", bad, what, why);
		else
			err_set(e, 0, cand[0] ? cand[0] : cand[1],
			        "cannot find %s.so, which writes the %s (looked for %s%s%s): "
			        "reinstall isola with its lib/isola/ directory (make install)",
			        plugin, what, cand[0] ? cand[0] : "", cand[0] ? " and " : "", cand[1]);
	}
	free(cand[0]);
	free(cand[1]);
	return p;
}

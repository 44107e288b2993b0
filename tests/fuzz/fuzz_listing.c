/* SPDX-License-Identifier: MIT */
/* libFuzzer: what a suite's binary or build system printed when isola listed its tests
 * (testlist/source.c, import-json.c), read as a source of the kind the first byte says:
 *   bits 0-2: gtest, catch2, criterion, ctest, meson (modulo 5)
 *   bit 3:    disabled = skip
 *   bits 4-5: gtest-shards = 0..3
 * and the rest as the listing. No program is run. Anything may come back as an error; nothing may
 * crash, leak or read out of bounds, and every test found must be whole: a name, a program and
 * an argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "testlist/source.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum source_kind kinds[] = {SRC_GTEST, SRC_CATCH2, SRC_CRITERION, SRC_CTEST,
                                         SRC_MESON};

static int found(void *ctx, const struct found_test *ft, struct isola_error *e)
{
	(void)e;
	if (!ft->name || !ft->name[0] || !ft->path || !ft->argv || !ft->argv[0] || !ft->from)
		abort();
	size_t n = strlen(ft->name) + strlen(ft->path) + strlen(ft->from);
	for (char *const *a = ft->argv; *a; a++)
		n += strlen(*a);
	const struct strv *lists[] = {ft->s ? &ft->s->env_set : NULL,
	                              ft->s ? &ft->s->labels : NULL, ft->s ? &ft->s->after : NULL};
	for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
		for (size_t i = 0; lists[k] && i < lists[k]->n; i++)
			n += strlen(lists[k]->v[i]);
	n += (ft->skip ? strlen(ft->skip) : 0) + (ft->notes ? strlen(ft->notes) : 0) +
	     (ft->error ? strlen(ft->error) : 0);
	*(size_t *)ctx += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct source s = {
	    .kind = kinds[(data[0] & 7) % ARRAY_SIZE(kinds)],
	    .spec = "build",
	    .disabled_skip = data[0] & 8,
	    .base_dir = "/tmp",
	    .origin = "fuzz.ini:1",
	};
	if (s.kind == SRC_GTEST)
		s.shards = (data[0] >> 4) & 3;
	/* A listing is read as text up to its first NUL (run_listing ends it there too). */
	char *out = xmalloc(size);
	memcpy(out, data + 1, size - 1);
	out[size - 1] = '\0';
	size_t total = 0;
	struct isola_error e = {0};
	if (s.kind == SRC_CTEST || s.kind == SRC_MESON)
		(void)source_import_json(&s, "/tmp/build", out, size - 1, found, &total, &e);
	else
		(void)source_read_listing(&s, "/tmp/build/unit", 3, out, found, &total, &e);
	free(out);
	return 0;
}

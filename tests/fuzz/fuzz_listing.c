/* SPDX-License-Identifier: MIT */
/* libFuzzer: what a suite's binary or build system printed when isola listed its tests
 * (testlist/source.c, import-json.c), read as a source of the kind the first byte says:
 *   bits 0-2: gtest, catch2, criterion, ctest, meson, lines, from-file (modulo 7)
 *   bit 3:    disabled = skip (gtest, criterion); a pattern = (lines)
 *   bits 4-5: gtest-shards = 0..3 (gtest); bit 4: an argv = template (lines)
 * and the rest as the listing (from-file: as the file). No program is run. Anything may come back
 * as an error; nothing may crash, leak or read out of bounds, and every test found must be
 * whole: a name, a program and an argv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/settings.h"
#include "testlist/source.h"
#include "util/util.h"

#include "input-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum source_kind kinds[] = {SRC_GTEST, SRC_CATCH2, SRC_CRITERION, SRC_CTEST,
                                         SRC_MESON,  SRC_LINES,  SRC_FILE};

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

/* from-file: the listing is the file. */
static void read_file_source(struct source *s, const uint8_t *data, size_t size, size_t *total)
{
	const char *path = input_file("listing", data, size);
	s->spec = (char *)path;
	struct isola_error e = {0};
	(void)source_expand(s, NULL, found, total, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	struct source s = {
	    .kind = kinds[(flags & 7) % ARRAY_SIZE(kinds)],
	    .spec = "build",
	    .base_dir = "/tmp",
	    .origin = "fuzz.ini:1",
	};
	if (s.kind == SRC_GTEST || s.kind == SRC_CRITERION)
		s.disabled_skip = flags & 8;
	if (s.kind == SRC_GTEST)
		s.shards = (flags >> 4) & 3;
	if (s.kind == SRC_LINES) {
		s.pattern = flags & 8 ? "^test: ([^ ]+)( #.*)?$" : NULL;
		s.argv = flags & 16 ? "/bin/sh -c \"x{}\" --name={} {}" : NULL;
	}
	size_t total = 0;
	if (s.kind == SRC_FILE) {
		read_file_source(&s, data + 1, size - 1, &total);
		return 0;
	}
	/* What a program printed is read as text up to its first NUL, JSON as C strings too. */
	char *out = xmalloc(size);
	memcpy(out, data + 1, size - 1);
	out[size - 1] = '\0';
	struct isola_error e = {0};
	if (s.kind == SRC_CTEST || s.kind == SRC_MESON)
		(void)source_import_json(&s, "/tmp/build", out, strlen(out), found, &total, &e);
	else
		(void)source_read_listing(&s, "/bin/sh", 3, out, found, &total, &e); /* never run */
	free(out);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer: the config parser (config_load over a file holding the input, then the test list
 * built from it, as isola list does). Anything may come back as an error; nothing may crash,
 * leak or read out of bounds. The list is built without the config's sources: expanding one
 * runs the program it names (lines = CMD runs CMD), and a fuzzer must never run what its input
 * names (CI runs it as root). What a source's program prints, and a from-file source's file, are
 * fuzz_listing's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "testlist/testlist.h"

#include "input-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = input_file("config", data, size);

	struct config c = CONFIG_INIT;
	struct isola_error e = {0};
	if (config_load(&c, path, &e) == 0) {
		/* tests = GLOB walks the machine's filesystem: a pattern of nine wildcard levels
		 * from / outlasts the timeout. Plain paths stay (a stat each). */
		size_t kept = 0;
		for (size_t i = 0; i < c.tests.n; i++) {
			if (strpbrk(c.tests.v[i], "*?["))
				free(c.tests.v[i]);
			else
				c.tests.v[kept++] = c.tests.v[i];
		}
		c.tests.n = kept;
		if (c.tests.v)
			c.tests.v[kept] = NULL;
		struct testlist tl;
		struct testlist_opts o = {.cfg = &c, .source_dir = "/tmp", .no_sources = true};
		struct isola_error e2 = {0};
		if (testlist_build(&tl, &o, &e2) == 0)
			testlist_release(&tl);
	}
	config_release(&c);
	return 0;
}

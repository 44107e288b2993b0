/* SPDX-License-Identifier: MIT */
/* libFuzzer: isola run's command line (the input is its arguments, NUL-separated) and the
 * values options take: durations, counts, job numbers, keep modes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/settings.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';

	/* The values alone. */
	int64_t ns;
	unsigned u;
	enum keep_mode k;
	(void)parse_duration(buf, &ns);
	(void)parse_uint(buf, 0, 4096, &u);
	(void)parse_jobs(buf, &u);
	(void)parse_keep(buf, &k);

	/* The whole command line: argv[0], then each NUL-separated piece (at most 64). */
	char *argv[66] = {"run"};
	int argc = 1;
	for (char *p = buf; p < buf + size && argc < 65; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	struct cmdline cl;
	struct isola_error e = {0};
	(void)cli_parse(&cl, "run", argc, argv, &e);
	cli_release(&cl);
	free(buf);
	return 0;
}

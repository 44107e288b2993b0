/* SPDX-License-Identifier: MIT */
/* For the harnesses whose code under test reads a file: the input written to one file of this
 * process's (/tmp/isola-fuzz-NAME.PID), rewritten for each input and removed at exit. */
#ifndef ISOLA_FUZZ_INPUT_FILE_H
#define ISOLA_FUZZ_INPUT_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char input_path[64];

static void input_file_remove(void)
{
	unlink(input_path);
}

/* Write data to the input file; returns its path. */
static const char *input_file(const char *name, const uint8_t *data, size_t size)
{
	if (!input_path[0]) {
		snprintf(input_path, sizeof(input_path), "/tmp/isola-fuzz-%s.%d", name,
		         (int)getpid());
		atexit(input_file_remove);
	}
	FILE *f = fopen(input_path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return input_path;
}

#endif

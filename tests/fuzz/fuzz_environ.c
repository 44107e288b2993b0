/* SPDX-License-Identifier: MIT */
/* libFuzzer: ${...} in environment settings: the check every --env value gets, then the
 * expansion isola makes for each test, and splitting a config's command = value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "spawn/environ.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	if (len == 3 && memcmp(name, "ONE", 3) == 0)
		return "1";
	if (len == 4 && memcmp(name, "LONG", 4) == 0)
		return "a value that is longer than the reference to it";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	static const char *const known[] = {"ISOLA_SANDBOX", "ONE", NULL};
	struct isola_error e = {0};
	(void)env_setting_check(s, known, &e);
	char *eq = strchr(s, '=');
	free(env_expand(eq ? eq + 1 : s, lookup, NULL));
	struct strv argv = STRV_INIT;
	(void)split_command(s, &argv);
	strv_release(&argv);
	free(s);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer: the TAP reader (protocol/tap.c), fed the input whole and again in two pieces split
 * where its first byte says; then the verdict. Nothing may crash, leak or read out of bounds, and
 * both feedings must read the same test points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"
#include "protocol/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t read_tap(const char *buf, size_t len, size_t cut, struct subresults *subs)
{
	struct tap t;
	tap_init(&t, subs);
	tap_feed(&t, buf, cut);
	tap_feed(&t, buf + cut, len - cut);
	tap_finish(&t);
	free(tap_verdict(&t));
	size_t ran = (size_t)t.ran;
	tap_release(&t);
	return ran;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct subresults a = {0}, b = {0};
	size_t ra = read_tap(buf, size, 0, &a);
	size_t rb = read_tap(buf, size, size ? data[0] % (size + 1) : 0, &b);
	if (ra != rb || a.total != b.total || a.failed != b.failed || a.n != b.n)
		abort();
	for (size_t i = 0; i < a.n; i++)
		if (strcmp(a.v[i].name, b.v[i].name) != 0 || a.v[i].outcome != b.v[i].outcome)
			abort();
	subresults_release(&a);
	subresults_release(&b);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Reading a TAP stream (tap.h). */
#include "protocol/tap.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"
#include "util/util.h"

void tap_init(struct tap *t, struct subresults *subs)
{
	*t = (struct tap){.subs = subs, .planned = -1, .diag_to = -1};
	t->line = xmalloc(TAP_LINE_MAX);
}

void tap_release(struct tap *t)
{
	free(t->skip_reason);
	free(t->bail);
	free(t->problem);
	free(t->line);
	*t = (struct tap){.planned = -1, .diag_to = -1};
}

static void problem(struct tap *t, char *msg)
{
	if (t->problem)
		free(msg);
	else
		t->problem = msg;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..n) starts with word (any case) followed by a non-letter or the end. A longer word that
 * starts with it counts when `longer`: SKIPPED, Skipping. */
static bool starts_word(const char *s, size_t n, const char *word, bool longer)
{
	size_t w = strlen(word);
	if (n < w || strncasecmp(s, word, w) != 0)
		return false;
	return longer || n == w || !isalpha((unsigned char)s[w]);
}

/* Unescape TAP 14's "\#" and "\\" into out (at least n bytes); returns its length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '#' || s[i + 1] == '\\'))
			i++;
		out[o++] = s[i];
	}
	return o;
}

/* "ok ..." or "not ok ...": p points after "ok". */
static void test_point(struct tap *t, bool ok, const char *p, const char *end)
{
	t->diag_to = -1;
	t->in_yaml = false;
	if (t->planned >= 0 && t->plan_late)
		problem(t, xstrdup("test points after the plan at the end"));
	t->ran++;
	while (p < end && blank(*p))
		p++;
	if (p < end && isdigit((unsigned char)*p)) {
		unsigned long long num = 0;
		bool big = false;
		while (p < end && isdigit((unsigned char)*p)) {
			big |= num > 1000000000000ULL;
			num = num * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (big || num != t->ran)
			problem(t, xasprintf("test %s%llu out of sequence (expected %llu)", big ? ">" : "",
			                     big ? 1000000000000ULL : num, t->ran));
		while (p < end && blank(*p))
			p++;
	}
	if (p < end && *p == '-' && (p + 1 == end || blank(p[1]))) {
		p++;
		while (p < end && blank(*p))
			p++;
	}
	/* The description runs to the first unescaped '#' at its start or after a blank. */
	const char *desc = p, *hash = NULL;
	for (const char *q = p; q < end; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (*q == '#' && (q == desc || blank(q[-1]))) {
			hash = q;
			break;
		}
	}
	const char *desc_end = hash ? hash : end;
	while (desc_end > desc && blank(desc_end[-1]))
		desc_end--;

	enum outcome o = ok ? OUT_PASS : OUT_FAIL;
	bool todo = false;
	const char *why = NULL, *why_end = NULL;
	if (hash) {
		const char *d = hash + 1;
		while (d < end && blank(*d))
			d++;
		size_t dn = (size_t)(end - d);
		bool skip = starts_word(d, dn, "skip", true);
		todo = !skip && starts_word(d, dn, "todo", true);
		if (skip || todo) {
			while (d < end && !blank(*d))
				d++; /* SKIP\S*: the rest is the reason */
			while (d < end && blank(*d))
				d++;
			why = d;
			why_end = end;
			while (why_end > why && blank(why_end[-1]))
				why_end--;
			if (skip && ok)
				o = OUT_SKIP;
		} else {
			/* A '#' that starts no directive is part of the description. */
			desc_end = end;
			while (desc_end > desc && blank(desc_end[-1]))
				desc_end--;
		}
	}

	char *name = xmalloc((size_t)(desc_end - desc) + 32);
	size_t nlen = unescape(desc, (size_t)(desc_end - desc), name);
	if (nlen == 0)
		nlen = (size_t)snprintf(name, 32, "#%llu", t->ran);
	long i = subresults_add(t->subs, name, nlen, o, todo, why, why ? (size_t)(why_end - why) : 0,
	                        -1);
	free(name);
	if (i >= 0 && o == OUT_FAIL)
		t->diag_to = i;
}

/* "1..N" with what follows; p points after "1..". */
static void plan(struct tap *t, const char *p, const char *end)
{
	t->diag_to = -1;
	t->in_yaml = false;
	long long n = 0;
	const char *q = p;
	while (q < end && isdigit((unsigned char)*q) && n < 1000000000000LL)
		n = n * 10 + (*q++ - '0');
	if (q == p)
		return; /* "1.." alone is not a plan */
	const char *r = q;
	while (r < end && blank(*r))
		r++;
	if (r < end && *r != '#')
		return; /* "1..3 tests" is not a plan either */
	if (t->planned >= 0) {
		problem(t, xstrdup("a second plan"));
		return;
	}
	t->planned = n;
	t->plan_late = t->ran > 0;
	if (n == 0) {
		t->skip_all = true;
		if (r < end) {
			r++;
			while (r < end && blank(*r))
				r++;
			/* "1..0 # SKIP why", "1..0 # Skipped: why" */
			if (starts_word(r, (size_t)(end - r), "skip", true))
				while (r < end && !blank(*r))
					r++;
			while (r < end && blank(*r))
				r++;
			const char *e = end;
			while (e > r && blank(e[-1]))
				e--;
			if (e > r)
				t->skip_reason = strndup(r, (size_t)(e - r));
		}
	}
}

static void one_line(struct tap *t, const char *p, size_t n)
{
	const char *end = p + n;
	if (n && end[-1] == '\r')
		end--, n--;
	if (t->bailed)
		return;
	if (n >= 2 && memcmp(p, "ok", 2) == 0 && (n == 2 || blank(p[2]))) {
		test_point(t, true, p + 2, end);
	} else if (n >= 6 && memcmp(p, "not ok", 6) == 0 && (n == 6 || blank(p[6]))) {
		test_point(t, false, p + 6, end);
	} else if (n >= 3 && memcmp(p, "1..", 3) == 0) {
		plan(t, p + 3, end);
	} else if (n >= 9 && memcmp(p, "Bail out!", 9) == 0) {
		const char *r = p + 9;
		while (r < end && blank(*r))
			r++;
		t->bailed = true;
		t->bail = r < end ? xasprintf("Bail out! %.*s", (int)(end - r), r)
		                  : xstrdup("Bail out!");
	} else if (t->diag_to >= 0) {
		/* The diagnostics of the test point that failed: comments, its YAML block. */
		if (n && p[0] == '#') {
			const char *c = p + 1;
			while (c < end && blank(*c))
				c++;
			subresult_append(t->subs, (size_t)t->diag_to, c, (size_t)(end - c));
		} else if (n && blank(p[0])) {
			const char *c = p;
			while (c < end && blank(*c))
				c++;
			size_t cn = (size_t)(end - c);
			if (!t->in_yaml && cn == 3 && memcmp(c, "---", 3) == 0)
				t->in_yaml = true;
			else if (t->in_yaml && cn == 3 && memcmp(c, "...", 3) == 0)
				t->in_yaml = false;
			else if (t->in_yaml)
				subresult_append(t->subs, (size_t)t->diag_to, c, cn);
		} else if (n) {
			t->diag_to = -1; /* not TAP: the diagnostics are over */
		}
	}
}

void tap_feed(struct tap *t, const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		size_t room = TAP_LINE_MAX - t->len;
		if (n > room) {
			t->cut = true;
			memcpy(t->line + t->len, buf, room);
			t->len += room;
		} else {
			memcpy(t->line + t->len, buf, n);
			t->len += n;
		}
		if (!nl)
			return;
		one_line(t, t->line, t->len);
		t->len = 0;
		t->cut = false;
		buf += n + 1;
		len -= n + 1;
	}
}

void tap_finish(struct tap *t)
{
	if (t->len)
		one_line(t, t->line, t->len);
	t->len = 0;
}

char *tap_verdict(const struct tap *t)
{
	if (t->bailed)
		return xstrdup(t->bail);
	if (t->planned < 0)
		return xstrdup(t->ran ? "no TAP plan" : "no TAP plan and no test points in its output");
	if ((unsigned long long)t->planned != t->ran)
		return xasprintf("planned %lld test%s, ran %llu", t->planned, t->planned == 1 ? "" : "s",
		                 t->ran);
	if (t->problem)
		return xstrdup(t->problem);
	return NULL;
}

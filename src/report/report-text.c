/* SPDX-License-Identifier: MIT */
#include "report/report-text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

static void tbuf_grow(struct tbuf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void tbuf_add(struct tbuf *b, const void *p, size_t n)
{
	tbuf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tbuf_adds(struct tbuf *b, const char *s)
{
	tbuf_add(b, s, strlen(s));
}

void tbuf_addf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	char probe[1]; /* (not NULL, 0: GCC 12 with -fsanitize=undefined calls that a null format) */
	va_start(ap, fmt);
	int n = vsnprintf(probe, sizeof(probe), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tbuf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void tbuf_reset(struct tbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void tbuf_release(struct tbuf *b)
{
	free(b->p);
	*b = (struct tbuf){0};
}

const char *tbuf_str(struct tbuf *b)
{
	return b->p ? b->p : "";
}

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (overlong) or 0xf5.. */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static void add_caret(struct tbuf *out, uint32_t c)
{
	char buf[5];
	if (c >= 0x80) { /* C1: cat -v's meta notation */
		buf[0] = 'M', buf[1] = '-', buf[2] = '^',
		buf[3] = (char)(c == 0x9f ? '?' : c - 0x80 + 64);
		tbuf_add(out, buf, 4);
		return;
	}
	buf[0] = '^';
	buf[1] = (char)(c == 0x7f ? '?' : c + 64);
	tbuf_add(out, buf, 2);
}

enum mode { M_UTF8, M_XML, M_HTML, M_VISIBLE, M_TAP, M_YAML };

struct opts {
	enum mode m;
	bool keep_tab, keep_newline;
};

static void convert(struct tbuf *out, const char *s, size_t n, struct opts o)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint32_t c;
		size_t len = utf8_decode(p + i, n - i, &c);
		if (len == 0) {
			tbuf_add(out, replacement, 3);
			i++;
			continue;
		}
		const char *raw = s + i;
		i += len;
		switch (o.m) {
		case M_UTF8:
			break;
		case M_XML:
		case M_HTML:
			if (c == 0xfffe || c == 0xffff) { /* noncharacters XML 1.0 forbids */
				tbuf_add(out, replacement, 3);
				continue;
			}
			/* A CR would be folded into a line break by an HTML parser: show it. */
			if (c < 0x20 && c != '\t' && c != '\n' && (c != '\r' || o.m == M_HTML)) {
				add_caret(out, c);
				continue;
			}
			if (o.m == M_HTML) {
				const char *ent = c == '&'    ? "&amp;"
				                  : c == '<'  ? "&lt;"
				                  : c == '>'  ? "&gt;"
				                  : c == '"'  ? "&quot;"
				                  : c == '\'' ? "&#39;"
				                              : NULL;
				if (ent) {
					tbuf_adds(out, ent);
					continue;
				}
			}
			break;
		case M_VISIBLE:
		case M_TAP:
		case M_YAML:
			if ((c == '\t' && o.keep_tab) || (c == '\n' && o.keep_newline))
				break;
			if (o.m == M_YAML && (c == '\t' || c == '\n')) {
				tbuf_adds(out, c == '\t' ? "\\t" : "\\n");
				continue;
			}
			if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
				add_caret(out, c);
				continue;
			}
			if ((o.m == M_TAP && (c == '#' || c == '\\')) ||
			    (o.m == M_YAML && (c == '"' || c == '\\')))
				tbuf_add(out, "\\", 1);
			break;
		}
		tbuf_add(out, raw, len);
	}
	if (!out->p)
		tbuf_add(out, "", 0);
}

void text_utf8(struct tbuf *out, const char *s, size_t n)
{
	convert(out, s, n, (struct opts){.m = M_UTF8});
}

void text_xml(struct tbuf *out, const char *s, size_t n)
{
	convert(out, s, n, (struct opts){.m = M_XML});
}

void text_html(struct tbuf *out, const char *s, size_t n)
{
	convert(out, s, n, (struct opts){.m = M_HTML});
}

void text_visible(struct tbuf *out, const char *s, size_t n, bool keep_tab, bool keep_newline)
{
	convert(out, s, n,
	        (struct opts){.m = M_VISIBLE, .keep_tab = keep_tab, .keep_newline = keep_newline});
}

void text_tap_desc(struct tbuf *out, const char *s, size_t n)
{
	convert(out, s, n, (struct opts){.m = M_TAP});
}

void text_yaml_quoted(struct tbuf *out, const char *s, size_t n)
{
	convert(out, s, n, (struct opts){.m = M_YAML});
}

size_t text_columns(const char *s, size_t n)
{
	size_t cols = 0;
	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

size_t text_fit(const char *s, size_t n, size_t cols)
{
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (used == cols)
				return i;
			used++;
		}
	}
	return n;
}

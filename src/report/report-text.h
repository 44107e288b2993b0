/* SPDX-License-Identifier: MIT */
/*
 * Text made safe for an output format: the one place where reporters escape. A test's name and
 * output are arbitrary bytes (NUL, ESC, invalid UTF-8); XML 1.0, JSON, HTML, TAP and a terminal
 * each accept less. Every function appends to a growable buffer and never fails (out of memory
 * aborts, as everywhere in isola).
 *
 * Shared rules: a byte that does not start a valid UTF-8 sequence becomes U+FFFD; a control
 * character that may not appear becomes caret notation as cat -v writes it (ESC is "^[", NUL
 * "^@", DEL "^?", the C1 control U+009B "M-^["), so that what a test printed stays readable.
 */
#ifndef ISOLA_REPORT_TEXT_H
#define ISOLA_REPORT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated after len. All-zero is empty. */
struct tbuf {
	char *p;
	size_t len, cap;
};
void tbuf_add(struct tbuf *b, const void *p, size_t n);
void tbuf_adds(struct tbuf *b, const char *s);
void tbuf_addf(struct tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tbuf_reset(struct tbuf *b);
void tbuf_release(struct tbuf *b);
/* b's string ("" when empty; never NULL). Valid until b changes. */
const char *tbuf_str(struct tbuf *b);

/*
 * The length of the valid UTF-8 sequence at s (1 to 4 bytes; shortest form, no surrogates,
 * at most U+10FFFF) with its code point in *cp, or 0 if s[0] does not start one.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Valid UTF-8; everything else kept, NUL included (for jansson, which escapes the rest). */
void text_utf8(struct tbuf *out, const char *s, size_t n);
/* XML 1.0 character data: valid UTF-8 without the characters XML 1.0 forbids (C0 controls but
 * TAB, LF and CR; U+FFFE, U+FFFF). Markup (<, &) is left to the XML writer. */
void text_xml(struct tbuf *out, const char *s, size_t n);
/* HTML text and attribute values: text_xml, CR visible too, and & < > " ' as character
 * references. */
void text_html(struct tbuf *out, const char *s, size_t n);
/* For a terminal or a one-line field: valid UTF-8 and every control character (C0, DEL, C1)
 * visible; with keep_tab, TAB stays a tab; with keep_newline, LF stays a newline. */
void text_visible(struct tbuf *out, const char *s, size_t n, bool keep_tab, bool keep_newline);
/* A TAP test point's description: one visible line, with '#' and '\' escaped by '\'. */
void text_tap_desc(struct tbuf *out, const char *s, size_t n);
/* A YAML double-quoted scalar's content (TAP diagnostics): one line; '"' and '\' escaped by
 * '\', TAB and LF as \t and \n, other control characters visible. */
void text_yaml_quoted(struct tbuf *out, const char *s, size_t n);

/* The number of columns s (valid UTF-8, no controls) takes, counting a code point as one. */
size_t text_columns(const char *s, size_t n);
/* The length in bytes of the longest prefix of s that fits in cols columns, on a code point
 * boundary. */
size_t text_fit(const char *s, size_t n, size_t cols);

#endif

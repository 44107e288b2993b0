/* SPDX-License-Identifier: MIT */
/*
 * Reading the JUnit XML a test wrote (protocols gtest and junit: protocol.h), with libxml2's tree
 * API. Part of report-junit.so, so that isola itself never links libxml2.
 *
 * The document is untrusted: it is parsed from memory (its size is capped by the caller), with
 * no network (XML_PARSE_NONET), no entity substitution (no XML_PARSE_NOENT), no external DTD,
 * and libxml2's own limits on depth and sizes (no XML_PARSE_HUGE). A document with a DOCTYPE is
 * refused: neither GoogleTest, Catch2 nor any JUnit writer emits one, and refusing it leaves
 * entity declarations nothing to do.
 *
 * Each <testcase>, wherever it is (under <testsuites>/<testsuite>, or a lone <testsuite>), is a
 * sub-result: named "classname.name" (GoogleTest's "Suite.Case"), or "name" alone when there is
 * no classname or it is Catch2's "BINARY.global"; FAIL with a <failure>, ERROR with an <error>,
 * SKIP with a <skipped> or GoogleTest's status="notrun" (a disabled case), else PASS; its message
 * the failure's text (or its message attribute), its time the time attribute.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"
#include "report/report-plugin.h"
#include "util/util.h"

static bool is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *prop(const xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Blanks at both ends of s go (in place); returns the start. */
static char *trim(char *s)
{
	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void one_case(const xmlNode *tc, struct subresults *subs)
{
	char *name = prop(tc, "name"), *cls = prop(tc, "classname"), *status = prop(tc, "status");
	char *time = prop(tc, "time");
	const char *n = name ? name : "(unnamed)";
	size_t cl = cls ? strlen(cls) : 0;
	char *full = cl && !(cl > 7 && strcmp(cls + cl - 7, ".global") == 0)
	                 ? xasprintf("%s.%s", cls, n)
	                 : xstrdup(n);

	enum outcome o = status && strcmp(status, "notrun") == 0 ? OUT_SKIP : OUT_PASS;
	char *msg = o == OUT_SKIP ? xstrdup("not run (disabled)") : NULL;
	for (const xmlNode *c = tc->children; c; c = c->next) {
		enum outcome co;
		if (is(c, "failure"))
			co = OUT_FAIL;
		else if (is(c, "error"))
			co = OUT_ERROR;
		else if (is(c, "skipped"))
			co = OUT_SKIP;
		else
			continue;
		/* A failure outweighs an error, which outweighs a skip. */
		if (o == OUT_PASS || co == OUT_FAIL || (co == OUT_ERROR && o == OUT_SKIP)) {
			if (o != co) {
				free(msg);
				msg = NULL;
			}
			o = co;
		} else if (co != o) {
			continue;
		}
		xmlChar *text = xmlNodeGetContent(c);
		char *attr = prop(c, "message");
		char *t = trim((char *)text);
		const char *m = t && *t ? t : attr && *attr ? attr : NULL;
		if (m) {
			char *next = msg ? xasprintf("%s\n%s", msg, m) : xstrdup(m);
			free(msg);
			msg = next;
		}
		xmlFree(text);
		xmlFree(attr);
	}
	double secs = time ? strtod(time, NULL) : -1;
	int64_t ns = secs >= 0 && secs < 1e9 ? (int64_t)(secs * 1e9) : -1;
	subresults_add(subs, full, strlen(full), o, false, msg, msg ? strlen(msg) : 0, ns);
	free(full);
	free(msg);
	xmlFree(name);
	xmlFree(cls);
	xmlFree(status);
	xmlFree(time);
}

/* Every <testcase> under n, in document order (suites nest: a parent's cases come first). */
static void walk(const xmlNode *n, struct subresults *subs, unsigned depth)
{
	for (const xmlNode *c = n; c; c = c->next) {
		if (is(c, "testcase"))
			one_case(c, subs);
		else if (depth < 64 && (is(c, "testsuite") || is(c, "testsuites")))
			walk(c->children, subs, depth + 1);
	}
}

static void silence(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int report_junit_cases(const char *buf, size_t len, struct subresults *subs,
                       struct isola_error *e)
{
	if (len > INT_MAX)
		return err_set(e, 0, NULL, "too large");
	xmlSetGenericErrorFunc(NULL, silence);
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, "results.xml", NULL,
	                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *x = xmlGetLastError();
		char what[256] = "not well-formed";
		if (x && x->message)
			snprintf(what, sizeof(what), "line %d: %s", x->line, x->message);
		xmlResetLastError();
		return err_set(e, 0, NULL, "%s", trim(what));
	}
	int ret = 0;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (doc->intSubset || doc->extSubset)
		ret = err_set(e, 0, NULL, "it has a DOCTYPE, which isola does not read");
	else if (!root || !(is(root, "testsuites") || is(root, "testsuite")))
		ret = err_set(e, 0, NULL, "its root element is <%s>, not <testsuites> or <testsuite>",
		              root ? (const char *)root->name : "(none)");
	else
		walk(root, subs, 0);
	xmlFreeDoc(doc);
	return ret;
}

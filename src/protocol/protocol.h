/* SPDX-License-Identifier: MIT */
/*
 * Protocols: how a test tells its results beyond its exit status (settings "protocol"). Once the
 * test has ended and its exit status is classified, what it said of its insides is read into
 * attempt.subs and decides its outcome with the exit status:
 *
 *   exitcode  the exit status alone (nothing is read);
 *   tap       its output (the log) is a TAP stream (versions 12 to 14): tap.h;
 *   gtest     it was given --gtest_output=xml:$ISOLA_SANDBOX/isola-results.xml, and must have
 *             written that file;
 *   junit     JUnit XML at $XML_OUTPUT_FILE (the same path; Bazel's contract), read if the test
 *             wrote it.
 *
 * An attempt whose exit status made it PASS or FAIL is FAIL if a subtest failed (not a TAP TODO),
 * or if the stream itself is broken (a TAP "Bail out!", a plan that does not match, an XML file
 * that is missing under gtest or is not JUnit XML: ERROR then); otherwise its exit status decides.
 * One that crashed, timed out, was interrupted or exited with its skip or error status keeps that
 * outcome, the more telling one, with what sub-results could be read.
 *
 * XML is parsed by the JUnit plugin (libxml2, report-junit.so), which isola opens only when a
 * test needs it: the caller hands a junit_parse_fn in.
 */
#ifndef ISOLA_PROTOCOL_H
#define ISOLA_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "sched/attempt.h"
#include "util/util.h"

/* The file a gtest or junit test writes its XML to, in its sandbox: $XML_OUTPUT_FILE. */
#define PROTOCOL_XML_NAME "isola-results.xml"
/* Larger XML is not parsed (the attempt is an ERROR that says so). */
#define PROTOCOL_XML_MAX (16 * 1024 * 1024)
/* A TAP stream is read up to this much; past it the attempt is an ERROR that says so. */
#define PROTOCOL_TAP_MAX (64 * 1024 * 1024)
/* A sub-result's name and message are cut to this many bytes. */
#define SUB_NAME_MAX    1024
#define SUB_MESSAGE_MAX 4096

/*
 * Reads JUnit XML (len bytes at buf, as a test wrote it) into subs: one sub-result per
 * <testcase>, named "classname.name" (GoogleTest's Suite.Case) or by its name alone where the
 * classname adds nothing. Returns 0, or -1 with *e saying what is wrong with the document.
 */
typedef int junit_parse_fn(const char *buf, size_t len, struct subresults *subs,
                           struct isola_error *e);

/*
 * Add a sub-result, counted in subs->total (and ->failed), kept if there is room (see struct
 * subresults). name and msg are copied (msg may be NULL), cut to SUB_NAME_MAX and
 * SUB_MESSAGE_MAX bytes. Returns its index, or -1 if it was not kept.
 */
long subresults_add(struct subresults *s, const char *name, size_t name_len, enum outcome o,
                    bool todo, const char *msg, size_t msg_len, int64_t ns);
/* Append a line to kept sub-result i's message (a newline between), within SUB_MESSAGE_MAX. */
void subresult_append(struct subresults *s, size_t i, const char *text, size_t len);
void subresults_release(struct subresults *s);
/* *dst = a deep copy of *src. */
void subresults_copy(struct subresults *dst, const struct subresults *src);

/* Did it fail (FAIL or ERROR, and not a TAP TODO)? */
bool subresult_failed(const struct subresult *r);

/* The attempt's log is a TAP stream: read it into a->subs, then decide its outcome. */
void protocol_read_tap(struct attempt *a, const char *log_path);

/*
 * The attempt's XML (PROTOCOL_XML_NAME in its sandbox, dirfd): read it into a->subs with parse,
 * then decide its outcome. required (gtest): a missing file is an ERROR; else (junit) the exit
 * status alone decides then. parse NULL: no reader could be loaded (an ERROR if there is a file).
 */
void protocol_read_xml(struct attempt *a, int dirfd, bool required, junit_parse_fn *parse);

#endif

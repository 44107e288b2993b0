/* SPDX-License-Identifier: MIT */
/*
 * --junit FILE: JUnit XML as Jenkins, GitLab and GitHub's test-report actions read it (the Ant
 * format; tests/report/junit.xsd is its schema). One <testcase> per run of a test, written at
 * the end of the run, since <testsuite> opens with the counts. A run that was retried carries its
 * failed attempts as Maven Surefire writes reruns, which is how CI systems read flaky tests: a
 * <testcase> that passed in the end holds a <flakyFailure> (or <flakyError>) per failed attempt;
 * one that did not pass holds its verdict and a <rerunFailure> (<rerunError>) per earlier one.
 * Written with libxml2's xmlwriter; every string goes through text_xml() first, so that NUL, ESC
 * or invalid UTF-8 in a test's name or output still make a well-formed document.
 *
 * Outcomes: FAIL, TIMEOUT, CRASH and LEAK are <failure type="OUTCOME"> (the test misbehaved);
 * ERROR is <error> (no verdict: isola could not run it, it was interrupted, or it said exit 99);
 * SKIP is <skipped>. Each attempt's captured output, capped to its last JUNIT_OUTPUT_MAX bytes, is
 * its <system-out>; the output is copied to an unnamed spool file as attempts end (their logs go
 * away after test_end), not kept in memory.
 */
#include <fcntl.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/report-out.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/isolate.h"
#include "util/util.h"

#define JUNIT_OUTPUT_MAX (64 * 1024)

struct junit {
	struct report_out *out;
	struct report_problems *problems;
	struct report_recs recs;
	FILE *spool;
	bool spool_broken;
	char *run_id;
	int64_t start_wall_ns;
	unsigned jobs;
	struct tbuf b;
};

void *report_junit_new(struct report_out *out, struct report_problems *p)
{
	struct junit *j = xcalloc(1, sizeof(*j));
	j->out = out;
	j->problems = p;
	return j;
}

static void junit_run_start(void *ctx, const struct run_info *ri)
{
	struct junit *j = ctx;
	j->run_id = xstrdup(ri->run_id);
	j->start_wall_ns = ri->start_wall_ns;
	j->jobs = ri->jobs;
	j->spool = tmpfile();
	/* tmpfile() has no close-on-exec: the tests would inherit it. */
	if (!j->spool || fcntl(fileno(j->spool), F_SETFD, FD_CLOEXEC) < 0)
		j->spool_broken = true;
}

static void junit_test_end(void *ctx, const struct attempt *a)
{
	struct junit *j = ctx;
	struct report_rec *r = report_recs_add(&j->recs, a);
	char *buf;
	size_t len;
	off_t size;
	report_log_tail(a->log_path, JUNIT_OUTPUT_MAX, &buf, &len, &size);
	tbuf_reset(&j->b);
	if ((off_t)len < size)
		tbuf_addf(&j->b, "[isola: output truncated: the last %zu of %lld bytes follow]\n",
		          len, (long long)size);
	text_xml(&j->b, buf, len);
	free(buf);
	r->tail_len = j->b.len;
	if (j->spool && !j->spool_broken) {
		r->spool_off = ftello(j->spool);
		if (fwrite(j->b.p, 1, j->b.len, j->spool) != j->b.len)
			j->spool_broken = true;
	}
}

/* libxml2 calls return -1 on failure; remember the first. */
#define X(call)                                                                                    \
	do {                                                                                       \
		if ((call) < 0)                                                                    \
			ok = false;                                                                \
	} while (0)

static const xmlChar *xs(const char *s)
{
	return (const xmlChar *)s;
}

/* An attribute whose value may be any bytes. */
static int attr(struct junit *j, xmlTextWriterPtr w, const char *name, const char *value)
{
	tbuf_reset(&j->b);
	text_xml(&j->b, value, strlen(value));
	return xmlTextWriterWriteAttribute(w, xs(name), xs(tbuf_str(&j->b)));
}

static int attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int attrf(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xmlTextWriterWriteAttribute(w, xs(name), xs(buf));
}

static int property(struct junit *j, xmlTextWriterPtr w, const char *name, const char *value)
{
	if (xmlTextWriterStartElement(w, xs("property")) < 0 || attr(j, w, "name", name) < 0 ||
	    attr(j, w, "value", value) < 0)
		return -1;
	return xmlTextWriterEndElement(w);
}

/* "2026-11-26T08:47:09": xs:dateTime as the Ant schema has it (UTC, no zone). */
static void timestamp(int64_t wall, char *buf, size_t len)
{
	time_t s = (time_t)(wall / NSEC_PER_SEC);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The attempt's output, from the spool, as <system-out>. */
static bool write_output(struct junit *j, xmlTextWriterPtr w, const struct report_rec *r)
{
	bool ok = true;
	if (!r->tail_len || !j->spool)
		return true;
	char *text = xmalloc(r->tail_len + 1);
	ssize_t n = pread(fileno(j->spool), text, r->tail_len, r->spool_off);
	if (n != (ssize_t)r->tail_len) {
		ok = false;
	} else {
		text[n] = '\0';
		X(xmlTextWriterStartElement(w, xs("system-out")));
		X(xmlTextWriterWriteString(w, xs(text)));
		X(xmlTextWriterEndElement(w));
	}
	free(text);
	return ok;
}

/* "FAIL name (reason)", and where its log and sandbox were kept: a problem's details. */
static void details(struct junit *j, const struct report_rec *r, enum outcome shown)
{
	struct tbuf body = {0};
	tbuf_addf(&body, "%s %s", outcome_name(shown), r->name);
	if (r->reason)
		tbuf_addf(&body, " (%s)", r->reason);
	tbuf_adds(&body, "\n");
	if (r->kept && r->log_path)
		tbuf_addf(&body, "log:     %s\n", r->log_path);
	if (r->kept && r->sandbox_path)
		tbuf_addf(&body, "sandbox: %s\n", r->sandbox_path);
	tbuf_reset(&j->b);
	text_xml(&j->b, body.p, body.len);
	tbuf_release(&body);
}

/* An earlier, failed attempt of a run: <flakyFailure> if the run passed in the end, else
 * <rerunFailure> (Error for an ERROR), with its details and its own output. */
static bool write_rerun(struct junit *j, xmlTextWriterPtr w, const struct report_rec *r,
                        bool passed)
{
	bool ok = true;
	const char *el = passed ? (r->outcome == OUT_ERROR ? "flakyError" : "flakyFailure")
	                        : (r->outcome == OUT_ERROR ? "rerunError" : "rerunFailure");
	X(xmlTextWriterStartElement(w, xs(el)));
	X(attr(j, w, "message", r->reason ? r->reason : ""));
	X(attr(j, w, "type", outcome_name(r->outcome)));
	details(j, r, r->outcome);
	X(xmlTextWriterStartElement(w, xs("stackTrace")));
	X(xmlTextWriterWriteString(w, xs(tbuf_str(&j->b))));
	X(xmlTextWriterEndElement(w));
	if (!write_output(j, w, r))
		ok = false;
	X(xmlTextWriterEndElement(w));
	return ok;
}

/* Does a testcase of this shown result count as passed? */
static bool counts_passed(enum outcome shown, bool flaky_fails)
{
	return shown == OUT_FLAKY ? !flaky_fails : outcome_ok(shown);
}

/* One <testcase>: the attempt r that ended a run, and the n attempts before it (earlier). */
static bool write_case(struct junit *j, xmlTextWriterPtr w, const struct report_rec *r,
                       const struct report_rec *const *earlier, size_t n, bool flaky_fails)
{
	bool ok = true;
	char num[32];
	enum outcome shown = r->retried ? r->outcome : r->result;
	X(xmlTextWriterStartElement(w, xs("testcase")));
	X(attr(j, w, "name", r->name));
	X(attr(j, w, "classname", "isola"));
	X(attrf(w, "time", "%.3f", ns_to_s(r->end_ns - r->exec_ns)));
	char ts[32];
	timestamp(r->start_wall_ns, ts, sizeof(ts));
	X(attr(j, w, "timestamp", ts));

	X(xmlTextWriterStartElement(w, xs("properties")));
	X(property(j, w, "outcome", outcome_name(shown)));
	snprintf(num, sizeof(num), "%u", r->number);
	X(property(j, w, "attempt", num));
	if (r->run > 1) {
		snprintf(num, sizeof(num), "%u", r->run);
		X(property(j, w, "run", num));
	}
	snprintf(num, sizeof(num), "%u", r->slot);
	X(property(j, w, "slot", num));
	if (r->sandbox_path) {
		X(property(j, w, "sandbox", r->sandbox_path));
		X(property(j, w, "sandbox.kept", r->kept ? "true" : "false"));
	}
	if (r->kept && r->log_path)
		X(property(j, w, "log", r->log_path));
	if (r->strategy) {
		X(property(j, w, "staging.strategy", r->strategy));
		snprintf(num, sizeof(num), "%.3f", ns_to_s(r->exec_ns - r->start_ns));
		X(property(j, w, "staging.time", num));
	}
	/* What --isolate gave it and its write fence, as -v says them. */
	if (r->isolation) {
		char iso[64];
		X(property(j, w, "isolated", isolation_name(r->isolated, iso, sizeof(iso))));
		if (r->isolate_reason)
			X(property(j, w, "not_isolated", r->isolate_reason));
		if (r->trees)
			X(property(j, w, "trees", r->trees));
	}
	if (r->fence_abi) {
		snprintf(num, sizeof(num), "Landlock ABI %d", r->fence_abi);
		X(property(j, w, "fenced", num));
	}
	/* The shared-write report: a count, then one property per path ("KIND PATH"). */
	if (r->wrote.total) {
		char sum[200];
		char *line = xasprintf("%zu: %s", r->wrote.total,
		                       writes_summary(&r->wrote, sum, sizeof(sum)));
		X(property(j, w, "wrote", line));
		free(line);
		for (size_t i = 0; i < r->wrote.n; i++) {
			const struct write *x = &r->wrote.v[i];
			char size[32] = "";
			if (x->size >= 0)
				snprintf(size, sizeof(size), " (%lld bytes)", (long long)x->size);
			line = xasprintf("%s %s%s%s%s%s", write_kind_name(x->kind), x->path,
			                 x->from ? " (from " : "", x->from ? x->from : "",
			                 x->from ? ")" : "", size);
			X(property(j, w, x->tree ? "wrote.tree" : "wrote.copy", line));
			free(line);
		}
	}
	X(xmlTextWriterEndElement(w));

	const char *reason = r->reason ? r->reason : "";
	bool passed = counts_passed(shown, flaky_fails);
	if (shown == OUT_SKIP) {
		X(xmlTextWriterStartElement(w, xs("skipped")));
		X(attr(j, w, "message", r->reason ? r->reason : "exit 77"));
		X(xmlTextWriterEndElement(w));
	} else if (shown == OUT_FLAKY && !passed) {
		char msg[128];
		snprintf(msg, sizeof(msg),
		         "failed %zu attempt%s before it passed (--flaky-result fail)", n,
		         n == 1 ? "" : "s");
		X(xmlTextWriterStartElement(w, xs("failure")));
		X(attr(j, w, "message", msg));
		X(attr(j, w, "type", "FLAKY"));
		X(xmlTextWriterEndElement(w));
	} else if (!passed) {
		X(xmlTextWriterStartElement(w, xs(shown == OUT_ERROR ? "error" : "failure")));
		X(attr(j, w, "message", reason));
		X(attr(j, w, "type", outcome_name(shown)));
		details(j, r, shown);
		X(xmlTextWriterWriteString(w, xs(tbuf_str(&j->b))));
		X(xmlTextWriterEndElement(w));
	}
	/* Surefire's order: the failures, then the errors. */
	for (int errors = 0; errors < 2; errors++)
		for (size_t i = 0; i < n; i++)
			if (!outcome_ok(earlier[i]->outcome) &&
			    (earlier[i]->outcome == OUT_ERROR) == errors &&
			    !write_rerun(j, w, earlier[i], passed))
				ok = false;
	if (!write_output(j, w, r))
		ok = false;
	X(xmlTextWriterEndElement(w));
	return ok;
}

/*
 * A sub-result of the attempt r that ended a run (its subtests, protocol.h) as a <testcase> of
 * its own after r's: classname the isola test's name, name the subtest's. A TAP TODO is skipped
 * (it counts for nothing).
 */
static bool write_subcase(struct junit *j, xmlTextWriterPtr w, const struct report_rec *r,
                          const struct subresult *sr)
{
	bool ok = true;
	X(xmlTextWriterStartElement(w, xs("testcase")));
	X(attr(j, w, "name", sr->name));
	X(attr(j, w, "classname", r->name));
	X(attrf(w, "time", "%.3f", sr->ns >= 0 ? ns_to_s(sr->ns) : 0.0));
	const char *m = sr->message ? sr->message : "";
	/* The message attribute is the first line; the element's text the whole message. */
	char *first = strndup(m, strcspn(m, "\n"));
	if (sr->todo || sr->outcome == OUT_SKIP) {
		char *why = sr->todo ? xasprintf("TODO%s%s", *first ? ": " : "", first) : xstrdup(first);
		X(xmlTextWriterStartElement(w, xs("skipped")));
		X(attr(j, w, "message", why));
		X(xmlTextWriterEndElement(w));
		free(why);
	} else if (sr->outcome == OUT_FAIL || sr->outcome == OUT_ERROR) {
		X(xmlTextWriterStartElement(w, xs(sr->outcome == OUT_ERROR ? "error" : "failure")));
		X(attr(j, w, "message", first));
		X(attr(j, w, "type", outcome_name(sr->outcome)));
		tbuf_reset(&j->b);
		text_xml(&j->b, m, strlen(m));
		X(xmlTextWriterWriteString(w, xs(tbuf_str(&j->b))));
		X(xmlTextWriterEndElement(w));
	}
	free(first);
	X(xmlTextWriterEndElement(w));
	return ok;
}

/* By test, run and attempt: the attempts of one run side by side, in order. */
static int cmp_run(const void *pa, const void *pb)
{
	const struct report_rec *a = *(const struct report_rec *const *)pa;
	const struct report_rec *b = *(const struct report_rec *const *)pb;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	if (a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->number != b->number)
		return a->number < b->number ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void silence_libxml(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void junit_run_end(void *ctx, const struct run_summary *rs)
{
	struct junit *j = ctx;
	/* A testcase per run: the attempt that ended it (or the last one there was, if its retry
	 * never started), with the attempts before it. */
	size_t nrec = j->recs.n;
	const struct report_rec **byrun = xcalloc(nrec + 1, sizeof(*byrun));
	for (size_t i = 0; i < nrec; i++)
		byrun[i] = &j->recs.v[i];
	qsort(byrun, nrec, sizeof(*byrun), cmp_run);
	size_t *first = xcalloc(nrec + 1, sizeof(*first)); /* per rec: where its run starts */
	bool *ends = xcalloc(nrec + 1, sizeof(*ends));     /* per rec: it ends its run */
	size_t ncases = 0;
	for (size_t i = 0, start = 0; i < nrec; i++) {
		const struct report_rec *r = byrun[i];
		if (i > 0 && (strcmp(byrun[i - 1]->name, r->name) != 0 || byrun[i - 1]->run != r->run))
			start = i;
		bool last = i + 1 == nrec || strcmp(byrun[i + 1]->name, r->name) != 0 ||
		            byrun[i + 1]->run != r->run;
		size_t k = (size_t)(r - j->recs.v);
		first[k] = start;
		ends[k] = last;
		ncases += last;
	}
	unsigned failures = 0, errors = 0, skipped = 0;
	for (size_t i = 0; i < nrec; i++) {
		const struct report_rec *r = &j->recs.v[i];
		if (!ends[i])
			continue;
		enum outcome o = r->retried ? r->outcome : r->result;
		if (o == OUT_SKIP)
			skipped++;
		else if (o == OUT_ERROR)
			errors++;
		else if (!counts_passed(o, rs->flaky_fails))
			failures++;
		for (size_t k = 0; k < r->subs.n; k++) {
			const struct subresult *sr = &r->subs.v[k];
			ncases++;
			if (sr->outcome == OUT_SKIP || sr->todo)
				skipped++;
			else if (sr->outcome == OUT_ERROR)
				errors++;
			else if (sr->outcome == OUT_FAIL)
				failures++;
		}
	}
	if (j->spool)
		fflush(j->spool);

	bool ok = !j->spool_broken;
	/* libxml2 prints its I/O errors to stderr by default; ours go through the problems list. */
	xmlSetGenericErrorFunc(NULL, silence_libxml);
	xmlOutputBufferPtr ob = xmlOutputBufferCreateFile(j->out->fp, NULL);
	xmlTextWriterPtr w = ob ? xmlNewTextWriter(ob) : NULL;
	if (!w) {
		if (ob)
			xmlOutputBufferClose(ob);
		strv_push_take(
		    &j->problems->lines,
		    xasprintf("cannot write %s '%s': libxml2 failed", j->out->what, j->out->path));
		free(byrun);
		free(first);
		free(ends);
		return;
	}
	char ts[32], host[256] = "localhost";
	timestamp(j->start_wall_ns, ts, sizeof(ts));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';

	X(xmlTextWriterSetIndent(w, 1));
	X(xmlTextWriterSetIndentString(w, xs("  ")));
	X(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
	/* <testsuites> and its one <testsuite> carry the same counts. */
	for (int level = 0; level < 2; level++) {
		X(xmlTextWriterStartElement(w, xs(level == 0 ? "testsuites" : "testsuite")));
		X(attr(j, w, "name", "isola"));
		X(attrf(w, "tests", "%zu", ncases));
		X(attrf(w, "failures", "%u", failures));
		X(attrf(w, "errors", "%u", errors));
		X(attrf(w, "skipped", "%u", skipped));
		X(attrf(w, "time", "%.3f", ns_to_s(rs->wall_ns)));
		X(attr(j, w, "timestamp", ts));
	}
	X(attr(j, w, "hostname", host));
	X(attr(j, w, "id", "0"));
	X(xmlTextWriterStartElement(w, xs("properties")));
	X(property(j, w, "isola.version", ISOLA_VERSION));
	X(property(j, w, "isola.run_id", j->run_id ? j->run_id : ""));
	char num[32];
	snprintf(num, sizeof(num), "%u", j->jobs);
	X(property(j, w, "isola.jobs", num));
	snprintf(num, sizeof(num), "%u", rs->not_run);
	X(property(j, w, "isola.not_run", num));
	X(xmlTextWriterEndElement(w));
	/* In the order the runs ended. */
	for (size_t i = 0; i < nrec; i++) {
		if (!ends[i])
			continue;
		const struct report_rec *r = &j->recs.v[i];
		size_t at = first[i], n = 0;
		while (byrun[at + n] != r)
			n++;
		if (!write_case(j, w, r, byrun + at, n, rs->flaky_fails))
			ok = false;
		for (size_t k = 0; k < r->subs.n; k++)
			if (!write_subcase(j, w, r, &r->subs.v[k]))
				ok = false;
	}
	free(byrun);
	free(first);
	free(ends);
	X(xmlTextWriterEndElement(w)); /* testsuite */
	X(xmlTextWriterEndElement(w)); /* testsuites */
	X(xmlTextWriterEndDocument(w));
	xmlFreeTextWriter(w); /* flushes into out->fp, which stays open */

	report_out_finish(j->out, ok, j->problems);
}

static void junit_free(void *ctx)
{
	struct junit *j = ctx;
	report_out_free(j->out);
	report_recs_release(&j->recs);
	if (j->spool)
		fclose(j->spool);
	tbuf_release(&j->b);
	free(j->run_id);
	free(j);
}

const struct reporter_ops report_junit_ops = {
    .name = "junit",
    .run_start = junit_run_start,
    .test_end = junit_test_end,
    .run_end = junit_run_end,
    .free = junit_free,
};

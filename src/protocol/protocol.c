/* SPDX-License-Identifier: MIT */
/* What a test said of its insides, and the outcome it makes (protocol.h). */
#include "protocol/protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/tap.h"

bool subresult_failed(const struct subresult *r)
{
	return (r->outcome == OUT_FAIL || r->outcome == OUT_ERROR) && !r->todo;
}

long subresults_add(struct subresults *s, const char *name, size_t name_len, enum outcome o,
                    bool todo, const char *msg, size_t msg_len, int64_t ns)
{
	struct subresult r = {.outcome = o, .todo = todo, .ns = ns};
	bool failed = subresult_failed(&r);
	s->total++;
	s->failed += failed;
	if (!(s->n < SUBS_MAX || (failed && s->kept_failed < SUBS_FAILED_MAX)))
		return -1;
	s->kept_failed += failed;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	r.name = strndup(name, name_len < SUB_NAME_MAX ? name_len : SUB_NAME_MAX);
	if (!r.name)
		abort();
	if (msg && msg_len) {
		r.message = strndup(msg, msg_len < SUB_MESSAGE_MAX ? msg_len : SUB_MESSAGE_MAX);
		if (!r.message)
			abort();
	}
	s->v[s->n] = r;
	return (long)s->n++;
}

void subresult_append(struct subresults *s, size_t i, const char *text, size_t len)
{
	struct subresult *r = &s->v[i];
	size_t have = r->message ? strlen(r->message) : 0;
	size_t sep = have ? 1 : 0;
	if (have + sep >= SUB_MESSAGE_MAX)
		return;
	if (len > SUB_MESSAGE_MAX - have - sep)
		len = SUB_MESSAGE_MAX - have - sep;
	char *m = xrealloc(r->message, have + sep + len + 1);
	if (sep)
		m[have] = '\n';
	memcpy(m + have + sep, text, len);
	m[have + sep + len] = '\0';
	r->message = m;
}

void subresults_release(struct subresults *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].message);
	}
	free(s->v);
	*s = (struct subresults){0};
}

void subresults_copy(struct subresults *dst, const struct subresults *src)
{
	*dst = *src;
	dst->v = src->n ? xcalloc(src->n, sizeof(*dst->v)) : NULL;
	dst->cap = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i] = src->v[i];
		dst->v[i].name = xstrdup(src->v[i].name);
		dst->v[i].message = src->v[i].message ? xstrdup(src->v[i].message) : NULL;
	}
}

/* May what the test said change its outcome? Only the verdict of its exit status: a crash, a
 * timeout, an interruption, its skip and error statuses say more. */
static bool refinable(const struct attempt *a)
{
	return (a->outcome == OUT_PASS || a->outcome == OUT_FAIL) && !a->interrupted &&
	       !a->timed_out && !a->signal;
}

/* "subtest 'Math.Div' failed", "3 of 10 subtests failed: A, B, C, ..." */
static char *failed_reason(const struct subresults *s)
{
	const char *names[3];
	size_t k = 0;
	for (size_t i = 0; i < s->n && k < ARRAY_SIZE(names); i++)
		if (subresult_failed(&s->v[i]))
			names[k++] = s->v[i].name;
	if (s->failed == 1 && k == 1)
		return xasprintf("subtest '%.200s' failed", names[0]);
	char *r = xasprintf("%zu of %zu subtests failed:", s->failed, s->total);
	for (size_t i = 0; i < k; i++)
		xappendf(&r, i ? ", " : " ", "%.200s", names[i]);
	if (s->failed > k)
		xappendf(&r, ", ", "...");
	return r;
}

/* Decide: `broken` (taken) is what is wrong with the stream as a whole, NULL if nothing;
 * `error` makes that an ERROR (isola could not read a verdict) rather than a FAIL. */
static void decide(struct attempt *a, char *broken, bool error)
{
	if (!refinable(a)) {
		free(broken);
		return;
	}
	if (broken) {
		a->outcome = error ? OUT_ERROR : OUT_FAIL;
		if (a->exited && a->exit_code != 0)
			xasprintf_to(&a->reason, "%s; exit %d", broken, a->exit_code);
		else
			xasprintf_to(&a->reason, "%s", broken);
		free(broken);
		return;
	}
	if (a->subs.failed) {
		a->outcome = OUT_FAIL;
		free(a->reason);
		a->reason = failed_reason(&a->subs);
	}
}

void protocol_read_tap(struct attempt *a, const char *log_path)
{
	struct tap t;
	tap_init(&t, &a->subs);
	int fd = log_path ? open_regular(log_path) : -1;
	char *broken = NULL;
	bool error = false;
	if (fd < 0) {
		broken = xasprintf("isola: cannot read its output: %s", strerror(errno));
		error = true;
	} else {
		char *buf = xmalloc(65536);
		size_t total = 0;
		for (;;) {
			ssize_t n = read(fd, buf, 65536);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				broken = xasprintf("isola: cannot read its output: %s", strerror(errno));
				error = true;
				break;
			}
			if (n == 0)
				break;
			if (total + (size_t)n > PROTOCOL_TAP_MAX) {
				broken = xasprintf("isola: its TAP output is over %d MiB: not read past that",
				                   PROTOCOL_TAP_MAX >> 20);
				error = true;
				break;
			}
			total += (size_t)n;
			tap_feed(&t, buf, (size_t)n);
		}
		free(buf);
		close(fd);
	}
	tap_finish(&t);
	if (!broken)
		broken = tap_verdict(&t);
	if (!broken && !a->subs.failed && t.skip_all && refinable(a) && a->exit_code == 0) {
		a->outcome = OUT_SKIP;
		xasprintf_to(&a->reason, "%s", t.skip_reason ? t.skip_reason : "1..0");
	}
	decide(a, broken, error);
	tap_release(&t);
}

void protocol_read_xml(struct attempt *a, int dirfd, bool required, junit_parse_fn *parse)
{
	const char *what = required ? "GoogleTest XML" : "JUnit XML";
	int fd = openat(dirfd, PROTOCOL_XML_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		if (errno == ENOENT && !required)
			return;
		if (errno == ENOENT)
			decide(a, xasprintf("isola: it wrote no %s; is it a GoogleTest binary? (isola "
			                    "gave it --gtest_output=xml:$XML_OUTPUT_FILE)", what), true);
		else
			decide(a, xasprintf("isola: cannot open its %s: %s", what, strerror(errno)),
			       true);
		return;
	}
	char *buf = NULL;
	char *broken = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		broken = xasprintf("isola: its %s '%s' is not a regular file", what, PROTOCOL_XML_NAME);
	} else if (st.st_size == 0) {
		if (required)
			broken = xasprintf("isola: its %s is empty", what);
	} else if (st.st_size > PROTOCOL_XML_MAX) {
		broken = xasprintf("isola: its %s is %lld bytes, over the %d MiB isola reads", what,
		                   (long long)st.st_size, PROTOCOL_XML_MAX >> 20);
	} else {
		size_t len = (size_t)st.st_size, got = 0;
		buf = xmalloc(len + 1);
		while (got < len) {
			ssize_t n = read(fd, buf + got, len - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		buf[got] = '\0';
		struct isola_error e = {0};
		if (got < len)
			broken = xasprintf("isola: cannot read its %s: %s", what,
			                   errno ? strerror(errno) : "it shrank");
		else if (!parse)
			broken = xasprintf("isola: cannot read its %s: no reader of JUnit XML", what);
		else if (parse(buf, got, &a->subs, &e) < 0)
			broken = xasprintf("isola: its %s is not JUnit XML: %s", what, e.message);
	}
	free(buf);
	close(fd);
	decide(a, broken, broken != NULL);
}

/* SPDX-License-Identifier: MIT */
#include "report/report-record.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/protocol.h"
#include "util/util.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct report_rec *report_recs_add(struct report_recs *rs, const struct attempt *a)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 32;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	struct report_rec *r = &rs->v[rs->n++];
	*r = (struct report_rec){
	    .name = xstrdup(a->test->name),
	    .seq = a->seq,
	    .number = a->number,
	    .run = a->run,
	    .retried = a->retried,
	    .result = a->result,
	    .slot = a->slot,
	    .outcome = a->outcome,
	    .exited = a->exited,
	    .exit_code = a->exit_code,
	    .signal = a->signal,
	    .timed_out = a->timed_out,
	    .interrupted = a->interrupted,
	    .leaked = a->leaked,
	    .reason = dup_or_null(a->reason),
	    .strategy = dup_or_null(a->strategy),
	    .sandbox_path = dup_or_null(a->sandbox_path),
	    .log_path = dup_or_null(a->log_path),
	    .kept = a->kept,
	    .start_ns = a->start_ns,
	    .exec_ns = a->exec_ns,
	    .end_ns = a->end_ns,
	    .done_ns = a->done_ns,
	    .start_wall_ns = a->start_wall_ns,
	    .timeout_ns = a->test->s.timeout_ns > 0 ? a->test->s.timeout_ns : 0,
	    .isolation = attempt_isolation_known(a),
	    .isolated = a->isolated,
	    .isolate_reason = dup_or_null(a->isolate_reason),
	    .trees = tree_views_describe(&a->trees),
	    .fence_abi = a->fence_abi,
	};
	r->out_size = report_log_size(a->log_path);
	subresults_copy(&r->subs, &a->subs);
	writes_copy(&r->wrote, &a->wrote);
	return r;
}

off_t report_log_size(const char *path)
{
	struct stat st;
	return path && lstat(path, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
}

void report_recs_release(struct report_recs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct report_rec *r = &rs->v[i];
		free(r->name);
		free(r->reason);
		free(r->strategy);
		free(r->sandbox_path);
		free(r->log_path);
		free(r->tail);
		free(r->isolate_reason);
		free(r->trees);
		subresults_release(&r->subs);
		writes_release(&r->wrote);
	}
	free(rs->v);
	*rs = (struct report_recs){0};
}

int report_log_tail(const char *path, size_t max, char **buf, size_t *len, off_t *size)
{
	*buf = xstrdup("");
	*len = 0;
	*size = 0;
	if (!path)
		return -1;
	int fd = open_regular(path);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*size = st.st_size;
	size_t want = (size_t)st.st_size < max ? (size_t)st.st_size : max;
	char *b = xmalloc(want + 1);
	size_t got = 0;
	off_t from = st.st_size - (off_t)want;
	while (got < want) {
		ssize_t n = pread(fd, b + got, want - got, from + (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	size_t start = 0;
	if (from > 0)
		while (start < got && start < 3 && ((unsigned char)b[start] & 0xc0) == 0x80)
			start++;
	memmove(b, b + start, got - start);
	b[got - start] = '\0';
	free(*buf);
	*buf = b;
	*len = got - start;
	return 0;
}

size_t report_tail_lines(const char *buf, size_t len, unsigned lines)
{
	size_t end = len;
	if (end > 0 && buf[end - 1] == '\n')
		end--;
	unsigned seen = 0;
	size_t start = end;
	while (start > 0) {
		if (buf[start - 1] == '\n' && ++seen == lines)
			break;
		start--;
	}
	return start;
}

void wilson_interval(unsigned k, unsigned n, double *lo, double *hi)
{
	const double z = 1.959964; /* the 97.5th percentile of the normal distribution */
	double p = (double)k / n, z2n = z * z / n;
	double centre = (p + z2n / 2) / (1 + z2n);
	double half = z * sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
	/* At 0 or n failures the bound on that side is exact. */
	if (k == 0)
		*lo = 0;
	if (k == n)
		*hi = 1;
}

bool flake_table_wanted(const struct run_summary *rs)
{
	for (size_t i = 0; i < rs->nflakes; i++)
		if (rs->flakes[i].attempts > 1)
			return true;
	return rs->hunting;
}

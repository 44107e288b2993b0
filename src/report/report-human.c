/* SPDX-License-Identifier: MIT */
/*
 * The human reporter: one line per finished test, the tail of a failure's output, the summary.
 * Everything goes through one line printer (lineprinter.h), which on a terminal keeps a status
 * line below the finished tests:
 *
 *   [ 37/200] 2 running: net_test (4.1s), db_test (0.8s)  3 failed  ETA 0:12
 *
 * SIGUSR1, or the key 't' on a terminal, lists the running tests with their sandboxes. With -v and
 * one job, the test's output is followed in its log as it is written, like --nocapture elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "protocol/protocol.h"
#include "report/lineprinter.h"
#include "report/report-record.h"
#include "report/report-text.h"
#include "report/report.h"
#include "spawn/isolate.h"
#include "util/util.h"

/* How often the status line's clocks move, and how often a followed log is read. */
#define STATUS_TICK_NS (200 * NSEC_PER_MSEC)
#define STREAM_TICK_NS (50 * NSEC_PER_MSEC)
/* A followed test's partial last line is held back at most this long (bytes), so that a
 * progress bar without newlines still shows. */
#define STREAM_PARTIAL_MAX 4096

struct human {
	struct human_opts o;
	struct line_printer lp;
	bool streaming; /* -v and one job: follow the running test's log */

	const struct attempt **running; /* [jobs], by slot; borrowed from the scheduler */
	unsigned done, total, failed;
	int64_t t0;

	/* The followed test's log. */
	const struct attempt *follow;
	int follow_fd;
	off_t follow_off;
	bool follow_newline; /* what was printed of it ends with a newline (or nothing was) */

	bool tty_saved;
	bool out_tty; /* output goes to a terminal: a test's control bytes are shown escaped */
	struct termios saved_tio;
	struct tbuf tmp;
};

void *report_human_new(const struct human_opts *o)
{
	struct human *h = xcalloc(1, sizeof(*h));
	h->o = *o;
	if (!h->o.tail_lines)
		h->o.tail_lines = 10;
	if (!h->o.jobs)
		h->o.jobs = 1;
	lp_init(&h->lp, h->o.out);
	h->out_tty = isatty(fileno(h->o.out));
	h->streaming = h->o.verbose && h->o.jobs == 1;
	h->running = xcalloc(h->o.jobs, sizeof(*h->running));
	h->follow_fd = -1;
	h->follow_newline = true;
	return h;
}

int64_t report_human_tick_ns(void *ctx)
{
	struct human *h = ctx;
	if (h->streaming)
		return STREAM_TICK_NS;
	return h->lp.smart ? STATUS_TICK_NS : 0;
}

/* A name made safe for a terminal: control characters visible. Valid until the next call. */
static const char *visible(struct human *h, const char *s)
{
	tbuf_reset(&h->tmp);
	text_visible(&h->tmp, s, strlen(s), false, false);
	return tbuf_str(&h->tmp);
}

/* "4.1s", "1m05s", for the status line. */
static void fmt_short(int64_t ns, char *buf, size_t len)
{
	if (ns < 0)
		ns = 0;
	if (ns < 60 * NSEC_PER_SEC)
		snprintf(buf, len, "%.1fs", (double)ns / 1e9);
	else
		snprintf(buf, len, "%um%02us", (unsigned)(ns / NSEC_PER_SEC / 60),
		         (unsigned)(ns / NSEC_PER_SEC % 60));
}

static int64_t since(const struct attempt *a, int64_t now)
{
	return now - (a->exec_ns ? a->exec_ns : a->start_ns);
}

static int cmp_elapsed(const void *x, const void *y)
{
	const struct attempt *a = *(const struct attempt *const *)x;
	const struct attempt *b = *(const struct attempt *const *)y;
	int64_t ta = a->exec_ns ? a->exec_ns : a->start_ns,
	        tb = b->exec_ns ? b->exec_ns : b->start_ns;
	if (ta != tb)
		return ta < tb ? -1 : 1; /* started earlier: running longer: first */
	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

/* Build the status line; show it now, or leave it for lp_end() to draw under what is being
 * printed (draw false), so that it is drawn once. */
static void update_status(struct human *h, int64_t now, bool draw)
{
	if (!h->lp.smart)
		return;
	size_t cols = lp_width(&h->lp) - 1;
	struct tbuf head = {0}, tail = {0}, mid = {0};
	char num[16];
	int digits = snprintf(num, sizeof(num), "%u", h->total);
	tbuf_addf(&head, "[%*u/%u] ", digits, h->done, h->total);
	if (h->failed)
		tbuf_addf(&tail, "  %u failed", h->failed);
	if (h->done > 0 && h->done < h->total) {
		int64_t eta = (now - h->t0) / h->done * (h->total - h->done);
		unsigned s = (unsigned)(eta / NSEC_PER_SEC);
		if (s >= 3600)
			tbuf_addf(&tail, "  ETA %u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
		else
			tbuf_addf(&tail, "  ETA %u:%02u", s / 60, s % 60);
	}

	const struct attempt **run = xcalloc(h->o.jobs, sizeof(*run));
	unsigned n = 0;
	for (unsigned i = 0; i < h->o.jobs; i++)
		if (h->running[i])
			run[n++] = h->running[i];
	qsort(run, n, sizeof(*run), cmp_elapsed);

	/* The running tests fill what the count, the failures and the ETA leave, longest-running
	 * first; those that do not fit become "...". */
	size_t fixed = text_columns(head.p, head.len) + text_columns(tail.p, tail.len);
	size_t budget = cols > fixed ? cols - fixed : 0;
	tbuf_addf(&mid, "%u running", n);
	for (unsigned i = 0; i < n; i++) {
		char d[32];
		fmt_short(since(run[i], now), d, sizeof(d));
		const char *name = visible(h, run[i]->test->name);
		size_t name_len = strlen(name);
		size_t extra = strlen(d) + 3 + (i == 0 ? 2 : 2); /* " (" d ")" and ": " or ", " */
		size_t room = budget > mid.len + extra ? budget - mid.len - extra : 0;
		bool last = i + 1 == n;
		size_t reserve = last ? 0 : 5; /* ", ..." */
		size_t ncols = text_columns(name, name_len);
		if (ncols + reserve <= room) {
			tbuf_addf(&mid, "%s%s (%s)", i == 0 ? ": " : ", ", name, d);
		} else if (i == 0 && room > 3 + reserve + 4) {
			/* One long name: shorten it rather than show none. */
			size_t keep = text_fit(name, name_len, room - 3 - reserve);
			tbuf_addf(&mid, ": %.*s... (%s)", (int)keep, name, d);
		} else {
			tbuf_adds(&mid, i == 0 ? ": ..." : ", ...");
			break;
		}
	}
	free(run);

	struct tbuf line = {0};
	tbuf_add(&line, head.p, head.len);
	tbuf_add(&line, mid.p, mid.len);
	tbuf_add(&line, tbuf_str(&tail), tail.len);
	if (draw)
		lp_status(&h->lp, tbuf_str(&line));
	else
		lp_status_set(&h->lp, tbuf_str(&line));
	tbuf_release(&line);
	tbuf_release(&head);
	tbuf_release(&mid);
	tbuf_release(&tail);
}

static void human_run_start(void *ctx, const struct run_info *ri)
{
	struct human *h = ctx;
	h->t0 = now_ns();
	h->total = (unsigned)ri->ntests;
	if (h->o.key_fd >= 0 && tcgetattr(h->o.key_fd, &h->saved_tio) == 0) {
		/* Keys arrive one by one and are not echoed into the status line; ^C still works.
		 */
		struct termios t = h->saved_tio;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		h->tty_saved = tcsetattr(h->o.key_fd, TCSANOW, &t) == 0;
	}
	if (h->o.verbose) {
		FILE *out = lp_begin(&h->lp);
		fprintf(out, "isola: run %s: %zu test%s, %u job%s, sandboxes in %s\n", ri->run_id,
		        ri->ntests, ri->ntests == 1 ? "" : "s", ri->jobs, ri->jobs == 1 ? "" : "s",
		        ri->run_dir);
		lp_end(&h->lp);
	}
	update_status(h, now_ns(), true);
}

static void restore_tty(struct human *h)
{
	if (h->tty_saved) {
		tcsetattr(h->o.key_fd, TCSANOW, &h->saved_tio);
		h->tty_saved = false;
	}
}

static void human_test_start(void *ctx, const struct attempt *a)
{
	struct human *h = ctx;
	if (a->slot < h->o.jobs)
		h->running[a->slot] = a;
	if (a->number > 1 || a->run > 1)
		h->total++; /* a retry, or another run, is one more attempt to wait for */
	if (h->streaming) {
		h->follow = a;
		h->follow_fd = -1;
		h->follow_off = 0;
		h->follow_newline = true;
	}
	if (h->o.verbose) {
		FILE *out = lp_begin(&h->lp);
		fprintf(out, "START   slot %u  %s%s  %s\n", a->slot, visible(h, a->test->name),
		        a->number > 1 ? " (retry)" : "", a->sandbox_path ? a->sandbox_path : "");
		update_status(h, now_ns(), false);
		lp_end(&h->lp);
	} else {
		update_status(h, now_ns(), true);
	}
}

/* Copy what the followed test wrote since last time; whole lines only unless `all` (or a
 * partial line grew too long). */
static void follow_log(struct human *h, bool all)
{
	const struct attempt *a = h->follow;
	if (!a)
		return;
	if (h->follow_fd < 0) {
		if (!a->log_path)
			return;
		h->follow_fd = open_regular(a->log_path);
		if (h->follow_fd < 0)
			return;
	}
	char buf[65536];
	bool printed = false;
	FILE *out = NULL;
	for (;;) {
		ssize_t n = pread(h->follow_fd, buf, sizeof(buf), h->follow_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t len = (size_t)n;
		if (!all) {
			size_t keep = len;
			while (keep > 0 && buf[keep - 1] != '\n')
				keep--;
			if (keep == 0 && len < STREAM_PARTIAL_MAX && (size_t)n < sizeof(buf))
				break; /* wait for the rest of the line */
			if (keep > 0)
				len = keep;
		}
		if (!out)
			out = lp_begin(&h->lp);
		/* A test's escape sequences never reach a terminal (they could retitle it, move the
		 * cursor, answer back): there control bytes are shown as less and git show them. */
		if (h->out_tty) {
			tbuf_reset(&h->tmp);
			text_visible(&h->tmp, buf, len, true, true);
			fputs(tbuf_str(&h->tmp), out);
		} else {
			fwrite(buf, 1, len, out);
		}
		h->follow_newline = buf[len - 1] == '\n';
		h->follow_off += (off_t)len;
		printed = true;
		if (len < (size_t)n)
			break;
	}
	if (all && !h->follow_newline) {
		if (!out)
			out = lp_begin(&h->lp);
		fputc('\n', out);
		h->follow_newline = true;
		printed = true;
	}
	if (printed)
		lp_end(&h->lp);
}

static void stop_following(struct human *h)
{
	if (h->follow_fd >= 0)
		close(h->follow_fd);
	h->follow_fd = -1;
	h->follow = NULL;
}

/* The tail of a log, each line behind a gutter, control characters made visible. */
static void print_tail(struct human *h, FILE *out, const char *log_path)
{
	char *buf;
	size_t len;
	off_t size;
	report_log_tail(log_path, 4096, &buf, &len, &size);
	size_t start = report_tail_lines(buf, len, h->o.tail_lines);
	const char *p = buf + start, *end = buf + len;
	struct tbuf line = {0};
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		tbuf_reset(&line);
		text_visible(&line, p, n, true, false);
		fprintf(out, "    %s|%s %s\n", lp_color(&h->lp, LP_DIM), lp_color(&h->lp, LP_RESET),
		        tbuf_str(&line));
		p += n + (nl != NULL);
	}
	tbuf_release(&line);
	free(buf);
}

static enum lp_color outcome_color(enum outcome o)
{
	switch (o) {
	case OUT_PASS:
		return LP_GREEN;
	case OUT_SKIP:
	case OUT_FLAKY:
		return LP_YELLOW;
	case OUT_ERROR:
		return LP_MAGENTA;
	default:
		return LP_RED;
	}
}

/* Failed subtests shown under a test that did not pass (all of them with -v: -v shows every
 * subtest), and how many lines of each one's message. */
#define SUBS_SHOWN     20
#define SUB_MSG_LINES  5

/* "    not ok Math.Div: expected 2, got 3", further lines of the message below it. */
static void print_sub(struct human *h, FILE *out, const struct subresult *r)
{
	const char *word = r->outcome == OUT_PASS ? "ok" : r->outcome == OUT_SKIP ? "skip" : "not ok";
	enum lp_color c = subresult_failed(r)                    ? LP_RED
	                  : r->outcome == OUT_SKIP || r->todo     ? LP_YELLOW
	                                                          : LP_GREEN;
	fprintf(out, "    %s%s%s %s", lp_color(&h->lp, c), word, lp_color(&h->lp, LP_RESET),
	        visible(h, r->name));
	if (r->todo)
		fprintf(out, " # TODO");
	if (r->outcome == OUT_ERROR)
		fprintf(out, " (error)");
	const char *m = r->message;
	for (unsigned line = 0; m && *m; line++) {
		const char *nl = strchr(m, '\n');
		size_t n = nl ? (size_t)(nl - m) : strlen(m);
		if (line == SUB_MSG_LINES) {
			fprintf(out, "\n        ...");
			break;
		}
		tbuf_reset(&h->tmp);
		text_visible(&h->tmp, m, n, true, false);
		fprintf(out, line ? "\n        %s" : ": %s", tbuf_str(&h->tmp));
		m = nl ? nl + 1 : m + n;
	}
	fputc('\n', out);
}

/* The failed subtests of a test that did not pass; with -v, every subtest of every test. */
static void print_subs(struct human *h, FILE *out, const struct attempt *a)
{
	const struct subresults *s = &a->subs;
	if (!s->total || (outcome_ok(a->outcome) && !h->o.verbose))
		return;
	size_t shown = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!h->o.verbose && (!subresult_failed(&s->v[i]) || shown == SUBS_SHOWN))
			continue;
		print_sub(h, out, &s->v[i]);
		shown++;
	}
	if (h->o.verbose && s->total > s->n)
		fprintf(out, "    ... %zu more subtests not shown (isola keeps %d, and failures)\n",
		        s->total - s->n, SUBS_MAX);
	else if (!h->o.verbose && s->failed > shown)
		fprintf(out, "    ... %zu more failed subtests not shown\n", s->failed - shown);
}

#define WROTE_SHOWN 20

/* The shared-write report: a count, and for a test that did not pass (-v: every test) the
 * paths. */
static void print_wrote(struct human *h, FILE *out, const struct attempt *a)
{
	const struct writes *w = &a->wrote;
	if (!w->total)
		return;
	char buf[200];
	size_t in_tree = 0;
	for (size_t i = 0; i < w->n; i++)
		in_tree += w->v[i].tree;
	const char *where = in_tree == w->n ? "in the tree" : in_tree ? "in the tree and its overlays"
								      : "in its overlays";
	fprintf(out, "    wrote %zu path%s %s: %s\n", w->total, w->total == 1 ? "" : "s", where,
		writes_summary(w, buf, sizeof(buf)));
	if (outcome_ok(a->outcome) && !h->o.verbose)
		return;
	size_t shown = 0;
	for (size_t i = 0; i < w->n && (h->o.verbose || shown < WROTE_SHOWN); i++, shown++) {
		const struct write *x = &w->v[i];
		fprintf(out, "      %-8s %s", write_kind_name(x->kind), visible(h, x->path));
		if (x->from)
			fprintf(out, " (from %s)", visible(h, x->from));
		if (x->size >= 0)
			fprintf(out, " (%lld bytes)", (long long)x->size);
		if (x->shared)
			fprintf(out, " [shared]");
		fputc('\n', out);
	}
	if (w->total > shown)
		fprintf(out, "      ... %zu more not shown\n", w->total - shown);
}

static void human_test_end(void *ctx, const struct attempt *a)
{
	struct human *h = ctx;
	char dur[32];
	bool streamed = h->streaming && h->follow == a;

	if (streamed) {
		follow_log(h, true);
		stop_following(h);
	}
	if (a->slot < h->o.jobs && h->running[a->slot] == a)
		h->running[a->slot] = NULL;
	h->done++;
	if (!outcome_ok(a->outcome))
		h->failed++;
	enum outcome shown = attempt_shown(a);
	if ((h->o.only_failures || (h->o.hunting && !h->o.verbose)) && outcome_ok(shown) &&
	    shown != OUT_FLAKY)
		return;

	FILE *out = lp_begin(&h->lp);
	const char *word = outcome_name(shown);
	fprintf(out, "%s%s%s%*s %8s  %s", lp_color(&h->lp, outcome_color(shown)), word,
	        lp_color(&h->lp, LP_RESET), (int)(7 - strlen(word)), "",
	        fmt_duration(a->end_ns - a->exec_ns, dur, sizeof(dur)), visible(h, a->test->name));
	if (a->run > 1)
		fprintf(out, " (run %u)", a->run);
	if (a->number > 1)
		fprintf(out, " (attempt %u)", a->number);
	if (a->reason)
		fprintf(out, " (%s)", visible(h, a->reason));
	if (shown == OUT_FLAKY)
		fprintf(out, " (failed %u attempt%s before it passed)", a->failed_before,
		        a->failed_before == 1 ? "" : "s");
	if (a->retried)
		fprintf(out, " [retried]");
	if (a->leaked && a->outcome != OUT_LEAK)
		fprintf(out, " [left %u process%s behind: killed]", a->leaked,
		        a->leaked == 1 ? "" : "es");
	fputc('\n', out);
	if (h->o.verbose && a->strategy)
		fprintf(out, "    staged by %s in %s\n", a->strategy,
		        fmt_duration(a->exec_ns - a->start_ns, dur, sizeof(dur)));
	if (h->o.verbose && a->strategy_reason)
		fprintf(out, "    not staged faster: %s\n", a->strategy_reason);
	if (h->o.verbose && a->owner) {
		fprintf(out, "    processes owned by %s %s", a->owner[0] == 'p' ? "a" : "isola's init as a",
		        a->owner);
		if (a->cpu_us >= 0)
			fprintf(out, " (cpu %s, peak %lld KiB)",
			        fmt_duration(a->cpu_us * NSEC_PER_USEC, dur, sizeof(dur)),
			        (long long)a->maxrss_kb);
		fputc('\n', out);
	}
	if (h->o.verbose && a->owner_reason)
		fprintf(out, "    not owned better: %s\n", a->owner_reason);
	/* What it asked of tmp, shm and net (the trees have a line of their own); from the
	 * attempt, not the test's settings: isola merge has no settings. */
	if (h->o.verbose && a->owner &&
	    ((a->isolated & (ISO_TMP | ISO_SHM | ISO_NET)) || a->isolate_reason)) {
		char iso[64];
		fprintf(out, "    isolated: %s%s\n",
		        isolation_name(a->isolated & ~ISO_TREE, iso, sizeof(iso)),
		        a->isolated & ISO_NET ? " (net: loopback only, 127.0.0.1 and ::1: no route "
		                                "out, no name service, no multicast beyond lo)"
		                              : "");
	}
	if (h->o.verbose && a->isolate_reason)
		fprintf(out, "    not isolated more: %s\n", a->isolate_reason);
	if (h->o.verbose && a->trees.n) {
		char *trees = tree_views_describe(&a->trees);
		fprintf(out, "    isolated: %s\n", visible(h, trees));
		free(trees);
	}
	print_wrote(h, out, a);
	if (h->o.verbose && a->fence_abi)
		fprintf(out, "    fenced (Landlock ABI %d)\n", a->fence_abi);
	print_subs(h, out, a);
	if (!outcome_ok(a->outcome) || (h->o.verbose && a->outcome != OUT_PASS)) {
		/* Output that was just streamed is not repeated. */
		if (a->log_path && !streamed)
			print_tail(h, out, a->log_path);
		if (a->kept && a->log_path)
			fprintf(out, "    log:     %s\n", a->log_path);
		if (a->kept && a->sandbox_path)
			fprintf(out, "    sandbox: %s\n", a->sandbox_path);
		if (a->kept && a->sandbox_path && a->outputs)
			fprintf(out, "    outputs: %s/%s (%u entr%s)\n", a->sandbox_path,
			        SANDBOX_OUTPUTS, a->outputs, a->outputs == 1 ? "y" : "ies");
	}
	update_status(h, now_ns(), false);
	lp_end(&h->lp);
}

static void human_tick(void *ctx, struct attempt *const *slots, unsigned nslots, int64_t now)
{
	struct human *h = ctx;
	(void)slots;
	(void)nslots;
	if (h->streaming)
		follow_log(h, false);
	update_status(h, now, true);
}

/*
 * The flake table: per test that failed at least once, its attempts, failures, the failure rate
 * with its 95% interval, and the reasons. Shown when hunting (--repeat, --stress, --until-fail),
 * or when a test failed and was retried.
 */
static void print_flakes(struct human *h, FILE *out, const struct run_summary *rs)
{
	if (!flake_table_wanted(rs))
		return;
	if (!rs->nflakes) {
		fprintf(out, "flakes: none: every attempt passed (%u run%s of each test)\n", rs->runs,
		        rs->runs == 1 ? "" : "s");
		return;
	}
	fprintf(out, "flakes (failure rate with its 95%% interval):\n");
	for (size_t i = 0; i < rs->nflakes; i++) {
		const struct flake *f = &rs->flakes[i];
		double lo = 0, hi = 1;
		if (f->attempts)
			wilson_interval(f->failures, f->attempts, &lo, &hi);
		fprintf(out, "  %-30s %u of %u attempt%s failed: %.1f%% [%.1f%%, %.1f%%]",
		        visible(h, f->name), f->failures, f->attempts, f->attempts == 1 ? "" : "s",
		        f->attempts ? 100.0 * f->failures / f->attempts : 0.0, 100 * lo, 100 * hi);
		if (f->flaky_runs)
			fprintf(out, "; %u run%s FLAKY", f->flaky_runs, f->flaky_runs == 1 ? "" : "s");
		fputc('\n', out);
		for (size_t k = 0; k < f->nreasons; k++)
			fprintf(out, "      %ux %s\n", f->reasons[k].count,
			        visible(h, f->reasons[k].reason));
		if (f->other_reasons)
			fprintf(out, "      %ux other reasons\n", f->other_reasons);
	}
}

/* The slowest tests (over 1 s, or --slow DUR). */
static void print_slowest(struct human *h, FILE *out, const struct run_summary *rs)
{
	char d[32];
	if (!rs->nslowest)
		return;
	fprintf(out, "slowest:");
	for (size_t i = 0; i < rs->nslowest; i++)
		fprintf(out, "%s %s %s", i ? "," : "", visible(h, rs->slowest[i].name),
		        fmt_duration(rs->slowest[i].ns, d, sizeof(d)));
	fputc('\n', out);
}

static void human_test_slow(void *ctx, const struct attempt *a, int64_t now)
{
	struct human *h = ctx;
	char d[32];
	FILE *out = lp_begin(&h->lp);
	fprintf(out, "%sSLOW%s    %8s  %s (still running)\n", lp_color(&h->lp, LP_YELLOW),
	        lp_color(&h->lp, LP_RESET), fmt_duration(now - a->exec_ns, d, sizeof(d)),
	        visible(h, a->test->name));
	update_status(h, now, false);
	lp_end(&h->lp);
}

static void human_run_end(void *ctx, const struct run_summary *rs)
{
	struct human *h = ctx;
	char dur[32];

	restore_tty(h);
	lp_status_clear(&h->lp);
	FILE *out = lp_begin(&h->lp);
	if (h->o.problems && h->o.problems->lines.n) {
		fflush(out);
		for (size_t i = 0; i < h->o.problems->lines.n; i++)
			fprintf(stderr, "isola: %s\n", h->o.problems->lines.v[i]);
		fflush(stderr);
	}
	if (rs->kept.n) {
		fprintf(out, "\nkept sandboxes:\n");
		for (size_t i = 0; i < rs->kept.n; i++) {
			const char *tab = strrchr(rs->kept.v[i], '\t');
			char *name = strndup(rs->kept.v[i], (size_t)(tab - rs->kept.v[i]));
			fprintf(out, "  %-30s %s\n", visible(h, name), tab + 1);
			free(name);
		}
	}
	if (rs->failed_names.n) {
		fprintf(out, "\nnot passed:\n");
		for (size_t i = 0; i < rs->failed_names.n; i++)
			fprintf(out, "  %s\n", visible(h, rs->failed_names.v[i]));
	}
	fputc('\n', out);
	if (rs->unknown_killed) {
		fprintf(out, "%u process%s of unknown origin (no test could be charged), killed:",
		        rs->unknown_killed, rs->unknown_killed == 1 ? "" : "es");
		for (size_t i = 0; i < rs->unknown_cmds.n; i++)
			fprintf(out, "%s %s", i ? ";" : "", visible(h, rs->unknown_cmds.v[i]));
		fputc('\n', out);
	}
	if (rs->signal)
		fprintf(out, "interrupted: %u test%s not run\n", rs->not_run,
		        rs->not_run == 1 ? "" : "s");
	else if (rs->until_fail)
		fprintf(out, "stopped at the first failure (--until-fail), in run %u\n",
		        rs->until_fail_run);
	else if (rs->fail_fast)
		fprintf(out, "stopped after %u failure%s (--fail-fast): %u test%s not run\n",
		        rs->fail_fast, rs->fail_fast == 1 ? "" : "s", rs->not_run,
		        rs->not_run == 1 ? "" : "s");
	print_flakes(h, out, rs);
	print_slowest(h, out, rs);
	if (rs->failed) {
		fprintf(out, "%sfailures:%s", lp_color(&h->lp, LP_RED), lp_color(&h->lp, LP_RESET));
		const char *sep = " ";
		for (int o = OUT_FAIL; o < OUT__COUNT; o++) {
			if (o == OUT_SKIP || !rs->counts[o] || (o == OUT_FLAKY && !rs->flaky_fails))
				continue;
			fprintf(out, "%s%u %s", sep, rs->counts[o], outcome_name((enum outcome)o));
			sep = ", ";
		}
		fputc('\n', out);
	}
	if (rs->flaky)
		fprintf(out, "flaky: %u test%s failed, then passed on retry (FLAKY: counted as %s%s)\n",
		        rs->flaky, rs->flaky == 1 ? "" : "s", rs->flaky_fails ? "failed" : "passed",
		        rs->flaky_fails ? ", --flaky-result fail" : "");
	fprintf(out, "time: %s\n", fmt_duration(rs->wall_ns, dur, sizeof(dur)));
	/* The closing line stays plain text (CI tools read it), colour only around the numbers. */
	fprintf(out, "%s%u passed%s, %s%u failed%s", rs->passed ? lp_color(&h->lp, LP_GREEN) : "",
	        rs->passed, rs->passed ? lp_color(&h->lp, LP_RESET) : "",
	        rs->failed ? lp_color(&h->lp, LP_RED) : "", rs->failed,
	        rs->failed ? lp_color(&h->lp, LP_RESET) : "");
	if (rs->skipped)
		fprintf(out, ", %u skipped", rs->skipped);
	fputc('\n', out);
	lp_end(&h->lp);
}

static void human_show_running(void *ctx, struct attempt *const *slots, unsigned nslots,
                               int64_t now)
{
	struct human *h = ctx;
	char d[32];
	unsigned n = 0;
	for (unsigned i = 0; i < nslots; i++)
		n += slots[i] != NULL;
	FILE *out = lp_begin(&h->lp);
	fprintf(out, "running (%u):\n", n);
	for (unsigned i = 0; i < nslots; i++) {
		const struct attempt *a = slots[i];
		if (a)
			fprintf(out, "  slot %-3u %8s  %s  %s\n", i,
			        fmt_duration(since(a, now), d, sizeof(d)),
			        visible(h, a->test->name),
			        a->state == ATT_PENDING ? "(staging)"
			        : a->sandbox_path       ? a->sandbox_path
			                                : "");
	}
	lp_end(&h->lp);
}

static int human_input(void *ctx, struct attempt *const *slots, unsigned nslots, int64_t now)
{
	struct human *h = ctx;
	char buf[64];
	ssize_t n = read(h->o.key_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1; /* the terminal is gone: stop watching it */
	if (memchr(buf, 't', (size_t)n) || memchr(buf, 'T', (size_t)n))
		human_show_running(ctx, slots, nslots, now);
	return 0;
}

static void human_free(void *ctx)
{
	struct human *h = ctx;
	restore_tty(h);
	if (h->lp.status_shown)
		lp_status_clear(&h->lp);
	stop_following(h);
	lp_release(&h->lp);
	tbuf_release(&h->tmp);
	free(h->running);
	free(h);
}

const struct reporter_ops report_human_ops = {
    .name = "human",
    .run_start = human_run_start,
    .test_start = human_test_start,
    .test_end = human_test_end,
    .run_end = human_run_end,
    .test_slow = human_test_slow,
    .tick = human_tick,
    .show_running = human_show_running,
    .input = human_input,
    .free = human_free,
};

/* SPDX-License-Identifier: MIT */
/*
 * isola timings: a timings file (testlist/partition.h) from --json reports, for
 * --partition time:K/N. Each test's time is the median, over the reports given, of its last
 * attempt's duration. Written whole or not at all (a temporary renamed over FILE).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "report/report-plugin.h"

struct sample {
	char *name;
	double *secs; /* one per report it was in */
	size_t n, cap;
	unsigned last_attempt; /* in the report being read */
	size_t report;         /* the report secs[n - 1] came from, + 1 */
};

struct tctx {
	void *root; /* tsearch of struct sample */
	size_t nsamples, report;
	struct sample **all;
};

static int cmp_sample(const void *a, const void *b)
{
	return strcmp(((const struct sample *)a)->name, ((const struct sample *)b)->name);
}

static void t_test_end(void *ctx, const struct read_test_end *te)
{
	struct tctx *t = ctx;
	struct sample key = {.name = (char *)te->test};
	struct sample **found = tfind(&key, &t->root, cmp_sample);
	struct sample *s = found ? *found : NULL;
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->name = xstrdup(te->test);
		if (!tsearch(s, &t->root, cmp_sample))
			abort();
		t->all = xrealloc(t->all, (t->nsamples + 1) * sizeof(*t->all));
		t->all[t->nsamples++] = s;
	}
	/* A later attempt in the same report replaces the earlier one's time. */
	if (s->report == t->report + 1 && te->attempt >= s->last_attempt) {
		s->secs[s->n - 1] = te->duration;
	} else if (s->report != t->report + 1) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 2;
			s->secs = xrealloc(s->secs, s->cap * sizeof(*s->secs));
		}
		s->secs[s->n++] = te->duration;
		s->report = t->report + 1;
	}
	s->last_attempt = te->attempt;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_sample_ptr(const void *a, const void *b)
{
	return strcmp((*(struct sample *const *)a)->name, (*(struct sample *const *)b)->name);
}

static void free_sample(void *p)
{
	struct sample *s = p;
	free(s->name);
	free(s->secs);
	free(s);
}

static const char usage[] =
    "usage: isola timings [-o FILE] REPORT.jsonl...\n"
    "\n"
    "Writes a timings file for --partition time:K/N from isola --json reports (of whole\n"
    "runs, of shards, or of isola merge): a line per test, its seconds (the median over the\n"
    "reports of its last attempt's duration), a tab, its name.\n"
    "\n"
    "  -o, --output FILE      write FILE, replaced whole at the end (default: standard output)\n";

int cmd_timings(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *out = NULL;
	int opt;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		case ':':
			cli_error("timings: option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			cli_error("timings: unknown option '%s' (see isola timings --help)",
			          argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("timings: no report given (isola timings [-o FILE] REPORT.jsonl...)");
		return EXIT_USAGE;
	}
	struct isola_error e = {0};
	report_read_fn *read = report_reader_load("report-json", "JSON report", &e);
	if (!read) {
		cli_error("timings: %s", e.message);
		return EXIT_INTERNAL;
	}
	static const struct report_read_ops ops = {.test_end = t_test_end};
	struct tctx t = {0};
	int rc = EXIT_USAGE;
	for (int i = optind; i < argc; i++, t.report++) {
		if (read(argv[i], &ops, &t, &e) < 0) {
			cli_error("timings: %s", e.message);
			goto out;
		}
	}

	qsort(t.all, t.nsamples, sizeof(*t.all), cmp_sample_ptr);
	char *tmp = NULL;
	FILE *f = stdout;
	if (out && strcmp(out, "-") != 0) {
		tmp = xasprintf("%s.tmpXXXXXX", out);
		int fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			cli_error("timings: cannot create '%s': %s", tmp, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(tmp);
			rc = EXIT_INTERNAL;
			goto out;
		}
	}
	fprintf(f, "# isola timings: seconds, a tab, the test's name (from %d report%s)\n",
	        argc - optind, argc - optind == 1 ? "" : "s");
	for (size_t i = 0; i < t.nsamples; i++) {
		struct sample *s = t.all[i];
		if (strchr(s->name, '\n'))
			continue; /* a name a line-based file cannot hold */
		qsort(s->secs, s->n, sizeof(*s->secs), cmp_double);
		double med = s->n % 2 ? s->secs[s->n / 2]
		                      : (s->secs[s->n / 2 - 1] + s->secs[s->n / 2]) / 2;
		fprintf(f, "%.6f\t%s\n", med, s->name);
	}
	rc = EXIT_OK;
	if (tmp) {
		if (fflush(f) == EOF || fsync(fileno(f)) < 0 || ferror(f)) {
			cli_error("timings: cannot write '%s': %s", tmp, strerror(errno));
			rc = EXIT_INTERNAL;
		}
		fclose(f);
		if (rc == EXIT_OK && rename(tmp, out) < 0) {
			cli_error("timings: cannot put '%s' in place: %s", out, strerror(errno));
			rc = EXIT_INTERNAL;
		}
		if (rc != EXIT_OK)
			unlink(tmp);
		free(tmp);
	} else if (fflush(stdout) == EOF) {
		rc = EXIT_INTERNAL;
	}
out:
	tdestroy(t.root, free_sample);
	free(t.all);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * isola merge: the --json reports of the shards of one suite (isola run --partition, one per
 * machine) joined into one JSON, JUnit, TAP, HTML report and one summary, through the same
 * writers as isola run. A shard that is missing, given twice or cut short, and a test found in
 * two shards, make it fail and are named: a lost shard must never make a green build.
 *
 * Exit status: 0 every test of every shard passed and nothing is missing; 1 some test did not
 * pass, or shards or tests are missing or doubled; 2 bad usage or a file that is not a report
 * of this isola; 3 a report could not be written (or a plugin is missing).
 */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "config/config.h"
#include "report/report-plugin.h"
#include "report/report.h"
#include "sched/scheduler.h"
#include "sched/tally.h"
#include "spawn/spawn.h"
#include "testlist/partition.h"
#include "testlist/testlist.h"

/* Problems listed in full up to this many, then counted. */
#define SHOW_MAX 20

struct shard {
	const char *path;
	char *run_id, *source_dir, *strategy, *digest;
	unsigned index, count, jobs;
	size_t tests, selected, results; /* results: distinct tests with a result */
	bool started, ended;
	bool flaky_fails; /* it ran with --flaky-result fail */
	double duration;
};

struct named { /* the tsearch tree of test names */
	const char *name;
	size_t test;  /* into merge.tests */
	size_t shard; /* where it was first seen */
	size_t said;  /* the last other shard it was said to be doubled in, + 1; 0: none */
};

struct merge {
	report_read_fn *read;
	struct shard *shards;
	size_t nshards, cur;
	struct testlist tests;  /* one entry per test name (name only) */
	struct attempt *atts;   /* every attempt, in the order read; ->test set at the end */
	size_t *att_test;       /* [natts]: its test */
	size_t *att_shard;      /* [natts]: the shard it came from */
	size_t natts, cap;
	void *names;            /* tsearch root of struct named */
	struct strv strings;    /* what the attempts' static-looking strings point into */
	struct strv doubled;    /* "NAME (in A and B)" */
	char *tails;            /* a private directory of the failed attempts' output tails */
	unsigned ntails;
	struct isola_error e;
	bool bad;               /* a file was not a report: exit 2 */
};

static int cmp_named(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* A copy of s that lives as long as the merge (NULL stays NULL). Such strings (an owner, a
 * strategy) take a few values: the first copies are shared. */
static const char *keep(struct merge *m, const char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < m->strings.n && i < 64; i++)
		if (strcmp(m->strings.v[i], s) == 0)
			return m->strings.v[i];
	strv_push(&m->strings, s);
	return m->strings.v[m->strings.n - 1];
}

static void on_run_start(void *ctx, const struct read_run_start *rs)
{
	struct merge *m = ctx;
	struct shard *sh = &m->shards[m->cur];
	sh->started = true;
	sh->run_id = xstrdup(rs->run_id);
	sh->source_dir = xstrdup(rs->source_dir);
	sh->tests = rs->tests;
	sh->jobs = rs->jobs ? rs->jobs : 1;
	sh->flaky_fails = rs->flaky_fails;
	if (rs->part_strategy) {
		sh->strategy = xstrdup(rs->part_strategy);
		sh->digest = xstrdup(rs->part_digest);
		sh->index = rs->part_index;
		sh->count = rs->part_count;
		sh->selected = rs->part_selected;
	}
}

static int signal_of(const char *s)
{
	char buf[32];
	for (int sig = 1; s && sig < NSIG; sig++)
		if (strcmp(signal_name(sig, buf, sizeof(buf)), s) == 0)
			return sig;
	return 0;
}

static void on_test_end(void *ctx, const struct read_test_end *te)
{
	struct merge *m = ctx;
	if (m->bad)
		return;
	enum outcome oc;
	if (outcome_parse(te->outcome, &oc) < 0) {
		err_set(&m->e, 0, m->shards[m->cur].path, "%s: unknown outcome '%s' of %s",
		        m->shards[m->cur].path, te->outcome, te->test);
		m->bad = true;
		return;
	}

	/* Which test: a new name, one of this shard (a retry), or one of another shard. */
	struct named key = {.name = te->test};
	struct named **found = tfind(&key, &m->names, cmp_named);
	size_t t;
	if (found) {
		t = (*found)->test;
		/* Said once per test and other file (a retry there is the same doubling). */
		if ((*found)->shard != m->cur && (*found)->said != m->cur + 1) {
			(*found)->said = m->cur + 1;
			strv_push_take(&m->doubled,
			               xasprintf("%s (in %s and %s)", te->test,
			                         m->shards[(*found)->shard].path,
			                         m->shards[m->cur].path));
		}
	} else {
		struct testlist *tl = &m->tests;
		if (tl->n == tl->cap) {
			tl->cap = tl->cap ? tl->cap * 2 : 256;
			tl->v = xrealloc(tl->v, tl->cap * sizeof(*tl->v));
		}
		t = tl->n++;
		tl->v[t] = (struct test){.name = xstrdup(te->test), .s = SETTINGS_INIT};
		struct named *n = xmalloc(sizeof(*n));
		*n = (struct named){.name = tl->v[t].name, .test = t, .shard = m->cur};
		if (!tsearch(n, &m->names, cmp_named))
			abort();
		m->shards[m->cur].results++;
	}

	if (m->natts == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->atts = xrealloc(m->atts, m->cap * sizeof(*m->atts));
		m->att_test = xrealloc(m->att_test, m->cap * sizeof(*m->att_test));
		m->att_shard = xrealloc(m->att_shard, m->cap * sizeof(*m->att_shard));
	}
	/* Times: the shard's own clock, from its start. */
	int64_t end = (int64_t)(te->t * 1e9);
	int64_t exec = end - (int64_t)(te->duration * 1e9);
	int64_t start = exec - (int64_t)(te->staging_duration * 1e9);
	struct attempt *a = &m->atts[m->natts];
	*a = (struct attempt){
	    .number = te->attempt,
	    .run = te->run ? te->run : 1,
	    .slot = te->slot,
	    .state = ATT_DONE,
	    .start_ns = start,
	    .exec_ns = exec,
	    .end_ns = end,
	    .done_ns = end + (int64_t)(te->cleanup_duration * 1e9),
	    .outcome = oc,
	    .exited = te->exited,
	    .exit_code = te->exit_code,
	    .signal = signal_of(te->signal),
	    .timed_out = te->timed_out,
	    .interrupted = te->interrupted,
	    .leaked = te->leaked,
	    .owner = keep(m, te->owner),
	    .owner_reason = keep(m, te->owner_reason),
	    .cpu_us = te->cpu >= 0 ? (int64_t)(te->cpu * 1e6) : -1,
	    .maxrss_kb = te->max_rss_kib,
	    .reason = te->reason ? xstrdup(te->reason) : NULL,
	    .strategy = keep(m, te->strategy),
	    .strategy_reason = te->strategy_reason ? xstrdup(te->strategy_reason) : NULL,
	    .sandbox_path = te->sandbox ? xstrdup(te->sandbox) : NULL,
	    .kept = te->kept,
	    /* Its output: its log if that is here (a kept sandbox of this machine), else what
	     * the report carried of it, in a file of ours, for the writers to read. */
	    .log_path = te->log && access(te->log, R_OK) == 0 ? xstrdup(te->log) : NULL,
	    .log_fd = -1,
	};
	if (!a->log_path && te->output_tail && m->tails) {
		char *path = xasprintf("%s/%u", m->tails, ++m->ntails);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && write_all(fd, te->output_tail, te->output_tail_len) == 0)
			a->log_path = path;
		else
			free(path);
		if (fd >= 0)
			close(fd);
	}
	if (te->subs)
		subresults_copy(&a->subs, te->subs);
	if (te->wrote)
		writes_copy(&a->wrote, te->wrote);
	a->isolated = te->isolated;
	a->isolate_reason = te->not_isolated ? xstrdup(te->not_isolated) : NULL;
	if (te->trees)
		tree_views_copy(&a->trees, te->trees);
	a->fence_abi = te->fence_abi;
	if (te->fence_refused)
		strv_extend(&a->fence_refused, te->fence_refused);
	m->att_test[m->natts] = t;
	m->att_shard[m->natts++] = m->cur;
}

static void on_run_end(void *ctx, const struct read_run_end *re)
{
	struct merge *m = ctx;
	m->shards[m->cur].duration = re->duration;
}

static const struct report_read_ops read_ops = {
    .run_start = on_run_start,
    .test_end = on_test_end,
    .run_end = on_run_end,
};

/* Say a list of problems, SHOW_MAX at most, as one line each after a header. */
static void say_list(const char *header, const struct strv *items)
{
	cli_error("%s", header);
	for (size_t i = 0; i < items->n && i < SHOW_MAX; i++)
		fprintf(stderr, "  %s\n", items->v[i]);
	if (items->n > SHOW_MAX)
		fprintf(stderr, "  ... and %zu more\n", items->n - SHOW_MAX);
}

/*
 * The tests of the suite that no shard has a result for, named where the suite can be read here
 * (the config file and -k/--exclude the shards ran with): it must have the shards' digest.
 * Returns how many are missing; fills names if it could name them.
 */
static size_t missing_tests(struct merge *m, const struct cmdline *cl, const struct shard *first,
                            struct strv *names, const char **why)
{
	size_t have = m->tests.n;
	size_t missing = first->selected > have ? first->selected - have : 0;
	*why = NULL;
	if (!missing)
		return 0;
	const char *cfg_path = cli_config_path(cl);
	if (!cfg_path) {
		*why = "no config file here to name them from (-c FILE)";
		return missing;
	}
	char cwd[4096];
	struct config cfg = CONFIG_INIT;
	struct testlist tl = {0};
	struct isola_error e = {0};
	struct settings none = SETTINGS_INIT;
	if (!getcwd(cwd, sizeof(cwd)) || config_load(&cfg, cfg_path, &e) < 0) {
		*why = "the config file cannot be read";
		config_release(&cfg);
		return missing;
	}
	struct testlist_opts to = {
	    .cfg = &cfg,
	    .cli = &none,
	    .filters = &cl->filters,
	    .excludes = &cl->excludes,
	    .source_dir = cwd,
	    .no_sources = true,
	};
	char digest[17];
	if (cfg.sources.n) {
		/* Listing them would run the suite's binaries on the machine that merges. */
		*why = "the config file's tests come from test sources (gtest = ... and the like), "
		       "which isola merge does not list";
	} else if (testlist_build(&tl, &to, &e) < 0) {
		*why = "the config file's tests cannot be listed";
	} else if (partition_digest(&tl, digest), strcmp(digest, first->digest) != 0) {
		*why = "the config file here (with -k/--exclude as given) is not the suite the "
		       "shards ran";
	} else {
		for (size_t i = 0; i < tl.n; i++) {
			struct named key = {.name = tl.v[i].name};
			if (!tfind(&key, &m->names, cmp_named))
				strv_push(names, tl.v[i].name);
		}
	}
	testlist_release(&tl);
	config_release(&cfg);
	settings_release(&none);
	return missing;
}

/* Check the shards against each other. Returns the number of problems said; 0: all there. */
static size_t check_shards(struct merge *m, const struct cmdline *cl)
{
	size_t problems = 0;
	const struct shard *first = &m->shards[0];
	bool partitioned = first->strategy != NULL;

	for (size_t i = 0; i < m->nshards; i++) {
		const struct shard *sh = &m->shards[i];
		if ((sh->strategy != NULL) != partitioned ||
		    (partitioned && (strcmp(sh->strategy, first->strategy) != 0 ||
		                     sh->count != first->count || sh->selected != first->selected ||
		                     strcmp(sh->digest, first->digest) != 0))) {
			err_set(&m->e, 0, sh->path,
			        "%s is not a shard of the same suite as %s (another --partition, "
			        "selection or config): merge the shards of one run",
			        sh->path, first->path);
			m->bad = true;
			return 1;
		}
	}

	/* Every shard once. */
	if (partitioned) {
		unsigned n = first->count;
		size_t *seen = xcalloc(n + 1, sizeof(*seen));
		struct strv twice = STRV_INIT, absent = STRV_INIT;
		for (size_t i = 0; i < m->nshards; i++) {
			const struct shard *sh = &m->shards[i];
			if (sh->index >= 1 && sh->index <= n && seen[sh->index]++)
				strv_push_take(&twice, xasprintf("shard %u of %u: %s", sh->index, n,
				                                 sh->path));
		}
		for (unsigned k = 1; k <= n; k++)
			if (!seen[k])
				strv_push_take(&absent, xasprintf("shard %s:%u/%u", first->strategy, k, n));
		if (twice.n) {
			say_list("the same shard is given more than once:", &twice);
			problems++;
		}
		if (absent.n) {
			char *h = xasprintf("%zu of the %u shards have no report here (lost, or not "
			                    "given):",
			                    absent.n, n);
			say_list(h, &absent);
			free(h);
			problems++;
		}
		strv_release(&twice);
		strv_release(&absent);
		free(seen);
	}

	/* Shards cut short (killed, or the machine lost). */
	for (size_t i = 0; i < m->nshards; i++) {
		const struct shard *sh = &m->shards[i];
		if (!sh->ended) {
			cli_error("%s stops before its run ended (the shard was killed?): %zu of its %zu "
			          "tests have a result",
			          sh->path, sh->results, sh->tests);
			problems++;
		}
	}

	if (m->doubled.n) {
		char *h = xasprintf("%zu test%s ran in more than one shard:", m->doubled.n,
		                    m->doubled.n == 1 ? "" : "s");
		say_list(h, &m->doubled);
		free(h);
		problems++;
	}

	/* Tests of the suite with no result at all. */
	if (partitioned) {
		struct strv names = STRV_INIT;
		const char *why;
		size_t missing = missing_tests(m, cl, first, &names, &why);
		if (missing && names.n) {
			char *h = xasprintf("%zu test%s of the suite ha%s no result in any shard:",
			                    names.n, names.n == 1 ? "" : "s", names.n == 1 ? "s" : "ve");
			say_list(h, &names);
			free(h);
			problems++;
		} else if (missing) {
			cli_error("%zu of the suite's %zu tests have no result in any shard (%s)",
			          missing, first->selected, why);
			problems++;
		}
		strv_release(&names);
	}
	return problems;
}

/* For mark_retried(): by test, shard, run, attempt (a test doubled in two shards is two runs). */
static int cmp_attempt(const void *pa, const void *pb, void *ctx)
{
	const struct merge *m = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	const struct attempt *x = &m->atts[a], *y = &m->atts[b];
	if (m->att_test[a] != m->att_test[b])
		return m->att_test[a] < m->att_test[b] ? -1 : 1;
	if (m->att_shard[a] != m->att_shard[b])
		return m->att_shard[a] < m->att_shard[b] ? -1 : 1;
	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* 0 if attempts a and b are of one run (same test, shard and run). */
static int cmp_run_of(const struct merge *m, size_t a, size_t b)
{
	return m->att_test[a] != m->att_test[b] || m->att_shard[a] != m->att_shard[b] ||
	       m->atts[a].run != m->atts[b].run;
}

/* Which attempts were retried (a later attempt of the same run follows), and each run's result
 * on the attempt that ended it. */
static void mark_retried(struct merge *m)
{
	size_t *idx = xcalloc(m->natts + 1, sizeof(*idx));
	for (size_t i = 0; i < m->natts; i++)
		idx[i] = i;
	qsort_r(idx, m->natts, sizeof(*idx), cmp_attempt, m);
	unsigned failed = 0;
	for (size_t k = 0; k < m->natts; k++) {
		struct attempt *a = &m->atts[idx[k]];
		bool first = k == 0 || cmp_run_of(m, idx[k - 1], idx[k]) != 0;
		bool last = k + 1 == m->natts || cmp_run_of(m, idx[k + 1], idx[k]) != 0;
		if (first)
			failed = 0;
		a->failed_before = failed;
		a->retried = !last;
		if (last)
			a->result = tally_run_result(a->outcome, failed);
		failed += !outcome_ok(a->outcome);
	}
	free(idx);
}

int cmd_merge(int argc, char **argv)
{
	struct cmdline cl;
	struct isola_error e = {0};
	int rc = EXIT_USAGE;
	int r = cli_parse(&cl, "merge", argc, argv, &e);
	if (r != 0) {
		if (r < 0)
			cli_error("merge: %s", e.message);
		cli_release(&cl);
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (cl.nargs == 0) {
		cli_error("merge: no report given (isola merge [--json F] [--junit F] [--tap F] "
		          "[--html F] SHARD.jsonl...)");
		cli_release(&cl);
		return EXIT_USAGE;
	}

	struct merge m = {0};
	struct reporters rep = {0};
	m.read = report_reader_load("report-json", "JSON report", &e);
	if (!m.read) {
		cli_error("merge: %s", e.message);
		cli_release(&cl);
		return EXIT_INTERNAL;
	}
	/* The failed attempts' output tails, for the writers: owner-only, emptied and removed at
	 * the end. */
	const char *tmpdir = getenv("TMPDIR");
	m.tails = xasprintf("%s/isola-merge.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(m.tails)) {
		free(m.tails);
		m.tails = NULL; /* then without the failures' output */
	}
	m.nshards = (size_t)cl.nargs;
	m.shards = xcalloc(m.nshards, sizeof(*m.shards));
	for (size_t i = 0; i < m.nshards; i++) {
		m.shards[i].path = cl.args[i];
		m.cur = i;
		int rr = m.read(cl.args[i], &read_ops, &m, &m.e);
		if (rr < 0 || m.bad) {
			cli_error("merge: %s", m.e.message);
			goto out;
		}
		m.shards[i].ended = rr == 0;
	}
	size_t problems = check_shards(&m, &cl);
	if (m.bad) {
		cli_error("merge: %s", m.e.message);
		goto out;
	}
	for (size_t i = 0; i < m.natts; i++)
		m.atts[i].test = &m.tests.v[m.att_test[i]];

	/* The merged run, through the writers of isola run. */
	cl.report.verbose = cl.verbose;
	cl.report.only_failures = !cl.verbose;
	cl.report.batch = true;
	unsigned jobs = 0;
	for (size_t i = 0; i < m.nshards; i++)
		jobs += m.shards[i].jobs;
	cl.report.jobs = jobs;
	int setup = reporters_setup(&rep, &cl.report, &e);
	if (setup < 0) {
		cli_error("merge: %s", e.message);
		rc = setup == -2 ? EXIT_INTERNAL : EXIT_USAGE;
		goto out;
	}
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	char *run_id = xasprintf("merge-of-%zu", m.nshards);
	const struct shard *first = &m.shards[0];
	/* FLAKY counts as failed if any shard ran with --flaky-result fail. */
	bool flaky_fails = false;
	for (size_t i = 0; i < m.nshards; i++)
		flaky_fails |= m.shards[i].flaky_fails;
	struct run_info ri = {
	    .flaky_fails = flaky_fails,
	    .run_id = run_id,
	    .run_dir = cwd,
	    .source_dir = first->source_dir && first->source_dir[0] == '/' ? first->source_dir : cwd,
	    .jobs = jobs ? jobs : 1,
	    .ntests = first->strategy && first->selected > m.tests.n ? first->selected : m.tests.n,
	    .start_wall_ns = wall_ns(),
	};
	report_run_start(&rep, &ri);

	/* Each shard's slots after the shards before it: one lane per slot of every machine. The
	 * tests' results through the same tally as isola run (sched/tally.h); which attempt ended
	 * a run is found from the attempt numbers (reports of older isolas do not say). */
	struct run_summary sum = {.flaky_fails = flaky_fails, .slow_ns = NSEC_PER_SEC};
	mark_retried(&m);
	struct tally tally;
	tally_init(&tally, m.tests.n);
	unsigned *slot_base = xcalloc(m.nshards, sizeof(*slot_base));
	for (size_t i = 1; i < m.nshards; i++)
		slot_base[i] = slot_base[i - 1] + m.shards[i - 1].jobs;
	for (size_t i = 0; i < m.natts; i++) {
		struct attempt *a = &m.atts[i];
		a->slot += slot_base[m.att_shard[i]];
		a->seq = (unsigned)i + 1;
		tally_attempt(&tally, m.att_test[i], a);
		report_test_end(&rep, a);
	}
	for (size_t i = 0; i < m.nshards; i++)
		if ((int64_t)(m.shards[i].duration * 1e9) > sum.wall_ns)
			sum.wall_ns = (int64_t)(m.shards[i].duration * 1e9);
	tally_summarise(&tally, &m.tests, &sum);
	tally_release(&tally);
	if (ri.ntests > m.tests.n)
		sum.not_run = (unsigned)(ri.ntests - m.tests.n);
	for (size_t i = 0; i < m.natts; i++)
		if (m.atts[i].kept && m.atts[i].sandbox_path)
			strv_push_take(&sum.kept, xasprintf("%s\t%s", m.atts[i].test->name,
			                                    m.atts[i].sandbox_path));
	report_run_end(&rep, &sum);
	size_t report_problems = reporters_problems(&rep);

	if (report_problems)
		rc = EXIT_INTERNAL;
	else if (problems || sum.failed || sum.not_run)
		rc = EXIT_TESTS_FAILED;
	else
		rc = EXIT_OK;
	run_summary_release(&sum);
	free(slot_base);
	free(run_id);
out:
	reporters_release(&rep);
	for (size_t i = 0; i < m.natts; i++) {
		free(m.atts[i].reason);
		free(m.atts[i].strategy_reason);
		free(m.atts[i].sandbox_path);
		free(m.atts[i].log_path);
		subresults_release(&m.atts[i].subs);
		writes_release(&m.atts[i].wrote);
		free(m.atts[i].isolate_reason);
		tree_views_release(&m.atts[i].trees);
		strv_release(&m.atts[i].fence_refused);
	}
	free(m.atts);
	free(m.att_test);
	free(m.att_shard);
	tdestroy(m.names, free);
	testlist_release(&m.tests);
	for (size_t i = 0; i < m.nshards; i++) {
		free(m.shards[i].run_id);
		free(m.shards[i].source_dir);
		free(m.shards[i].strategy);
		free(m.shards[i].digest);
	}
	free(m.shards);
	strv_release(&m.strings);
	strv_release(&m.doubled);
	if (m.tails) {
		for (unsigned i = 1; i <= m.ntails; i++) {
			char *path = xasprintf("%s/%u", m.tails, i);
			unlink(path);
			free(path);
		}
		rmdir(m.tails);
		free(m.tails);
	}
	cli_release(&cl);
	return rc;
}

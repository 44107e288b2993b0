/* SPDX-License-Identifier: MIT */
/* isola run / isola list: command line -> config -> test list -> checks -> run directory ->
 * scheduler -> summary. Every bad input is refused before anything is created on disk. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "config/config.h"
#include "report/report-plugin.h"
#include "report/report.h"
#include "sandbox/sandbox.h"
#include "sched/fixture.h"
#include "sched/jobserver.h"
#include "sched/scheduler.h"
#include "spawn/fence.h"
#include "spawn/keeper.h"
#include "stage/stage.h"
#include "testlist/testlist.h"


/*
 * A resource that holds the sandbox root would be copied into every sandbox with the sandboxes
 * made before it, recursing until the path is too long. rroot: the root's real path, or NULL
 * when it is not there yet (then it cannot be inside anything that is).
 */
static int check_root_outside(const struct resource *r, const char *rroot, struct isola_error *e)
{
	char *rsrc = rroot ? realpath(r->src, NULL) : NULL;
	size_t n = rsrc ? strlen(rsrc) : 0;
	int ret = 0;
	if (rsrc && strncmp(rroot, rsrc, n) == 0 &&
	    (rroot[n] == '/' || rroot[n] == '\0' || (n == 1 && rsrc[0] == '/')))
		ret = err_set(e, 0, r->src,
			      "the resource '%s' holds the sandbox root '%s': each copy would hold "
			      "the ones before it; pass --root DIR outside it",
			      r->src, rroot);
	free(rsrc);
	return ret;
}

/* Check every distinct resource source once, before any test starts: that it can be staged, and
 * that it does not hold the sandbox root. */
static int check_resources(const struct testlist *tl, const char *root, struct isola_error *e)
{
	struct strv seen = STRV_INIT;
	char *rroot = realpath(root, NULL);
	int ret = 0;
	for (size_t i = 0; i < tl->n && !ret; i++) {
		const struct resources *res = &tl->v[i].s.res;
		for (size_t k = 0; k < res->n && !ret; k++) {
			const struct resource *r = &res->v[k];
			if (r->kind == RES_MKDIR)
				continue;
			bool dup = false;
			for (size_t j = 0; j < seen.n && !dup; j++)
				dup = strcmp(seen.v[j], r->src) == 0;
			if (dup)
				continue;
			strv_push(&seen, r->src);
			ret = stage_check(r, e);
			if (!ret)
				ret = check_root_outside(r, rroot, e);
		}
	}
	free(rroot);
	strv_release(&seen);
	return ret;
}

/* "  KEY: VALUE" for each value of a list. */
static void print_each(const char *key, const struct strv *v)
{
	for (size_t k = 0; k < v->n; k++)
		printf("  %s: %s\n", key, v->v[k]);
}

/*
 * --fence where there is no Landlock is an error, never a fence that is not there; and each
 * --allow-write PATH must exist (Landlock allows beneath an inode, not a name). Said before
 * anything is made. Returns 0, or -1 (said).
 */
static int check_fence(const struct testlist *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		const struct test *t = &tl->v[i];
		if (t->s.fence <= 0)
			continue;
		const char *why;
		if (fence_abi(&why) < 1) {
			cli_error("--fence needs Landlock, and %s: run without --fence (fence = false), "
			          "or on a kernel with Landlock enabled (test '%s' asks for it)",
			          why, t->name);
			return -1;
		}
		for (size_t k = 0; k < t->s.allow_write.n; k++) {
			const char *p = t->s.allow_write.v[k];
			struct stat st;
			if (stat(p, &st) < 0) {
				cli_error("invalid value '%s' for allow-write (%s: the fence allows writing "
				          "beneath a path that exists; create it first)",
				          p, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* --tree and --share on the command line only say which trees and what stays shared: without
 * tree isolation for any selected test they would do nothing, which is a mistake to say, not to
 * run. (In a config file a test may opt out of a suite's isolate = tree with isolate = none.)
 * Checked before sharding: a shard that holds no tree-isolated test is not a mistake. */
static int check_trees(const struct testlist *tl, const struct settings *cli)
{
	if (!cli->trees.n && !cli->shares.n)
		return 0;
	for (size_t i = 0; i < tl->n; i++)
		if (tl->v[i].s.isolate & (ISO_TREE | ISO_ALL))
			return 0;
	cli_error("%s '%s' does nothing without --isolate tree (or all): add it, or leave the "
	          "option out",
	          cli->trees.n ? "--tree" : "--share",
	          cli->trees.n ? cli->trees.v[0] : cli->shares.v[0]);
	return -1;
}

void run_prepare(struct keeper *k, const struct rundir *rd)
{
	sigset_t set;
	sched_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	char *mark_prefix = xasprintf("%s.", rd->id);
	keeper_prepare(k, mark_prefix, rd->fd);
	free(mark_prefix);
}

static void list_tests(const struct testlist *tl, bool verbose)
{
	for (size_t i = 0; i < tl->n; i++) {
		const struct test *t = &tl->v[i];
		printf("%s\n", t->name);
		if (!verbose)
			continue;
		if (t->from)
			printf("  from: %s\n", t->from);
		printf("  command:");
		printf(" %s", t->path);
		for (size_t k = 1; k < t->argv.n; k++)
			printf(" %s", t->argv.v[k]);
		printf("\n");
		for (size_t k = 0; k < t->s.res.n; k++) {
			const struct resource *r = &t->s.res.v[k];
			if (r->kind == RES_COPY)
				printf("  copy: %s -> %s\n", r->src, r->dest);
			else if (r->kind == RES_RO)
				printf("  ro: %s -> %s\n", r->src, r->dest);
			else
				printf("  mkdir: %s\n", r->dest);
		}
		print_each("env", &t->s.env_set);
		print_each("unset", &t->s.env_unset);
		print_each("lock", &t->s.locks);
		print_each("requires", &t->s.requires);
		if (t->s.serial > 0)
			printf("  serial\n");
		else if (t->s.slots > 1)
			printf("  slots: %d\n", t->s.slots);
		if (t->s.cwd)
			printf("  cwd: %s\n", t->s.cwd);
		if (t->s.timeout_ns != DEFAULT_TIMEOUT_NS) {
			char d[32];
			printf("  timeout: %s\n", t->s.timeout_ns
			                              ? fmt_duration(t->s.timeout_ns, d, sizeof(d))
			                              : "none");
		}
		if (t->s.skip_exit != SKIP_EXIT_CODE)
			printf("  skip-exit: %d\n", t->s.skip_exit);
		if (t->s.will_fail > 0)
			printf("  will-fail\n");
		if (t->s.protocol != PROTO_EXITCODE)
			printf("  protocol: %s\n", protocol_name((enum protocol)t->s.protocol));
		print_each("label", &t->s.labels);
		print_each("after", &t->s.after);
		if (t->s.isolate) {
			char iso[64];
			printf("  isolate: %s\n", isolate_name(t->s.isolate, iso, sizeof(iso)));
		}
		print_each("tree", &t->s.trees);
		print_each("share", &t->s.shares);
		if (t->s.fence > 0)
			printf("  fence\n");
		print_each("allow-write", &t->s.allow_write);
		if (t->skip)
			printf("  not run: %s\n", t->skip);
		if (t->notes)
			printf("  not honoured: %s\n", t->notes);
	}
}

/* What one running test holds open at most: its init's socket, its sandbox, its log, and the
 * fds of its staging and of its cleanup on the workers. */
#define FDS_PER_JOB 6
#define FDS_RESERVED 64 /* isola's own: reports, the terminal, signals, the run directory */

/*
 * Each running test holds a few fds: raise the soft limit to the hard one (as most supervisors
 * do), and where even that is short, run fewer tests at once, saying so once, rather than
 * failing tests with EMFILE.
 */
static unsigned fit_jobs_to_fd_limit(unsigned jobs)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return jobs;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl = raised;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= FDS_RESERVED + (rlim_t)jobs * FDS_PER_JOB)
		return jobs;
	unsigned fit = rl.rlim_cur > FDS_RESERVED + FDS_PER_JOB
			       ? (unsigned)((rl.rlim_cur - FDS_RESERVED) / FDS_PER_JOB)
			       : 1;
	cli_error("warning: -j%u needs about %u open files and the limit is %llu (ulimit -n): "
		  "running %u test%s at a time",
		  jobs, FDS_RESERVED + jobs * FDS_PER_JOB, (unsigned long long)rl.rlim_cur, fit,
		  fit == 1 ? "" : "s");
	return fit;
}

static void say_line(const char *line)
{
	cli_error("%s", line);
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/*
 * --partition and --order: keep this run's shard of tl, in the order its tests start. Returns 0,
 * 1 if the shard has no test (not an error: more shards than tests), or -1 with *e.
 */
static int shard_and_order(struct cmdline *cl, struct testlist *tl, bool list_only,
                           const struct timings *timings, struct isola_error *e)
{
	if (cl->partition.on && cl->partition.strategy == PART_TIME && !timings->n)
		return err_set(e, 0, NULL,
		               "--partition time:K/N needs the recorded durations: --timings FILE "
		               "(isola timings writes one from --json reports), or a run before "
		               "this one that recorded them");
	if (cl->partition.on) {
		if (partition_from_env(&cl->partition, cl->partition_count, env_get, e) < 0)
			return -1;
		size_t all = tl->n;
		cl->report.partition.strategy = partition_strategy_name(cl->partition.strategy);
		cl->report.partition.index = cl->partition.k;
		cl->report.partition.count = cl->partition.n;
		cl->report.partition.selected = all;
		partition_digest(tl, cl->report.partition.digest);
		cl->partition.timings = timings;
		partition_apply(&cl->partition, tl);
		cl->partition.timings = NULL;
		char name[64];
		/* Said on stderr, so that isola list's output stays the names alone. */
		if (!list_only || cl->verbose)
			fprintf(stderr, "isola: shard %s%s%s%s: %zu of %zu tests\n",
			        partition_name(&cl->partition, name, sizeof(name)),
			        cl->partition.source[0] ? " (from " : "", cl->partition.source,
			        cl->partition.source[0] ? ")" : "", tl->n, all);
		if (tl->n == 0)
			return 1;
	}
	/* A shuffle says its seed, so that the order can be replayed. */
	if (cl->order == ORDER_SHUFFLE) {
		if (!cl->seed_given)
			cl->seed = order_new_seed();
		fprintf(stderr, "isola: order shuffled with --seed %llu\n",
		        (unsigned long long)cl->seed);
		snprintf(cl->report.seed, sizeof(cl->report.seed), "%llu",
		         (unsigned long long)cl->seed);
	}
	/* The longest first, by default, once durations were recorded (LPT). */
	if (!cl->order_given && timings->n)
		cl->order = ORDER_LONGEST;
	order_apply(tl, cl->order, timings, cl->seed);
	if (cl->order != ORDER_GIVEN)
		cl->report.order = order_name(cl->order);
	return 0;
}

/*
 * Where this run reads and records durations: --timings FILE, else ISOLA_TIMINGS (FILE, or off),
 * else the config's timings = FILE|off, else .isola/timings beside the config file (or here).
 * NULL: off. *default_place: it is the default, whose .isola/ directory may be created.
 */
static char *timings_path(const struct cmdline *cl, const struct config *cfg, const char *cwd,
                          bool *default_place)
{
	*default_place = false;
	if (cl->no_timings)
		return NULL;
	if (cl->timings)
		return xstrdup(cl->timings);
	const char *env = getenv("ISOLA_TIMINGS");
	if (env && *env)
		return strcmp(env, "off") == 0 ? NULL : xstrdup(env);
	if (cfg && cfg->timings)
		return strcmp(cfg->timings, "off") == 0 ? NULL : xstrdup(cfg->timings);
	*default_place = true;
	return xasprintf("%s/.isola/timings", cfg ? cfg->dir : cwd);
}

/* Read what was recorded. A missing file is no durations yet; a file that is not a timings file
 * is an error when named, and a warning (then ignored: the run rewrites it) at the default
 * place. */
static int load_timings(const char *path, bool default_place, struct timings *t,
                        struct isola_error *e)
{
	*t = (struct timings){0};
	if (!path || access(path, F_OK) < 0)
		return 0;
	if (timings_load(t, path, e) == 0)
		return 0;
	if (!default_place)
		return -1;
	cli_error("warning: %s: ignored (it is rewritten at the end of this run)", e->message);
	*e = (struct isola_error){0};
	return 0;
}

/* How much more than the online CPUs a jobserver that does not say its -jN may give this run
 * (a make -j with no number, or a jobserver of some other tool's). */
#define JOBSERVER_CPU_FACTOR 4

/*
 * How many tests at once, with make's jobserver if there is one to use (*use then says so):
 * without -j/ISOLA_JOBS/jobs =, what make's pool holds (its -jN, or a multiple of the CPUs);
 * with one of them, the smaller of that and the pool. jsr: what jobserver_probe() returned.
 * Returns 0, or -1 after saying what was wrong (bad ISOLA_JOBS or ISOLA_JOBSERVER).
 */
static int choose_jobs(const struct cmdline *cl, const struct config *cfg, struct jobserver *js,
                       int jsr, struct isola_error *jse, unsigned *jobs, bool *use)
{
	*use = false;
	*jobs = cl->jobs;
	const char *env_jobs = getenv("ISOLA_JOBS");
	if (!*jobs && env_jobs && *env_jobs && parse_jobs(env_jobs, jobs) < 0) {
		cli_error("invalid ISOLA_JOBS '%s' (expected a number from 1 to 4096, or auto)",
			  env_jobs);
		return -1;
	}
	if (!*jobs)
		*jobs = cfg->jobs;
	bool given = *jobs != 0;
	if (!*jobs)
		(void)parse_jobs("auto", jobs);

	const char *env_js = getenv("ISOLA_JOBSERVER");
	if (env_js && *env_js && strcmp(env_js, "on") != 0 && strcmp(env_js, "off") != 0) {
		cli_error("invalid ISOLA_JOBSERVER '%s' (expected on or off)", env_js);
		return -1;
	}
	if (cl->no_jobserver || (env_js && strcmp(env_js, "off") == 0) || jsr == 0) {
		*jse = (struct isola_error){0}; /* turned off: nothing to warn of */
		return 0;
	}
	if (jsr > 0 && jobserver_open(js, jse) == 0) {
		unsigned pool = js->auth.make_jobs ? js->auth.make_jobs
		                                   : JOBSERVER_CPU_FACTOR * online_cpus();
		if (!given || *jobs > pool)
			*jobs = pool;
		*use = true;
	}
	return 0;
}

/* Record what this run measured; a failure is a warning (the run's result stands). */
static void record_timings(const char *path, bool default_place, const struct testlist *tl,
                           const struct run_summary *sum)
{
	if (!path || !sum->durations)
		return;
	char **names = xmalloc((tl->n ? tl->n : 1) * sizeof(*names));
	for (size_t i = 0; i < tl->n; i++)
		names[i] = tl->v[i].name;
	struct isola_error e = {0};
	if (timings_record(path, names, sum->durations, tl->n, default_place, &e) < 0)
		cli_error("warning: the durations of this run were not recorded: %s (--no-timings "
		          "turns recording off)",
		          e.message);
	free(names);
}

int cmd_run(int argc, char **argv, bool list_only)
{
	/* First, before any fd of ours could take the number of one make closed. */
	struct jobserver js;
	struct isola_error jse = {0};
	int jsr = jobserver_probe(&js, getenv("MAKEFLAGS"), &jse);
	jobserver_setenv_for_children();
	struct cmdline cl;
	struct config cfg = CONFIG_INIT;
	bool have_cfg = false;
	struct testlist tl = {0};
	struct deps deps = {0};
	struct reporters rep = {0};
	struct isola_error e = {0};
	struct timings timings = {0};
	char *timings_file = NULL;
	int rc = EXIT_USAGE;
	char cwd[4096];

	int r = cli_parse(&cl, list_only ? "list" : "run", argc, argv, &e);
	if (r != 0) {
		if (r < 0)
			cli_error("%s", e.message);
		cli_release(&cl);
		jobserver_close(&js);
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("cannot get the current directory: %s", strerror(errno));
		goto out;
	}

	const char *cfg_path = cli_config_path(&cl);
	if (cfg_path) {
		if (config_load(&cfg, cfg_path, &e) < 0) {
			cli_error("%s", e.message);
			config_release(&cfg); /* what it read before the error */
			goto out;
		}
		have_cfg = true;
	}

	struct testlist_opts to = {
		.cfg = have_cfg ? &cfg : NULL,
		.args = cl.args,
		.nargs = (size_t)cl.nargs,
		.cli = &cl.s,
		.filters = &cl.filters,
		.excludes = &cl.excludes,
		.with_labels = &cl.with_labels,
		.without_labels = &cl.without_labels,
		.source_dir = cwd,
		.sources = &cl.sources,
		.import = source_import_plugin,
	};
	if (testlist_build(&tl, &to, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}
	if (tl.n == 0) {
		cli_error("no test is left after -k/--exclude/-L/--without-label (isola list shows "
		          "the names)");
		goto out;
	}
	/* Before sharding: a shard that happens to hold no tree-isolated test is no mistake. */
	if (!list_only && check_trees(&tl, &cl.s) < 0)
		goto out;
	bool default_timings;
	timings_file = timings_path(&cl, have_cfg ? &cfg : NULL, cwd, &default_timings);
	if (!timings_file && (cl.order == ORDER_LONGEST ||
	                      (cl.partition.on && cl.partition.strategy == PART_TIME))) {
		cli_error("%s needs recorded durations, and they are off here (--no-timings, "
		          "ISOLA_TIMINGS=off or timings = off): give --timings FILE",
		          cl.order == ORDER_LONGEST ? "--order longest" : "--partition time:K/N");
		goto out;
	}
	if (load_timings(timings_file, default_timings, &timings, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}
	r = shard_and_order(&cl, &tl, list_only, &timings, &e);
	if (r < 0) {
		cli_error("%s", e.message);
		goto out;
	}
	if (r > 0) {
		rc = EXIT_OK; /* a shard with nothing to do (more shards than tests) */
		goto out;
	}
	if (!list_only && check_fence(&tl) < 0)
		goto out;
	if (order_deps(&tl, &deps, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}
	if (list_only) {
		list_tests(&tl, cl.verbose);
		rc = EXIT_OK;
		goto out;
	}

	unsigned jobs;
	bool use_js;
	if (choose_jobs(&cl, &cfg, &js, jsr, &jse, &jobs, &use_js) < 0)
		goto out;
	/* More jobs than tests is pointless, unless tests run again (--repeat, --stress). */
	unsigned long long starts = (unsigned long long)tl.n * (cl.repeat ? cl.repeat : 1);
	if (!cl.until_fail && !cl.stress_ns && jobs > starts)
		jobs = (unsigned)starts;
	jobs = fit_jobs_to_fd_limit(jobs);
	if (use_js && cl.verbose)
		cli_error("jobs: up to %u, from make's jobserver (%s%s)", jobs, js.auth.word,
		          js.auth.style == JS_FIFO ? "" : ", a pipe");
	else if (jse.message[0] && !use_js)
		cli_error("warning: %s; running up to %u test%s at once without it", jse.message,
		          jobs, jobs == 1 ? "" : "s");
	else if (cl.verbose && js.auth.style == JS_DISABLED)
		cli_error("make's jobserver is disabled for this process (%s): %u job%s of isola's "
		          "own",
		          js.auth.word, jobs, jobs == 1 ? "" : "s");

	const char *root = cl.root;
	if (!root && !getenv("ISOLA_ROOT"))
		root = cfg.root;
	root = rundir_default_root(root);
	if (check_resources(&tl, root, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}

	enum keep_mode keep = cl.keep >= 0 ? (enum keep_mode)cl.keep
			      : cfg.keep >= 0 ? (enum keep_mode)cfg.keep
					      : KEEP_FAILED;
	int retries = cl.retries >= 0 ? cl.retries : cfg.retries >= 0 ? cfg.retries : 0;
	bool flaky_fails = cl.flaky_result >= 0 ? cl.flaky_result == 1 : cfg.flaky_result == 1;
	int64_t slow_ns = cl.slow_ns >= 0 ? cl.slow_ns : cfg.slow_ns >= 0 ? cfg.slow_ns : 0;
	if (fixtures_check(&tl, have_cfg ? &cfg : NULL, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}

	/* Report files are created before anything else: a bad path leaves nothing behind. */
	cl.report.verbose = cl.verbose;
	cl.report.jobs = jobs;
	cl.report.run_opts_set = true;
	cl.report.keep = keep;
	cl.report.retries = (unsigned)retries;
	cl.report.repeat = cl.repeat;
	cl.report.until_fail = cl.until_fail;
	cl.report.stress_ns = cl.stress_ns;
	cl.report.flaky_fails = flaky_fails;
	int setup = reporters_setup(&rep, &cl.report, &e);
	if (setup < 0) {
		cli_error("%s", e.message);
		if (setup == -2)
			rc = EXIT_INTERNAL; /* a plugin of isola's own is missing or broken */
		goto out;
	}

	/* The XML of tests whose protocol is gtest or junit is read by the JUnit plugin (libxml2),
	 * loaded now, before anything runs, and only for such a suite. */
	junit_parse_fn *parse_junit = NULL;
	for (size_t i = 0; i < tl.n && !parse_junit; i++) {
		if (tl.v[i].s.protocol != PROTO_GTEST && tl.v[i].s.protocol != PROTO_JUNIT)
			continue;
		parse_junit = report_cases_load("report-junit", "JUnit report", &e);
		if (!parse_junit) {
			cli_error("%s", e.message);
			rc = EXIT_INTERNAL;
			goto out;
		}
	}

	/* Sandboxes of runs that died (their lock is free) go first. */
	unsigned removed = 0;
	(void)rundir_clean(root, false, &removed, &e);

	struct rundir rd;
	if (rundir_create(&rd, root, &e) < 0) {
		cli_error("%s", e.message);
		goto out;
	}

	struct keeper keeper;
	run_prepare(&keeper, &rd);
	/* The keeper starts now only for a terminal to put back; else the scheduler starts it for
	 * the first init that needs one, if any (keeper.h). */
	int tty = reporters_input_fd(&rep);
	if (tty >= 0 && keeper_start(&keeper, tty, &e) < 0) {
		keeper_stop(&keeper);
		cli_error("%s", e.message);
		rundir_finish(&rd, NULL);
		rc = EXIT_INTERNAL;
		goto out;
	}

	/* The setups the selected tests require, before any test starts (sched/fixture.h). */
	struct fixtures fx = {.say = say_line, .keep = keep};
	if (fixtures_setup(&fx, &tl, have_cfg ? &cfg : NULL, &rd, cwd, &keeper, &e) < 0) {
		cli_error("%s", e.message);
		fixtures_teardown(&fx, &rd, cwd, have_cfg ? &cfg : NULL);
		keeper_stop(&keeper);
		rundir_finish(&rd, NULL);
		rc = EXIT_INTERNAL;
		goto out;
	}
	size_t nkeep_pids;
	pid_t *keep_pids = fixtures_pids(&fx, &nkeep_pids);
	struct sched_opts so = {
		.deps = &deps,
		.keeper = &keeper,
		.jobs = jobs,
		.keep = keep,
		.retries = (unsigned)retries,
		.rd = &rd,
		.source_dir = cwd,
		.rep = &rep,
		.fail_fast = cl.until_fail && !cl.fail_fast ? 1 : cl.fail_fast,
		.stop_running = cl.stop_running,
		.repeat = cl.repeat,
		.until_fail = cl.until_fail,
		.stress_ns = cl.stress_ns,
		.flaky_fails = flaky_fails,
		.slow_ns = slow_ns,
		.locks = cfg.locks,
		.nlocks = cfg.nlocks,
		.keep_pids = keep_pids,
		.nkeep_pids = nkeep_pids,
		.parse_junit = parse_junit,
		.js = use_js ? &js : NULL,
		.shared_writes_fail = (cl.shared_writes >= 0 ? cl.shared_writes
							     : cfg.shared_writes) == 1,
	};
	struct run_summary sum = {0};
	/* Stopped while the setups ran: no test starts, and the reports say so. */
	so.stopped_by = fx.stop_signal;
	r = sched_run(&tl, &so, &sum, &e);
	if (!fx.stop_signal)
		record_timings(timings_file, default_timings, &tl, &sum);
	size_t report_problems = reporters_problems(&rep);
	unsigned teardowns_failed = fixtures_teardown(&fx, &rd, cwd, have_cfg ? &cfg : NULL);
	free(keep_pids);
	keeper_stop(&keeper);

	struct isola_error fe = {0};
	if (rundir_finish(&rd, &fe) < 0)
		cli_error("%s", fe.message);

	if (r < 0) {
		cli_error("%s", e.message);
		rc = EXIT_INTERNAL;
	} else if (sum.signal || fx.stop_signal) {
		rc = EXIT_SIGNAL_BASE + (sum.signal ? sum.signal : fx.stop_signal);
	} else if (report_problems) {
		rc = EXIT_INTERNAL; /* a report CI relies on is missing: do not pass quietly */
	} else {
		rc = sum.failed || teardowns_failed ? EXIT_TESTS_FAILED : EXIT_OK;
	}
	run_summary_release(&sum);
out:;
	deps_release(&deps);
	unsigned lost = jobserver_close(&js);
	if (lost)
		cli_error("warning: %u token%s of make's jobserver could not be given back (make "
		          "may say its count is short)",
		          lost, lost == 1 ? "" : "s");
	reporters_release(&rep);
	timings_release(&timings);
	free(timings_file);
	testlist_release(&tl);
	if (have_cfg)
		config_release(&cfg);
	cli_release(&cl);
	return rc;
}

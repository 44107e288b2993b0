/* SPDX-License-Identifier: MIT */
#include "sched/scheduler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "spawn/container.h"
#include "spawn/contract.h"
#include "spawn/environ.h"
#include "spawn/fence.h"
#include "spawn/isolate.h"
#include "spawn/proctree.h"
#include "spawn/spawn.h"
#include "sched/evidence.h"
#include "sched/order.h"
#include "sched/tally.h"
#include "sched/workers.h"
#include "stage/stage.h"

extern char **environ;

static const char *const outcome_names[OUT__COUNT] = {
	[OUT_PASS] = "PASS",	   [OUT_FAIL] = "FAIL",	  [OUT_SKIP] = "SKIP", [OUT_ERROR] = "ERROR",
	[OUT_TIMEOUT] = "TIMEOUT", [OUT_CRASH] = "CRASH", [OUT_LEAK] = "LEAK", [OUT_FLAKY] = "FLAKY",
};

const char *outcome_name(enum outcome o)
{
	return o < OUT__COUNT ? outcome_names[o] : "?";
}

int outcome_parse(const char *s, enum outcome *out)
{
	for (int o = 0; o < OUT__COUNT; o++)
		if (strcmp(outcome_names[o], s) == 0) {
			*out = (enum outcome)o;
			return 0;
		}
	return -1;
}

bool outcome_ok(enum outcome o)
{
	return o == OUT_PASS || o == OUT_SKIP || o == OUT_FLAKY;
}

void sched_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

/*
 * The scheduler's own view of an attempt: what reporters read (a), and what its jobs work on.
 * A prepare job fills in the fields below `a` only; the loop moves them into `a` once the job is
 * back (workers.h), so that reporters, which read `a` at any time, never race a worker. A cleanup
 * job gets the sandbox (a.sb) of an attempt that has left its slot, which nothing else reads.
 */
enum job_kind {
	JOB_PREPARE, /* make the sandbox, stage, open the log */
	JOB_CLEANUP, /* remove the sandbox */
};

struct job {
	struct attempt a;
	struct work w;
	enum job_kind kind;
	const struct sched_opts *o;
	struct sandbox sb;
	struct stage st;
	struct isolation iso; /* what --isolate gave it (made with st) */
	int log_fd;
	char *log_path;
	int ret;
	struct isola_error e;
	int64_t took_ns; /* how long its run() took */
	long rm_budget;  /* cleanup: entries to remove before handing the rest to a worker; -1: all */
	bool on_worker; /* its staging and cleanup go to the workers (see start_attempt) */
	/* What it was started with, for its evidence if its sandbox is kept (sched/evidence.h);
	 * empty when nothing is ever kept (--keep none). */
	struct strv ev_argv, ev_env, ev_staged;
	char *ev_cwd;
};

/* What is to start: a test's first attempt of a run, or a retry in that run. */
struct qent {
	size_t test;           /* SIZE_MAX: taken (started out of order, past a locked test) */
	unsigned run, number;  /* the run, and the attempt in it (1: first) */
	unsigned failed_before; /* attempts of the run so far that did not pass */
};

/* What one test needs to start: jobs (slots), and locks (indices into sched.lock_held). */
struct needs {
	unsigned slots;
	size_t *locks;
	size_t nlocks;
};

struct sched {
	const struct sched_opts *o;
	const struct testlist *tl;
	struct run_summary *sum;
	struct isola_error *e;

	struct qent *queue; /* what is still to start (retries and further rounds are appended) */
	size_t qhead, qlen, qcap;
	unsigned rounds;     /* rounds of the whole list queued (--repeat, --stress) */
	int64_t stress_end;  /* --stress: no new start from then on; 0: none */
	struct tally tally;
	struct needs *needs; /* per test; NULL when no test has locks or more than one slot */
	struct strv lock_names;
	unsigned *lock_max, *lock_held;
	unsigned *open;      /* per test with deps: attempts queued or under way */

	struct attempt **slots; /* [jobs]; NULL = free: attempts being staged or running */
	struct container *inits; /* [jobs]: the init each slot's tests run under, opened lazily */
	bool any_subreaper;      /* an init of this run was a subreaper: things may come loose */
	int events[2];          /* the inits' end messages (a pipe: read end, write end) */
	unsigned running;       /* attempts being staged or running */
	unsigned used;          /* jobs they count as (slots = N) */
	unsigned cleaning;      /* attempts whose sandbox a worker is removing */
	struct workers *pool;
	int64_t bare_rm_ns;     /* how long removing a bare sandbox takes (moving average) */
	unsigned seq;
	int sigfd;
	int stop_signal; /* first stopping signal, 0 if none */
	unsigned stop_count;
	unsigned failures;   /* tests that failed for good (no retry left) */
	bool fail_fast_hit;  /* --fail-fast: no new test starts */
	bool fail_fast_cut;  /* ... and it stopped a test (--stop-running) */
	bool js_wait;        /* the next test to start waits for a token of make's jobserver */
	unsigned fail_fast_run; /* the run of the failure that stopped it */
};

static void enqueue(struct sched *s, struct qent q)
{
	if (s->qhead == s->qlen)
		s->qhead = s->qlen = 0; /* all taken: start over (a --stress run queues forever) */
	if (s->qlen == s->qcap) {
		s->qcap = s->qcap ? s->qcap * 2 : 64;
		s->queue = xrealloc(s->queue, s->qcap * sizeof(*s->queue));
	}
	s->queue[s->qlen++] = q;
	if (s->open)
		s->open[q.test]++;
}

/* Have all the tests ti starts after (after =) ended every attempt queued for them? */
static bool deps_done(const struct sched *s, size_t ti)
{
	const struct deps *d = s->o->deps;
	for (size_t k = 0; s->open && k < d->n[ti]; k++)
		if (s->open[d->of[ti][k]])
			return false;
	return true;
}

/* Queue one more run of every test, if hunting wants one. Returns whether it did. */
static bool next_round(struct sched *s)
{
	const struct sched_opts *o = s->o;
	bool unbounded = o->until_fail || o->stress_ns;
	if (s->rounds > 0 && (o->repeat ? s->rounds >= o->repeat : !unbounded))
		return false;
	if (s->stop_signal || s->fail_fast_hit || (s->stress_end && now_ns() >= s->stress_end))
		return false;
	/* A test whose setup failed does not run (sched/fixture.h): it is an ERROR once, in the
	 * first round, not once per round (a --stress run would spin on it). */
	bool any = false;
	for (size_t i = 0; i < s->tl->n; i++) {
		if (s->rounds > 0 && s->tl->v[i].blocked)
			continue;
		enqueue(s, (struct qent){.test = i, .run = s->rounds + 1, .number = 1});
		any = true;
	}
	if (any)
		s->rounds++;
	return any;
}

/* The environment contract (spawn/contract.h), then the test's own settings. */
static void build_env(struct sched *s, struct attempt *a, struct strv *envp)
{
	const struct test *t = a->test;
	char token[64];
	snprintf(token, sizeof(token), "%s.%u", s->o->rd->id, a->seq);
	char *xml = xasprintf("%s/%s", a->sandbox_path, PROTOCOL_XML_NAME);
	struct contract c = {
		.run_id = s->o->rd->id,
		.test = t->name,
		.sandbox = a->sandbox_path,
		.source_dir = s->o->source_dir,
		.slot = a->slot,
		.attempt = a->number,
		.iteration = a->run,
		.keep_home = t->s.keep_home,
		.mark_token = token,
		.xml_output = xml,
	};
	contract_env(&c, s->o->base_env ? s->o->base_env : environ, &t->s.env_set,
		     &t->s.env_unset, envp);
	free(xml);
}

/*
 * The argv a test starts with: its own, and under protocol gtest --gtest_output=xml:FILE; under
 * junit, ${XML_OUTPUT_FILE} in an argument is that file (a Catch2 binary's -o takes it). The
 * strings are in *own when any was made.
 */
static char *const *start_argv(const struct attempt *a, char *two[2], struct strv *own)
{
	const struct test *t = a->test;
	char *const *argv = test_argv(t, two);
	if (t->s.protocol != PROTO_GTEST && t->s.protocol != PROTO_JUNIT)
		return argv;
	static const char var[] = "${XML_OUTPUT_FILE}";
	char *xml = xasprintf("%s/%s", a->sandbox_path, PROTOCOL_XML_NAME);
	bool changed = t->s.protocol == PROTO_GTEST;
	for (size_t i = 0; argv[i]; i++) {
		const char *at = t->s.protocol == PROTO_JUNIT ? strstr(argv[i], var) : NULL;
		if (!at) {
			strv_push(own, argv[i]);
			continue;
		}
		const char *p = argv[i];
		char *arg = xstrdup("");
		for (; at; p = at + sizeof(var) - 1, at = strstr(p, var)) {
			char *next = xasprintf("%s%.*s%s", arg, (int)(at - p), p, xml);
			free(arg);
			arg = next;
		}
		char *next = xasprintf("%s%s", arg, p);
		free(arg);
		strv_push_take(own, next);
		changed = true;
	}
	if (t->s.protocol == PROTO_GTEST)
		strv_push_take(own, xasprintf("--gtest_output=xml:%s", xml));
	free(xml);
	if (!changed) {
		strv_release(own);
		return argv;
	}
	return strv_get(own);
}

static unsigned free_slot(struct sched *s)
{
	for (unsigned i = 0; i < s->o->jobs; i++)
		if (!s->slots[i])
			return i;
	abort();
}

/* The attempt's reason, for people. */
#define set_reason(a, ...) xasprintf_to(&(a)->reason, __VA_ARGS__)

static struct job *job_of(struct attempt *a)
{
	return (struct job *)((char *)a - offsetof(struct job, a));
}

static struct job *job_of_work(struct work *w)
{
	return (struct job *)((char *)w - offsetof(struct job, w));
}

/* On a worker: the sandbox, its resources, the log. What fails is the attempt's ERROR. */
static void prepare_run(struct work *w)
{
	struct job *j = job_of_work(w);
	struct attempt *a = &j->a;
	const struct test *t = a->test;

	j->ret = -1;
	j->st = (struct stage)STAGE_INIT;
	if (sandbox_create(&j->sb, j->o->rd, a->seq, &j->e) < 0)
		return;
	if (stage_prepare(&j->st, j->sb.fd, j->sb.path, &t->s.res,
			  (enum stage_strategy)t->s.stage, &j->e) < 0)
		return;
	if (t->s.isolate & (ISO_TREE | ISO_ALL)) {
		/* No tree named: the directory isola was started in. */
		struct strv here = STRV_INIT;
		if (!t->s.trees.n)
			strv_push(&here, j->o->source_dir);
		int r = stage_trees(&j->st, j->sb.fd, j->sb.path, t->s.trees.n ? &t->s.trees : &here,
				    &t->s.shares, !(t->s.isolate & ISO_TREE), &j->e);
		strv_release(&here);
		if (r < 0)
			return;
	}
	if (t->s.isolate) {
		struct isolate_paths paths = {
		    .sandbox_fd = j->sb.fd,
		    .sandbox = j->sb.path,
		    .program = t->path,
		    .cwd = t->s.cwd && t->s.cwd[0] == '/' ? t->s.cwd : NULL,
		    .setups = &t->setup_dirs,
		    .trees = &j->st.trees,
		    .fenced = t->s.fence > 0,
		};
		if (isolate_plan(t->s.isolate, &paths, &j->st.mounts, &j->iso, &j->e) < 0)
			return;
	}
	if (t->s.fence > 0) {
		char *sb = realpath(j->sb.path, NULL);
		fence_plan(&j->st.mounts, sb ? sb : j->sb.path, &t->s.allow_write);
		free(sb);
	}
	j->log_fd = capture_open(j->o->rd->fd, j->o->rd->path, j->sb.name, &j->log_path, &j->e);
	if (j->log_fd < 0)
		return;
	j->ret = 0;
}

/* On a worker: what staging copied, then the sandbox. */
static void cleanup_run(struct work *w)
{
	struct job *j = job_of_work(w);
	int64_t t0 = now_ns();
	stage_unstage(j->a.sb.fd, &j->a.test->s.res);
	j->ret = sandbox_remove_some(&j->a.sb, j->o->rd, j->rm_budget, &j->e);
	j->took_ns = now_ns() - t0;
}

/* What a trip to a worker and back costs the loop, about: two wake-ups across CPUs (measured
 * with bench/ on a 2-core VM, where 1000 trivial tests took 0.23 s more CPU with three trips
 * each). Removing a bare sandbox goes to a worker only where it takes longer than this. */
#define BARE_RM_HANDOFF_NS (NSEC_PER_MSEC / 10)
/* Entries the loop removes itself before it hands a sandbox's removal to a worker: a bare
 * sandbox has a handful, a test that left thousands of files goes to a worker. */
#define BARE_RM_BUDGET 256

static void prepared(struct sched *s, struct job *j);
static void cleaned(struct sched *s, struct job *j);

static void submit(struct sched *s, struct job *j, enum job_kind kind)
{
	static void (*const run[])(struct work *) = {
		[JOB_PREPARE] = prepare_run,
		[JOB_CLEANUP] = cleanup_run,
	};
	j->kind = kind;
	j->w.run = run[kind];
	j->e = (struct isola_error){0};
	j->rm_budget = -1;
	if (j->on_worker && s->pool) {
		workers_submit(s->pool, &j->w);
		return;
	}
	/* Here and now: handed over, it would come back through the same collect. A removal
	 * here stops after a few entries: a test that left a big tree in its sandbox must not
	 * hold the loop up, so a worker removes the rest. */
	if (s->pool)
		j->rm_budget = BARE_RM_BUDGET;
	j->w.run(&j->w);
	if (kind == JOB_CLEANUP && j->ret == 1) {
		j->on_worker = true;
		j->rm_budget = -1;
		workers_submit(s->pool, &j->w);
		return;
	}
	if (kind == JOB_PREPARE)
		prepared(s, j);
	else
		cleaned(s, j);
}

/*
 * Is staging and cleaning up after t worth a worker thread? Only when it has resources to copy
 * or mount: a copy can take seconds, and the loop must keep starting, reaping and timing tests
 * meanwhile. A bare sandbox (three directories and a log) is made and removed here: handing it
 * to a thread and back costs more than that, in wake-ups between CPUs (measured with bench/ on a
 * 2-core VM: 1000 trivial tests used a quarter more CPU time, and took a quarter longer on tmpfs).
 */
static bool worth_a_worker(const struct test *t)
{
	for (size_t i = 0; i < t->s.res.n; i++)
		if (t->s.res.v[i].kind != RES_MKDIR)
			return true;
	return (t->s.isolate & (ISO_TREE | ISO_ALL)) != 0;
}

static void ended(struct sched *s, struct attempt *a);

/* What test ti counts as and holds (1 slot, no lock without s->needs). */
static unsigned slots_of(const struct sched *s, size_t ti)
{
	return s->needs ? s->needs[ti].slots : 1;
}

static void hold_locks(struct sched *s, size_t ti, int delta)
{
	if (!s->needs)
		return;
	const struct needs *n = &s->needs[ti];
	for (size_t k = 0; k < n->nlocks; k++)
		s->lock_held[n->locks[k]] += (unsigned)delta;
}

/* Take a slot for an attempt and stage it, on a worker if that is worth it. */
static void start_attempt(struct sched *s, const struct qent *q)
{
	struct job *j = xcalloc(1, sizeof(*j));
	struct attempt *a = &j->a;
	size_t ti = q->test;

	j->o = s->o;
	j->on_worker = worth_a_worker(&s->tl->v[ti]);
	j->sb = (struct sandbox)SANDBOX_INIT;
	j->log_fd = -1;
	a->test = &s->tl->v[ti];
	a->seq = ++s->seq;
	a->number = q->number;
	a->run = q->run;
	a->failed_before = q->failed_before;
	a->slot = free_slot(s);
	a->state = ATT_PENDING;
	a->sb = (struct sandbox)SANDBOX_INIT;
	a->log_fd = -1;
	a->start_ns = now_ns();
	a->start_wall_ns = wall_ns();
	a->strategy = "none";
	a->cpu_us = a->maxrss_kb = -1;
	s->slots[a->slot] = a;
	s->running++;
	s->used += slots_of(s, ti);
	hold_locks(s, ti, 1);
	if (a->test->skip) {
		/* Disabled where it was imported from: reported, never run. */
		a->exec_ns = a->end_ns = now_ns();
		a->outcome = OUT_SKIP;
		set_reason(a, "%s", a->test->skip);
		ended(s, a);
		return;
	}
	if (a->test->blocked) {
		/* A setup it requires failed: it does not run, and the setup's log is its evidence. */
		a->exec_ns = a->end_ns = now_ns();
		a->outcome = OUT_ERROR;
		set_reason(a, "%s", a->test->blocked);
		if (a->test->blocked_log) {
			a->log_path = xstrdup(a->test->blocked_log);
			a->log_borrowed = true;
		}
		ended(s, a);
		return;
	}
	submit(s, j, JOB_PREPARE);
}

/* Start the test in its slot's init, opening one first if the slot has none yet. */
static int start_in_init(struct sched *s, struct attempt *a, const struct spawn_req *req,
			 struct isola_error *e)
{
	struct container *c = &s->inits[a->slot];
	const char *why;
	a->owner_reason = NULL;
	if (c->pid > 0 && c->sock < 0)
		container_close(c, true); /* it died under the last test: not reaped yet */
	if (c->pid < 0) {
		/* Inits are opened on this thread, which runs to the end of the run: one in a pid
		 * namespace can die with it, and then needs no keeper (keeper.h). */
		if (container_open(c, a->slot, s->events[1], CONTAINER_DIE_WITH_CALLER, e) < 0)
			return -1;
		struct keeper *k = s->o->keeper;
		if (c->kind != OWN_PIDNS)
			s->any_subreaper = true;
		if (k && (c->kind != OWN_PIDNS || k->pid > 0)) {
			if (keeper_start(k, -1, e) < 0) {
				container_close(c, true);
				return -1;
			}
			/* The keeper keeps its own copy: ours would only count against the fd
			 * limit. */
			keeper_watch(k, c->pidfd);
		}
		container_drop_pidfd(c);
	}
	a->owner = own_kind_name(c->kind);
	if (c->kind != container_best(&why) || *why)
		a->owner_reason = why;
	return container_spawn(c, req, a->seq, NULL, e);
}

/* Back from staging: start the program, unless staging failed or the run is stopping. */
static void prepared(struct sched *s, struct job *j)
{
	struct attempt *a = &j->a;
	const struct test *t = a->test;

	a->sb = j->sb;
	j->sb = (struct sandbox)SANDBOX_INIT;
	a->strategy = j->st.strategy;
	a->strategy_reason = j->st.reason;
	j->st.reason = NULL;
	a->trees = j->st.trees;
	j->st.trees = (struct tree_views){0};
	a->layers = j->st.layers;
	j->st.layers = (struct overlay_layers){0};
	a->isolated = j->iso.got | (tree_views_isolated(&a->trees) ? ISO_TREE : 0);
	a->isolate_reason = j->iso.why_not;
	j->iso = (struct isolation)ISOLATION_INIT;
	a->log_fd = j->log_fd;
	a->log_path = j->log_path;
	j->log_path = NULL;
	if (a->sb.path) {
		a->sandbox_path = xstrdup(a->sb.path);
		report_test_start(s->o->rep, a);
	}
	if (s->stop_signal || (s->fail_fast_hit && s->o->stop_running)) {
		a->interrupted = true;
		a->fail_fast = !s->stop_signal;
		s->fail_fast_cut |= a->fail_fast;
		set_reason(a, a->fail_fast ? "stopped by --fail-fast before it started"
					   : "interrupted before it started");
		goto fail;
	}
	if (j->ret < 0) {
		set_reason(a, "isola: %s", j->e.message);
		goto fail;
	}
	const char *no_fence;
	if (t->s.fence > 0 && fence_abi(&no_fence) < 1) {
		/* cmd-run.c refuses this before the run; never run a test unfenced that asked. */
		set_reason(a, "isola: --fence needs Landlock, and %s", no_fence);
		goto fail;
	}

	struct strv envp = STRV_INIT, argv = STRV_INIT;
	char *argv0[2];
	build_env(s, a, &envp);
	char *cwd = NULL;
	if (t->s.cwd)
		cwd = t->s.cwd[0] == '/' ? xstrdup(t->s.cwd)
					 : xasprintf("%s/%s", a->sandbox_path, t->s.cwd);
	struct spawn_req req = {
		.path = t->path,
		.argv = start_argv(a, argv0, &argv),
		.envp = strv_get(&envp),
		.cwd = cwd ? cwd : a->sandbox_path,
		.stdin_fd = -1,
		.stdout_fd = a->log_fd,
		.stderr_fd = a->log_fd,
		.new_pgroup = true,
		.mounts = &j->st.mounts,
	};
	if (s->o->interactive) {
		/* isola repro --shell: the terminal is the test's, in the foreground. */
		req.stdin_fd = 0;
		req.stdout_fd = 1;
		req.stderr_fd = 2;
		req.foreground = true;
	}
	/* The write fence: its sandbox (home, tmp, --copy overlays), its --allow-write paths; the
	 * plan's writable mounts, its log (its stdout: a test may reopen it as /dev/stdout) and
	 * the devices are added by the child (fence.h). cmd-run.c refused --fence where there is
	 * no Landlock. */
	struct fence fence = FENCE_INIT;
	if (t->s.fence > 0) {
		fence_init(&fence, fence_abi(NULL));
		fence_allow(&fence, a->sandbox_path);
		for (size_t i = 0; i < t->s.allow_write.n; i++)
			fence_allow(&fence, t->s.allow_write.v[i]);
		req.fence = &fence;
	}
	a->exec_ns = now_ns();
	struct isola_error e = {0};
	int r = start_in_init(s, a, &req, &e);
	if (s->o->keep != KEEP_NONE) {
		for (size_t i = 0; j->st.each && i < t->s.res.n; i++)
			strv_push(&j->ev_staged, j->st.each[i]);
		for (size_t i = 0; req.argv[i]; i++)
			strv_push(&j->ev_argv, req.argv[i]);
		j->ev_env = envp;
		envp = (struct strv)STRV_INIT;
		j->ev_cwd = xstrdup(req.cwd);
	}
	int fenced = req.fence ? fence.abi : 0;
	fence_release(&fence);
	stage_release(&j->st);
	strv_release(&envp);
	strv_release(&argv);
	free(cwd);
	close(a->log_fd);
	a->log_fd = -1;
	if (r < 0) {
		set_reason(a, "isola: %s", e.message);
		goto fail;
	}
	a->fence_abi = fenced; /* applied, or the test would not have started */
	a->state = ATT_RUNNING;
	a->deadline_ns = t->s.timeout_ns && !s->o->interactive ? a->exec_ns + t->s.timeout_ns : 0;
	return;

fail:
	stage_release(&j->st);
	if (!a->exec_ns)
		a->exec_ns = now_ns();
	a->end_ns = now_ns();
	a->outcome = OUT_ERROR;
	if (a->log_fd >= 0) {
		close(a->log_fd);
		a->log_fd = -1;
	}
	ended(s, a);
}

static void classify(struct attempt *a, int status)
{
	char buf[64];
	if (WIFEXITED(status)) {
		a->exited = true;
		a->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		a->signal = WTERMSIG(status);
	}
	if (a->interrupted) {
		a->outcome = OUT_ERROR;
		set_reason(a, "%s; %s", a->fail_fast ? "stopped by --fail-fast" : "interrupted",
			   describe_status(status, buf, sizeof(buf)));
	} else if (a->timed_out) {
		char d[32];
		a->outcome = OUT_TIMEOUT;
		set_reason(a, "timed out after %s; %s",
			   fmt_duration(a->test->s.timeout_ns, d, sizeof(d)),
			   describe_status(status, buf, sizeof(buf)));
	} else if (a->signal) {
		a->outcome = OUT_CRASH;
		set_reason(a, "%s", describe_status(status, buf, sizeof(buf)));
	} else if (a->exit_code == 0 && a->sb.fd >= 0 &&
	           faccessat(a->sb.fd, SANDBOX_PREMATURE, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* gtest makes it when it starts and removes it at its end: a case that called
		 * exit(0) left it (Bazel's TEST_PREMATURE_EXIT_FILE). */
		a->outcome = OUT_FAIL;
		set_reason(a, "exit 0 before its end (it left TEST_PREMATURE_EXIT_FILE)");
	} else if (a->exit_code == 0 && a->test->s.will_fail) {
		a->outcome = OUT_FAIL;
		set_reason(a, "exit 0, but the test is to fail (will-fail)");
	} else if (a->exit_code == 0) {
		a->outcome = OUT_PASS;
	} else if (a->exit_code == a->test->s.skip_exit) {
		a->outcome = OUT_SKIP;
		if (a->exit_code != SKIP_EXIT_CODE)
			set_reason(a, "exit %d (skip-exit)", a->exit_code);
	} else if (a->exit_code == a->test->s.error_exit) {
		a->outcome = OUT_ERROR;
		set_reason(a, "exit %d: the test reported a hard error", a->exit_code);
	} else if (a->test->s.will_fail) {
		a->outcome = OUT_PASS;
		set_reason(a, "exit %d, as expected (will-fail)", a->exit_code);
	} else {
		a->outcome = OUT_FAIL;
		set_reason(a, "exit %d", a->exit_code);
	}
}

/* What a fenced test that failed says it was refused: the last FENCE_SCAN_BYTES of its output,
 * read for "Permission denied" lines naming paths outside what the fence allowed. */
#define FENCE_SCAN_BYTES (64 * 1024)
#define FENCE_REFUSED_MAX 10

static void read_fence_refusals(struct attempt *a)
{
	if (!a->fence_abi || outcome_ok(a->outcome) || !a->log_path)
		return;
	int fd = open(a->log_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > FENCE_SCAN_BYTES ? size - FENCE_SCAN_BYTES : 0;
	char *buf = xmalloc(FENCE_SCAN_BYTES);
	ssize_t n = size > 0 ? pread(fd, buf, FENCE_SCAN_BYTES, from) : 0;
	close(fd);
	if (n > 0) {
		const struct strv *aw = &a->test->s.allow_write;
		char **allowed = xmalloc((aw->n + 1) * sizeof(*allowed));
		allowed[0] = a->sandbox_path;
		for (size_t i = 0; i < aw->n; i++)
			allowed[i + 1] = aw->v[i];
		fence_refused_paths(buf, (size_t)n, allowed, a->sandbox_path ? aw->n + 1 : 0,
		                    &a->fence_refused, FENCE_REFUSED_MAX);
		free(allowed);
	}
	free(buf);
	for (size_t i = 0; i < a->fence_refused.n; i++)
		xasprintf_to(&a->reason, "%s%s%s", a->reason ? a->reason : "",
		             i ? ", " : a->reason ? "; fence refused: " : "fence refused: ",
		             a->fence_refused.v[i]);
}

static void job_free(struct job *j)
{
	strv_release(&j->ev_argv);
	strv_release(&j->ev_env);
	strv_release(&j->ev_staged);
	free(j->ev_cwd);
	strv_release(&j->a.fence_refused);
	free(j->a.log_path);
	free(j);
}

static void completed(struct sched *s, struct job *j);
static void stop_all(struct sched *s, int sig);

/*
 * A kept sandbox gets its evidence (sched/evidence.h): what the attempt was started with and how
 * it ended, for isola repro. Its failure does not change the test's outcome: it is said in the
 * reason, and the sandbox is still kept.
 */
/* The shared-write list for the evidence, a line per path: "KIND PATH" (a size after created
 * and modified files, " from OLD" after a rename); NULL if the test wrote nothing. */
static char *writes_text(const struct writes *w)
{
	char *text = NULL;
	for (size_t i = 0; i < w->n; i++) {
		const struct write *x = &w->v[i];
		char size[32] = "";
		if (x->size >= 0)
			snprintf(size, sizeof(size), " %lld bytes", (long long)x->size);
		xappendf(&text, "", "%s %s%s%s%s%s\n", write_kind_name(x->kind), x->path, size,
		         x->from ? " from " : "", x->from ? x->from : "",
		         x->tree ? "" : " (a --copy resource)");
	}
	if (w->total > w->n)
		xappendf(&text, "", "... and %zu more\n", w->total - w->n);
	return text;
}

static void write_evidence(struct sched *s, struct job *j)
{
	struct attempt *a = &j->a;
	const struct test *t = a->test;
	if (!j->ev_argv.n || a->sb.fd < 0)
		return; /* it never started: there is nothing to rerun */
	/* What it started may still run and write into its sandbox: a record there now could be
	 * replaced by one of the test's making, which isola repro would trust. */
	if (a->init_lost)
		return;
	char *log_name = xasprintf("%s.log", a->sb.name);
	/* What the test's env = settings replaced, as the base had it: a repro expands them
	 * again (PATH=/x:${PATH} must not become /x:/x:...). */
	struct strv base = STRV_INIT;
	char *const *from = s->o->base_env ? s->o->base_env : environ;
	for (size_t i = 0; i < t->s.env_set.n; i++) {
		size_t n = strcspn(t->s.env_set.v[i], "=");
		const char *v = env_lookup_in(from, t->s.env_set.v[i], n);
		if (v)
			strv_push_take(&base, xasprintf("%.*s=%s", (int)n, t->s.env_set.v[i], v));
	}
	struct evidence ev = {
		.isola_version = (char *)ISOLA_VERSION,
		.run_id = s->o->rd->id,
		.test = t->name,
		.sandbox = a->sandbox_path,
		.source_dir = (char *)s->o->source_dir,
		.path = t->path,
		.argv = j->ev_argv,
		.test_argv = t->argv,
		.env = j->ev_env,
		.env_base = base,
		.cwd = j->ev_cwd,
		.seq = a->seq,
		.attempt = a->number,
		.iteration = a->run,
		.slot = a->slot,
		.start_wall_ns = a->start_wall_ns,
		.end_wall_ns = wall_ns(),
		.s = t->s,
		.strategy = (char *)a->strategy,
		.staged = j->ev_staged,
		.strategy_reason = a->strategy_reason,
		.owner = (char *)a->owner,
		.outcome = (char *)outcome_name(a->outcome),
		.reason = a->reason,
		.exit_code = a->exited ? a->exit_code : -1,
		.signal = a->signal,
		.log_path = a->log_path,
		.shared_writes = writes_text(&a->wrote),
	};
	struct isola_error e = {0};
	if (evidence_write(a->sb.fd, s->o->rd->fd, log_name, &ev, &e) < 0) {
		if (a->reason)
			set_reason(a, "%s; isola: no evidence kept: %s", a->reason, e.message);
		else
			set_reason(a, "isola: no evidence kept: %s", e.message);
	}
	free(log_name);
	free(ev.shared_writes);
	strv_release(&base);
}

/* The main process is gone (or never started): hunt what it left, then keep the sandbox or hand
 * its removal to a worker. The slot is free from here on. */
static void ended(struct sched *s, struct attempt *a)
{
	const struct test *t = a->test;

	/* The init emptied its namespace before it said the test ended: what it killed there is
	 * what the test left behind (after our SIGTERM, what was still dying was stopped by us). */
	if (a->timed_out || a->interrupted)
		a->leaked = 0;
	if (a->leaked && t->s.leak == LEAK_FAIL && a->outcome == OUT_PASS) {
		a->outcome = OUT_LEAK;
		set_reason(a, "left %u process%s behind", a->leaked, a->leaked == 1 ? "" : "es");
	}

	s->slots[a->slot] = NULL;
	s->running--;
	s->used -= slots_of(s, (size_t)(t - s->tl->v));
	hold_locks(s, (size_t)(t - s->tl->v), -1);

	struct job *j = job_of(a);
	bool keep = s->o->keep == KEEP_ALL || (s->o->keep == KEEP_FAILED && !outcome_ok(a->outcome));
	if (a->sb.name && !keep) {
		a->state = ATT_CLEANING;
		s->cleaning++;
		/* Where removing even a bare sandbox waits for the disk (a no-journal ext4 with
		 * discard waits for the device at every rmdir), the loop hands it over too. */
		if (s->bare_rm_ns > BARE_RM_HANDOFF_NS)
			j->on_worker = true;
		submit(s, j, JOB_CLEANUP);
		return;
	}
	if (a->sb.name) {
		a->kept = true;
		write_evidence(s, j);
		sandbox_keep(&a->sb, s->o->rd);
	}
	completed(s, j);
}

/* Back from the removal of its sandbox. */
static void cleaned(struct sched *s, struct job *j)
{
	struct attempt *a = &j->a;
	s->cleaning--;
	if (!worth_a_worker(a->test))
		s->bare_rm_ns = s->bare_rm_ns - s->bare_rm_ns / 8 + j->took_ns / 8;
	if (j->ret < 0) {
		/* What could not be removed stays as evidence; say so. */
		a->kept = true;
		s->o->rd->kept++;
		if (outcome_ok(a->outcome))
			a->outcome = OUT_ERROR;
		set_reason(a, "isola: %s", j->e.message);
	}
	completed(s, j);
}

/* All done: report, maybe retry, then remove the log (the reporters have read it). */
static void completed(struct sched *s, struct job *j)
{
	struct attempt *a = &j->a;
	const struct test *t = a->test;
	size_t ti = (size_t)(t - s->tl->v);

	a->done_ns = now_ns();
	a->state = ATT_DONE;
	a->retried = !outcome_ok(a->outcome) && !a->interrupted && a->number <= s->o->retries &&
		     !s->stop_signal && !s->fail_fast_hit && !t->blocked;
	if (!a->retried)
		a->result = tally_run_result(a->outcome, a->failed_before);
	tally_attempt(&s->tally, ti, a);
	/* Reporters read the log (tails, captured output): it goes only after them. */
	report_test_end(s->o->rep, a);

	if (a->kept)
		strv_push_take(&s->sum->kept, xasprintf("%s\t%s", t->name, a->sandbox_path));
	if (a->retried)
		enqueue(s, (struct qent){.test = ti,
		                         .run = a->run,
		                         .number = a->number + 1,
		                         .failed_before = a->failed_before + 1});
	if (s->open)
		s->open[ti]--;
	else if (s->o->fail_fast && !a->fail_fast &&
		 (!outcome_ok(a->result) || (a->result == OUT_FLAKY && s->o->flaky_fails)) &&
		 ++s->failures == s->o->fail_fast) {
		s->fail_fast_hit = true;
		s->fail_fast_run = a->run;
		if (s->o->stop_running) {
			for (unsigned i = 0; i < s->o->jobs; i++)
				if (s->slots[i] && (s->slots[i]->state == ATT_RUNNING ||
						    s->slots[i]->state == ATT_PENDING))
					s->fail_fast_cut = s->slots[i]->fail_fast = true;
			stop_all(s, SIGTERM);
		}
	}

	sandbox_release(&a->sb);
	free(a->sandbox_path);
	a->sandbox_path = NULL;
	free(a->reason);
	a->reason = NULL;
	free(a->strategy_reason);
	a->strategy_reason = NULL;
	free(a->isolate_reason);
	a->isolate_reason = NULL;
	subresults_release(&a->subs);
	tree_views_release(&a->trees);
	overlay_layers_release(&a->layers);
	writes_release(&a->wrote);
	/* A log that will not go is not lost track of: the run directory is removed whole at the
	 * end, and that failure is reported. */
	if (!a->kept && a->log_path && !a->log_borrowed)
		(void)unlink(a->log_path);
	job_free(j);
}

/* How many entries the test left in its TEST_UNDECLARED_OUTPUTS_DIR (at most 1,000,000). */
static unsigned count_outputs(int sandbox_fd)
{
	int fd = sandbox_fd < 0 ? -1
	                        : openat(sandbox_fd, SANDBOX_OUTPUTS,
	                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	unsigned n = 0;
	for (struct dirent *de; n < 1000000 && (de = readdir(d));)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* isola repro --shell: the shell had the terminal's foreground (spawn_req.foreground); isola
 * takes it back, so that its own output and a Ctrl-C reach it again. From the background that
 * would stop it with SIGTTOU, unless ignored for the call. */
static void take_terminal_back(void)
{
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) == getpgrp())
		return;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGTTOU, &ign, &old);
	(void)tcsetpgrp(STDIN_FILENO, getpgrp());
	sigaction(SIGTTOU, &old, NULL);
}

/*
 * The shared-write report: what the test changed through its overlays, read from their upper
 * layers now, while its sandbox is still there (and its processes are all gone). Under
 * --shared-writes fail, a test that passed but wrote into a tree outside its --share paths
 * fails, naming the first paths; another outcome says more already and is kept.
 */
static void shared_writes(struct sched *s, struct attempt *a)
{
	if (!a->layers.n || a->sb.fd < 0)
		return;
	struct isola_error e = {0};
	if (writes_collect(a->sb.fd, &a->layers, &a->test->s.shares, &a->wrote, &e) < 0 &&
	    s->o->shared_writes_fail && a->outcome == OUT_PASS) {
		/* What it wrote is unknown: not a pass of a check that could not be made. */
		a->outcome = OUT_FAIL;
		set_reason(a, "its writes cannot be read (--shared-writes fail): %s", e.message);
		return;
	}
	if (!s->o->shared_writes_fail || !a->wrote.in_tree || a->outcome != OUT_PASS)
		return;
	char *names = NULL;
	size_t named = 0;
	for (size_t i = 0; i < a->wrote.n && named < 3; i++) {
		const struct write *w = &a->wrote.v[i];
		if (!w->tree || w->shared)
			continue;
		xappendf(&names, ", ", "'%s' (%s)", w->path, write_kind_name(w->kind));
		named++;
	}
	a->outcome = OUT_FAIL;
	if (a->wrote.in_tree > named)
		set_reason(a, "wrote into the tree (--shared-writes fail): %s and %zu more", names,
			   a->wrote.in_tree - named);
	else
		set_reason(a, "wrote into the tree (--shared-writes fail): %s", names);
	free(names);
}

/* An init said a test ended (its namespace is empty by now). */
static void test_ended(struct sched *s, const struct container_end *m)
{
	if (m->slot >= s->o->jobs)
		return;
	struct container *c = &s->inits[m->slot];
	struct attempt *a = s->slots[m->slot];
	if (m->mounts_changed)
		c->retire = true; /* a test changed its mounts: the next one gets a fresh init */
	if (c->retire)
		container_close(c, true);
	if (!a || a->seq != m->gen || a->state < ATT_RUNNING || a->state > ATT_KILLED)
		return;
	a->end_ns = now_ns();
	if (s->o->interactive) {
		take_terminal_back();
		if (s->o->exit_status)
			*s->o->exit_status = WIFEXITED(m->status)
						     ? WEXITSTATUS(m->status)
						     : 128 + (WIFSIGNALED(m->status) ? WTERMSIG(m->status) : 0);
	}
	a->leaked = m->leaked;
	a->cpu_us = m->cpu_us;
	a->maxrss_kb = m->maxrss_kb;
	classify(a, m->status);
	a->outputs = count_outputs(a->sb.fd);
	switch ((enum protocol)a->test->s.protocol) {
	case PROTO_TAP:
		protocol_read_tap(a, a->log_path);
		break;
	case PROTO_GTEST:
	case PROTO_JUNIT:
		protocol_read_xml(a, a->sb.fd, a->test->s.protocol == PROTO_GTEST, s->o->parse_junit);
		break;
	case PROTO_EXITCODE:
		break;
	}
	shared_writes(s, a);
	read_fence_refusals(a);
	ended(s, a);
}

static void read_ends(struct sched *s)
{
	struct container_end m;
	while (container_read_end(s->events[0], &m) == 1)
		test_ended(s, &m);
}

static void reap(struct sched *s)
{
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid <= 0)
			return;
		for (unsigned i = 0; i < s->o->jobs; i++) {
			struct container *c = &s->inits[i];
			if (c->pid != pid)
				continue;
			/* An init died. What it said before is in the pipe: read that first. */
			read_ends(s);
			struct attempt *a = s->slots[i];
			bool running = a && a->state >= ATT_RUNNING && a->state <= ATT_KILLED;
			container_forget(c);
			if (running) {
				a->end_ns = now_ns();
				a->outcome = OUT_ERROR;
				a->init_lost = true;
				set_reason(a, "isola: its init (pid %d) was killed; processes it left "
					      "are killed at the end of the run (no evidence is kept: "
					      "they could write it)",
					   (int)pid);
				ended(s, a);
			}
		}
	}
}

static void stop_all(struct sched *s, int sig)
{
	int64_t now = now_ns();
	for (unsigned i = 0; i < s->o->jobs; i++) {
		struct attempt *a = s->slots[i];
		if (!a || (a->state != ATT_RUNNING && a->state != ATT_TERMINATING))
			continue; /* one being staged is stopped when it is back */
		a->interrupted = true;
		if (sig == SIGKILL || a->state == ATT_TERMINATING) {
			container_signal(&s->inits[i], SIGKILL);
			a->state = ATT_KILLED;
			a->deadline_ns = 0;
		} else {
			container_signal(&s->inits[i], SIGTERM);
			a->state = ATT_TERMINATING;
			a->deadline_ns = now + a->test->s.grace_ns;
		}
	}
}

/* When a running test passes --slow DUR; 0 if it has no such moment ahead. */
static int64_t slow_at(const struct sched *s, const struct attempt *a)
{
	if (!s->o->slow_ns || a->slow || a->state != ATT_RUNNING)
		return 0;
	return a->exec_ns + s->o->slow_ns;
}

static void check_deadlines(struct sched *s)
{
	int64_t now = now_ns();
	for (unsigned i = 0; i < s->o->jobs; i++) {
		struct attempt *a = s->slots[i];
		int64_t slow = a ? slow_at(s, a) : 0;
		if (slow && now >= slow) {
			a->slow = true;
			report_test_slow(s->o->rep, a, now);
		}
		if (!a || !a->deadline_ns || now < a->deadline_ns)
			continue;
		if (a->state == ATT_RUNNING) {
			a->timed_out = true;
			container_signal(&s->inits[i], SIGTERM);
			a->state = ATT_TERMINATING;
			a->deadline_ns = now + a->test->s.grace_ns;
			if (a->deadline_ns == now)
				a->deadline_ns = now + 1;
		} else if (a->state == ATT_TERMINATING) {
			container_signal(&s->inits[i], SIGKILL);
			a->state = ATT_KILLED;
			a->deadline_ns = 0;
		}
	}
}

static int64_t next_deadline(struct sched *s)
{
	int64_t next = 0;
	for (unsigned i = 0; i < s->o->jobs; i++) {
		struct attempt *a = s->slots[i];
		if (a && a->deadline_ns && (!next || a->deadline_ns < next))
			next = a->deadline_ns;
		int64_t slow = a ? slow_at(s, a) : 0;
		if (slow && (!next || slow < next))
			next = slow;
	}
	return next;
}

static void collect(struct sched *s)
{
	struct work *w = workers_collect(s->pool);
	while (w) {
		struct work *next = w->next;
		struct job *j = job_of_work(w);
		switch (j->kind) {
		case JOB_PREPARE:
			prepared(s, j);
			break;
		case JOB_CLEANUP:
			cleaned(s, j);
			break;
		}
		w = next;
	}
}

/*
 * With make's jobserver: may a test that counts as n jobs start now? The first job runs on the
 * slot every jobserver client has implicitly; each one beyond it needs a token, read without
 * blocking (the loop polls for more). A test starts with no token when nothing else runs, as a
 * test of more jobs than the run has runs alone: two isola runs that each wait with some tokens
 * for a big test cannot wait for each other for ever. Tokens gathered for a test that still
 * waits are kept for it; the others go back as soon as their tests end (give_back_tokens).
 */
static bool tokens_for(struct sched *s, unsigned n)
{
	struct jobserver *js = s->o->js;
	if (!js || s->used == 0)
		return true;
	size_t need = s->used + n - 1;
	if (js->held < need)
		jobserver_acquire(js, (unsigned)(need - js->held));
	if (js->held >= need)
		return true;
	s->js_wait = true;
	return false;
}

/* Keep only the tokens the running tests count as: one job fewer than they hold. */
static void give_back_tokens(struct sched *s)
{
	if (s->o->js && !s->js_wait)
		(void)jobserver_release_to(s->o->js, s->used ? s->used - 1 : 0);
}

/*
 * Start what fits: the queue in order, except that a test whose lock is held is passed over
 * (the others keep running); one that needs more jobs than are free waits, and nothing behind
 * it starts before it (a serial test would otherwise wait for ever). All locks of a test are
 * taken at once, when it starts, and none is held while waiting: no deadlock.
 */
static void start_more(struct sched *s)
{
	const struct sched_opts *o = s->o;
	s->js_wait = false;
	for (;;) {
		/* Sandboxes still being removed count against new starts too, so that a slow
		 * filesystem cannot pile up more than a slot's worth of them each. */
		if (s->stop_signal || s->fail_fast_hit || s->used >= o->jobs ||
		    s->cleaning >= o->jobs)
			return;
		/* --stress: no new run once the time is up; the retries of runs under way still
		 * start (a run ends with its last attempt, and its result would be lost). */
		bool time_up = s->stress_end && now_ns() >= s->stress_end;
		while (s->qhead < s->qlen && s->queue[s->qhead].test == SIZE_MAX)
			s->qhead++;
		if (s->qhead == s->qlen && !next_round(s))
			return;
		size_t pick = SIZE_MAX;
		for (size_t i = s->qhead; i < s->qlen && pick == SIZE_MAX; i++) {
			size_t ti = s->queue[i].test;
			if (ti == SIZE_MAX || (time_up && s->queue[i].number == 1) ||
			    !deps_done(s, ti))
				continue;
			if (!s->needs) {
				pick = i;
				break;
			}
			const struct needs *n = &s->needs[ti];
			if (s->used + n->slots > o->jobs)
				break;
			bool free = true;
			for (size_t k = 0; k < n->nlocks && free; k++)
				free = s->lock_held[n->locks[k]] < s->lock_max[n->locks[k]];
			if (free)
				pick = i;
		}
		if (pick == SIZE_MAX || !tokens_for(s, slots_of(s, s->queue[pick].test)))
			return;
		struct qent q = s->queue[pick];
		s->queue[pick].test = SIZE_MAX;
		start_attempt(s, &q);
	}
}

/* What each test needs (slots = N, serial, lock = NAME), or nothing if every test needs one
 * job and no lock. */
static void plan_needs(struct sched *s)
{
	const struct testlist *tl = s->tl;
	bool any = false;
	for (size_t i = 0; i < tl->n && !any; i++)
		any = tl->v[i].s.locks.n || tl->v[i].s.slots > 1 || tl->v[i].s.serial > 0;
	if (!any)
		return;
	s->needs = xcalloc(tl->n, sizeof(*s->needs));
	for (size_t i = 0; i < tl->n; i++) {
		const struct settings *st = &tl->v[i].s;
		struct needs *n = &s->needs[i];
		/* A test that counts as more jobs than the run has runs alone. */
		n->slots = st->serial > 0 || (unsigned)st->slots > s->o->jobs ? s->o->jobs
		           : st->slots > 1                                   ? (unsigned)st->slots
		                                                             : 1;
		n->nlocks = st->locks.n;
		n->locks = n->nlocks ? xmalloc(n->nlocks * sizeof(*n->locks)) : NULL;
		for (size_t k = 0; k < st->locks.n; k++) {
			size_t l = 0;
			while (l < s->lock_names.n && strcmp(s->lock_names.v[l], st->locks.v[k]) != 0)
				l++;
			if (l == s->lock_names.n)
				strv_push(&s->lock_names, st->locks.v[k]);
			n->locks[k] = l;
		}
	}
	s->lock_max = xcalloc(s->lock_names.n + 1, sizeof(*s->lock_max));
	s->lock_held = xcalloc(s->lock_names.n + 1, sizeof(*s->lock_held));
	for (size_t l = 0; l < s->lock_names.n; l++) {
		s->lock_max[l] = 1;
		for (size_t k = 0; k < s->o->nlocks; k++)
			if (strcmp(s->o->locks[k].name, s->lock_names.v[l]) == 0)
				s->lock_max[l] = s->o->locks[k].max;
	}
}

static int handle_signals(struct sched *s)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(s->sigfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si))
			return 0;
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(s);
			break;
		case SIGUSR1:
			report_show_running(s->o->rep, s->slots, s->o->jobs, now_ns());
			break;
		default:
			/* INT, TERM, HUP: the first stops the run gracefully, the next one at once. */
			if (!s->stop_signal)
				s->stop_signal = (int)si.ssi_signo;
			s->stop_count++;
			stage_cancel(); /* a big copy under way must not hold the stop up */
			stop_all(s, s->stop_count > 1 ? SIGKILL : SIGTERM);
			break;
		}
	}
}

int sched_run(const struct testlist *tl, const struct sched_opts *o, struct run_summary *sum,
	      struct isola_error *e)
{
	struct sched s = {.o = o, .tl = tl, .sum = sum, .e = e, .sigfd = -1,
	                  .stop_signal = o->stopped_by};
	sigset_t set;
	int ret = 0;

	sched_signals(&set);
	s.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s.sigfd < 0)
		return err_set(e, errno, NULL, "cannot create signalfd");
	/* Tests run under inits of ours (spawn/container.h); should one of those die, what it
	 * leaves is reparented to us, not to the system's init, and is killed at the end. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (pipe2(s.events, O_CLOEXEC) < 0) {
		close(s.sigfd);
		return err_set(e, errno, NULL, "cannot create a pipe");
	}
	(void)fcntl(s.events[0], F_SETFL, O_NONBLOCK);

	/* As many workers as can run at once: each does one sandbox's filesystem work. */
	unsigned nworkers = o->jobs < online_cpus() ? o->jobs : online_cpus();
	/* Without them (no threads to be had), everything is done in the loop, as for bare
	 * sandboxes: slower with big copies, not wrong. */
	s.pool = env_flag("ISOLA_TEST_NO_WORKERS") ? NULL : workers_new(nworkers < 2 ? 2 : nworkers);
	s.slots = xcalloc(o->jobs, sizeof(*s.slots));
	s.inits = xmalloc(o->jobs * sizeof(*s.inits));
	for (unsigned i = 0; i < o->jobs; i++)
		s.inits[i] = (struct container)CONTAINER_INIT;
	tally_init(&s.tally, tl->n);
	plan_needs(&s);
	if (o->deps && o->deps->of)
		s.open = xcalloc(tl->n, sizeof(*s.open));
	if (o->stress_ns)
		s.stress_end = now_ns() + o->stress_ns;
	next_round(&s);

	int64_t t0 = now_ns();
	struct run_info ri = {
		.run_id = o->rd->id,
		.run_dir = o->rd->path,
		.source_dir = o->source_dir,
		.jobs = o->jobs,
		.ntests = tl->n,
		.start_wall_ns = wall_ns(),
		.flaky_fails = o->flaky_fails,
	};
	report_run_start(o->rep, &ri);

	int64_t tick = reporters_tick_ns(o->rep), next_tick = tick ? now_ns() + tick : 0;
	for (;;) {
		start_more(&s);
		give_back_tokens(&s);
		if (s.running == 0 && (!s.pool || workers_pending(s.pool) == 0))
			break;

		/* pfd[3]: a terminal a reporter reads keys from ('t' lists the running tests);
		 * pfd[4]: make's jobserver, while a test waits for a token (poll skips fd -1). */
		struct pollfd pfd[5] = {{.fd = s.sigfd, .events = POLLIN},
					{.fd = s.pool ? workers_fd(s.pool) : -1, .events = POLLIN},
					{.fd = s.events[0], .events = POLLIN},
					{.fd = reporters_input_fd(o->rep), .events = POLLIN},
					{.fd = s.js_wait ? jobserver_fd(o->js) : -1, .events = POLLIN}};
		nfds_t npfd = 5;
		int64_t next = next_deadline(&s);
		if (next_tick && (!next || next_tick < next))
			next = next_tick;
		struct timespec ts, *tsp = NULL;
		if (next) {
			int64_t wait = next - now_ns();
			if (wait < 0)
				wait = 0;
			ts.tv_sec = wait / NSEC_PER_SEC;
			ts.tv_nsec = wait % NSEC_PER_SEC;
			tsp = &ts;
		}
		int r = ppoll(pfd, npfd, tsp, NULL);
		if (r < 0 && errno != EINTR) {
			ret = err_set(e, errno, NULL, "poll failed");
			stop_all(&s, SIGKILL);
			break;
		}
		if (r > 0 && pfd[2].revents)
			read_ends(&s);
		if (r > 0 && pfd[0].revents)
			handle_signals(&s);
		if (r > 0 && pfd[1].revents)
			collect(&s);
		if (r > 0 && pfd[3].revents)
			report_input(o->rep, s.slots, o->jobs, now_ns());
		check_deadlines(&s);
		if (next_tick && now_ns() >= next_tick) {
			report_tick(o->rep, s.slots, o->jobs, now_ns());
			next_tick = now_ns() + tick;
		}
	}

	sum->flaky_fails = o->flaky_fails;
	sum->slow_ns = o->slow_ns ? o->slow_ns : NSEC_PER_SEC;
	sum->hunting = o->repeat > 1 || o->until_fail || o->stress_ns;
	tally_summarise(&s.tally, tl, sum);
	/* Every init goes (each empties its namespace first), then whatever is left of ours no
	 * test can be charged with: it came loose from an init that was killed. (Only a
	 * subreaper's test can kill its init: in a pid namespace nothing comes loose, and the walk
	 * over /proc is not made.) */
	for (unsigned i = 0; i < o->jobs; i++)
		container_close(&s.inits[i], true);
	if (s.any_subreaper) {
		pid_t *spare = xcalloc(o->nkeep_pids + 1, sizeof(*spare));
		size_t nspare = 0;
		if (o->keeper && o->keeper->pid > 0)
			spare[nspare++] = o->keeper->pid;
		for (size_t i = 0; i < o->nkeep_pids; i++)
			spare[nspare++] = o->keep_pids[i];
		struct proc_match rest = {
		    .ancestor = getpid(),
		    .all = true,
		    .exclude = spare,
		    .nexclude = nspare,
		    .exclude_tree = true,
		};
		sum->unknown_killed = proctree_kill_noting(&rest, 2000, &sum->unknown_cmds, 5);
		free(spare);
	}
	workers_free(s.pool);
	/* Every test has ended: every token goes back to make. */
	if (o->js)
		(void)jobserver_release_to(o->js, 0);
	sum->wall_ns = now_ns() - t0;
	sum->signal = s.stop_signal;
	/* Said only if it left something out: a last test that failed stopped nothing. */
	sum->fail_fast = s.fail_fast_hit && (sum->not_run || s.fail_fast_cut || o->until_fail)
	                     ? o->fail_fast
	                     : 0;
	sum->until_fail = sum->fail_fast && o->until_fail;
	sum->until_fail_run = s.fail_fast_run;
	report_run_end(o->rep, sum);

	close(s.sigfd);
	close(s.events[0]);
	close(s.events[1]);
	free(s.inits);
	free(s.slots);
	tally_release(&s.tally);
	if (s.needs)
		for (size_t i = 0; i < tl->n; i++)
			free(s.needs[i].locks);
	free(s.needs);
	strv_release(&s.lock_names);
	free(s.lock_max);
	free(s.lock_held);
	free(s.open);
	free(s.queue);
	return ret;
}

void run_summary_release(struct run_summary *rs)
{
	strv_release(&rs->kept);
	strv_release(&rs->failed_names);
	strv_release(&rs->unknown_cmds);
	for (size_t i = 0; i < rs->nflakes; i++)
		for (size_t k = 0; k < rs->flakes[i].nreasons; k++)
			free(rs->flakes[i].reasons[k].reason);
	free(rs->flakes);
	rs->flakes = NULL;
	free(rs->durations);
	rs->durations = NULL;
	rs->nflakes = 0;
}

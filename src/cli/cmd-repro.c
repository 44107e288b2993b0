/* SPDX-License-Identifier: MIT */
/*
 * isola repro SANDBOX|TEST [--shell]: rerun a kept attempt from its evidence (sched/evidence.h).
 * The evidence becomes a test list of one test, run by the scheduler as isola run would run it:
 * a fresh run directory and sandbox under the root, the same resources staged the same way, the
 * same argv and environment (less the contract's variables, which name the fresh sandbox), the
 * same settings. Nothing is created before the evidence was read and accepted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "report/report.h"
#include "report/report-text.h"
#include "sandbox/sandbox.h"
#include "sched/evidence.h"
#include "sched/scheduler.h"
#include "spawn/environ.h"
#include "spawn/keeper.h"
#include "spawn/proctree.h"
#include "stage/stage.h"
#include "testlist/testlist.h"

/* Is name what sandbox_create() makes: digits, '-', six more characters? */
static bool sandbox_name(const char *name)
{
	size_t d = strspn(name, "0123456789");
	return d > 0 && name[d] == '-' && strlen(name + d + 1) == 6 && !strchr(name + d + 1, '.');
}

/*
 * The most recent kept sandbox of test `name` under root: run directories of isola's (isola-*,
 * the caller's, with its marker), their sandboxes whose evidence is accepted and names that
 * test. Returns a new path, or NULL.
 */
static char *find_latest(const char *root, const char *name)
{
	DIR *d = opendir(root);
	if (!d)
		return NULL;
	char *best = NULL;
	int64_t best_at = INT64_MIN;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "isola-", 6) != 0)
			continue;
		int rfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (rfd < 0)
			continue;
		struct stat st;
		if (fstat(rfd, &st) < 0 || st.st_uid != geteuid() ||
		    (faccessat(rfd, "done", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		     faccessat(rfd, "lock", F_OK, AT_SYMLINK_NOFOLLOW) < 0)) {
			close(rfd);
			continue;
		}
		DIR *rd = fdopendir(rfd);
		if (!rd) {
			close(rfd);
			continue;
		}
		struct dirent *se;
		while ((se = readdir(rd))) {
			if (!sandbox_name(se->d_name))
				continue;
			char *path = xasprintf("%s/%s/%s", root, de->d_name, se->d_name);
			struct evidence ev;
			struct isola_error e = {0};
			if (evidence_read(path, &ev, &e) == 0 && strcmp(ev.test, name) == 0 &&
			    ev.end_wall_ns > best_at) {
				best_at = ev.end_wall_ns;
				free(best);
				best = path;
				path = NULL;
			}
			evidence_release(&ev); /* empty after a refusal */
			free(path);
		}
		closedir(rd);
	}
	closedir(d);
	return best;
}

/*
 * The environment the fresh attempt starts from: the kept one's, less what the contract sets
 * anew (the variables that name the sandbox, the run, the slot: contract_names[], and
 * XML_OUTPUT_FILE) and the test's own env settings (expanded again against the fresh sandbox,
 * and the base values they replaced put back), and less the kept run's ISOLA_MARK (isola repro's own is chained on, as for any test).
 */
static void base_env(const struct evidence *ev, struct strv *out)
{
	const struct settings *s = &ev->s;
	for (size_t i = 0; i < ev->env.n; i++) {
		const char *v = ev->env.v[i];
		size_t n = strcspn(v, "=");
		bool drop = (n == sizeof(MARK_VAR) - 1 && strncmp(v, MARK_VAR, n) == 0) ||
			    (n == 15 && strncmp(v, "XML_OUTPUT_FILE", n) == 0);
		/* HOME is the contract's unless keep-home gave the test the real one. */
		for (size_t k = 0; contract_names[k] && !drop; k++)
			drop = strlen(contract_names[k]) == n && strncmp(v, contract_names[k], n) == 0 &&
			       !(s->keep_home > 0 && strcmp(contract_names[k], "HOME") == 0);
		for (size_t k = 0; k < s->env_set.n && !drop; k++)
			drop = strcspn(s->env_set.v[k], "=") == n && strncmp(v, s->env_set.v[k], n) == 0;
		if (!drop)
			strv_push(out, v);
	}
	/* ... and put back as isola's own environment had them then, for env = to expand. */
	for (size_t i = 0; i < ev->env_base.n; i++)
		strv_push(out, ev->env_base.v[i]);
	const char *mark = getenv(MARK_VAR);
	if (mark)
		strv_push_take(out, xasprintf(MARK_VAR "=%s", mark));
}

static int refuse(const char *msg)
{
	cli_error("%s", msg);
	return EXIT_USAGE;
}

int cmd_repro(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'}, {"shell", no_argument, NULL, 's'},
		{"keep", required_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *root_opt = NULL;
	bool shell = false;
	enum keep_mode keep = KEEP_FAILED;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root_opt = optarg;
			break;
		case 's':
			shell = true;
			break;
		case 'k':
			if (parse_keep(optarg, &keep) < 0) {
				cli_error("invalid value '%s' for --keep (expected failed, all or none)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			cli_usage("repro");
			return EXIT_OK;
		default:
			cli_error("unknown option '%s' for isola repro (see isola repro --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("isola repro takes one SANDBOX or TEST (see isola repro --help)");
		return EXIT_USAGE;
	}
	const char *arg = argv[optind];
	const char *root = rundir_default_root(root_opt);

	/* A directory is a sandbox; anything else names a test (a test's name is often a path:
	 * that of its program, a file). */
	struct stat st;
	char *sandbox = NULL;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		sandbox = xstrdup(arg);
	} else {
		sandbox = find_latest(root, arg);
		if (!sandbox) {
			cli_error("'%s' is neither a sandbox nor the name of a test with a kept sandbox "
				  "under '%s' (give the sandbox's path, or --root DIR)",
				  arg, root);
			return EXIT_USAGE;
		}
	}

	struct evidence ev;
	struct isola_error e = {0};
	if (evidence_read(sandbox, &ev, &e) < 0) {
		free(sandbox);
		return refuse(e.message);
	}

	int rc = EXIT_USAGE;
	struct testlist tl = {0};
	struct reporters rep = {0};
	struct strv env = STRV_INIT;
	tl.v = xcalloc(1, sizeof(*tl.v));
	tl.n = tl.cap = 1;
	struct test *t = &tl.v[0];
	t->name = xstrdup(ev.test);
	base_env(&ev, &env); /* with ev.s, before it moves */
	t->s = ev.s;
	ev.s = (struct settings)SETTINGS_INIT;
	if (shell) {
		const char *sh = getenv("SHELL");
		t->path = xstrdup(sh && sh[0] == '/' ? sh : "/bin/sh");
		t->s.timeout_ns = 0;
		t->s.protocol = PROTO_EXITCODE;
	} else {
		t->path = xstrdup(ev.path);
		strv_extend(&t->argv, &ev.test_argv);
	}
	/* One test alone: what held it back among others does not apply. */
	strv_release(&t->s.locks);
	strv_release(&t->s.after);
	strv_release(&t->s.requires);
	settings_finalise(&t->s);
	t->s.slots = 1;
	t->s.serial = 0;

	for (size_t i = 0; i < t->s.res.n; i++) {
		if (t->s.res.v[i].kind != RES_MKDIR && stage_check(&t->s.res.v[i], &e) < 0) {
			cli_error("cannot stage the kept attempt's resources again: %s", e.message);
			goto out;
		}
	}

	/* With --shell the terminal is the shell's: isola reads no key from it and draws no status
	 * line on it (the line printer is plain under TERM=dumb; the shell's TERM is the kept
	 * one's, in env). */
	if (shell)
		setenv("TERM", "dumb", 1);
	struct report_opts ro = {.jobs = 1, .no_input = shell};
	int setup = reporters_setup(&rep, &ro, &e);
	if (setup < 0) {
		cli_error("%s", e.message);
		rc = setup == -2 ? EXIT_INTERNAL : EXIT_USAGE;
		goto out;
	}
	/* The record holds what a test named (its name, its reason): shown, never sent to the
	 * terminal as control sequences. */
	struct tbuf said = {0};
	tbuf_addf(&said, "%s (%s: %s%s%s)", sandbox, ev.test, ev.outcome, ev.reason ? ", " : "",
		  ev.reason ? ev.reason : "");
	struct tbuf shown = {0};
	text_visible(&shown, said.p, said.len, false, false);
	fprintf(stderr, "isola: repro of %s\n", tbuf_str(&shown));
	tbuf_release(&said);
	tbuf_release(&shown);

	struct rundir rd;
	if (rundir_create(&rd, root, &e) < 0) {
		cli_error("%s", e.message);
		rc = EXIT_INTERNAL;
		goto out;
	}
	struct keeper keeper;
	run_prepare(&keeper, &rd);

	int status = EXIT_INTERNAL;
	struct sched_opts so = {
		.keeper = &keeper,
		.jobs = 1,
		.keep = keep,
		.rd = &rd,
		/* ISOLA_SOURCE_DIR stays the kept attempt's: where its suite is. */
		.source_dir = ev.source_dir ? ev.source_dir : "/",
		.rep = &rep,
		.base_env = strv_get(&env),
		.interactive = shell,
		.exit_status = &status,
	};
	struct run_summary sum = {0};
	int r = sched_run(&tl, &so, &sum, &e);
	keeper_stop(&keeper);
	struct isola_error fe = {0};
	if (rundir_finish(&rd, &fe) < 0)
		cli_error("%s", fe.message);
	if (r < 0) {
		cli_error("%s", e.message);
		rc = EXIT_INTERNAL;
	} else if (sum.signal) {
		rc = EXIT_SIGNAL_BASE + sum.signal;
	} else if (shell) {
		rc = status;
	} else {
		rc = sum.failed ? EXIT_TESTS_FAILED : EXIT_OK;
	}
	run_summary_release(&sum);
out:
	reporters_release(&rep);
	strv_release(&env);
	testlist_release(&tl);
	evidence_release(&ev);
	free(sandbox);
	return rc;
}

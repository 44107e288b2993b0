/* SPDX-License-Identifier: MIT */
/*
 * isola exec: one command in a fresh sandbox, for people who keep their runner (ctest, meson,
 * automake, prove, make). stdin, stdout and stderr pass through; the exit status is the
 * command's (128+N for signal N, 124 if isola stopped it at its timeout); isola's own failures
 * are 125, and 126/127 when the program cannot be executed or found (as env(1) does).
 * Built on libisola's public API, so the library gets the same use as the command.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exitcodes.h"
#include "isola/isola.h"
#include "lib/lib.h"
#include "sched/jobserver.h"
#include "stage/stage.h"

#define EXEC_EXIT_TIMEOUT 124
#define SKIP_EXIT_CODE_EXEC 77 /* automake's "skipped": not a failure to keep evidence of */

static int stage_all(isola_sandbox *sb, const struct settings *s, struct isola_error *e)
{
	for (size_t i = 0; i < s->res.n; i++) {
		const struct resource *r = &s->res.v[i];
		int rc = r->kind == RES_COPY ? isola_sandbox_copy(sb, r->src, r->dest, e)
					     : isola_sandbox_mkdir(sb, r->dest, e);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < s->env_set.n; i++) {
		char *name = xstrdup(s->env_set.v[i]);
		char *eq = strchr(name, '=');
		*eq = '\0';
		int rc = isola_sandbox_setenv(sb, name, eq + 1, e);
		free(name);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < s->env_unset.n; i++)
		if (isola_sandbox_unsetenv(sb, s->env_unset.v[i], e) < 0)
			return -1;
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct cmdline cl;
	struct isola_error e = {0};
	/* exec runs one job, on the slot make gave its recipe: it takes no token. A make in the
	 * command joins make's fifo; the pipe's fds never reach it (its init closes them), so it
	 * is told so rather than read whatever the command opened at those numbers. */
	jobserver_setenv_for_children();
	int r = cli_parse(&cl, "exec", argc, argv, &e);
	if (r != 0) {
		if (r < 0)
			cli_error("exec: %s", e.message);
		cli_release(&cl);
		return r > 0 ? EXIT_OK : EXEC_EXIT_ISOLA;
	}
	if (cl.nargs == 0) {
		cli_error("exec: no command given (isola exec [OPTIONS] -- PROGRAM [ARGS...])");
		cli_release(&cl);
		return EXEC_EXIT_ISOLA;
	}
	/* Check every source before the sandbox exists: bad input leaves nothing behind. */
	for (size_t i = 0; i < cl.s.res.n; i++) {
		if (stage_check(&cl.s.res.v[i], &e) < 0) {
			cli_error("exec: %s", e.message);
			cli_release(&cl);
			return EXEC_EXIT_ISOLA;
		}
	}
	/* Unlike isola run, exec has no timeout unless asked: the runner above has its own. */
	bool has_timeout = cl.s.timeout_ns >= 0;
	settings_finalise(&cl.s);

	struct isola_sandbox_opts so = {
		.root = cl.root,
		.keep = cl.keep == KEEP_ALL ? ISOLA_KEEP_ALWAYS
			: cl.keep == KEEP_NONE ? ISOLA_KEEP_NEVER
					       : ISOLA_KEEP_ON_FAILURE,
		.keep_home = cl.s.keep_home > 0,
	};
	isola_sandbox *sb = isola_sandbox_new(&so, &e);
	if (!sb) {
		cli_error("exec: %s", e.message);
		cli_release(&cl);
		return EXEC_EXIT_ISOLA;
	}
	/* This thread starts the command and waits for it: its init can die with it. */
	lib_sandbox_die_with_caller(sb);
	int rc = EXEC_EXIT_ISOLA;
	if (stage_all(sb, &cl.s, &e) < 0) {
		cli_error("exec: %s", e.message);
		goto out;
	}
	if (cl.verbose)
		fprintf(stderr, "isola: exec: sandbox %s\n", isola_sandbox_path(sb));

	/* Signals meant for the command reach isola (the command has its own process group):
	 * take them through a signalfd and pass them on. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	struct isola_run_opts ro = {
		/* Rounded up: 500us must not become 0, which means "no timeout". */
		.timeout_ms = (cl.s.timeout_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC,
		.grace_ms = cl.s.grace_ns / NSEC_PER_MSEC,
		.cwd = cl.s.cwd,
		.stdio = ISOLA_STDIO_INHERIT,
	};
	if (!has_timeout)
		ro.timeout_ms = 0;
	isola_proc *p = isola_start(sb, cl.args, &ro, &e);
	if (!p) {
		cli_error("exec: %s", e.message);
		/* Nothing ran: the sandbox holds no evidence worth keeping. */
		rc = e.code == ENOENT ? EXEC_EXIT_NOT_FOUND : EXEC_EXIT_CANNOT_RUN;
		if (sigfd >= 0)
			close(sigfd);
		goto out;
	}
	/* The command leads its own process group; when stdin is the terminal isola has in the
	 * foreground, hand the terminal to that group, or its first read stops it (SIGTTIN). */
	bool tty = isatty(0) && tcgetpgrp(0) == getpgrp();
	if (tty) {
		signal(SIGTTOU, SIG_IGN);
		if (tcsetpgrp(0, isola_proc_pid(p)) == 0)
			(void)kill(-isola_proc_pid(p), SIGCONT); /* in case it read too early */
		else
			tty = false;
	}
	struct isola_result res = {0};
	int wr = lib_proc_wait(p, sigfd, &res, &e);
	if (tty)
		(void)tcsetpgrp(0, getpgrp());
	if (wr < 0) {
		cli_error("exec: %s", e.message);
	} else if (res.timed_out) {
		cli_error("exec: '%s' timed out after %lld ms", cl.args[0], (long long)ro.timeout_ms);
		rc = EXEC_EXIT_TIMEOUT;
	} else if (res.signal) {
		rc = EXIT_SIGNAL_BASE + res.signal;
	} else {
		rc = res.exit_code;
	}
	if (res.leaked)
		cli_error("exec: '%s' left %u process%s behind: killed", cl.args[0], res.leaked,
			  res.leaked == 1 ? "" : "es");
	isola_result_release(&res);
	if (sigfd >= 0)
		close(sigfd);
	if (rc != 0 && rc != SKIP_EXIT_CODE_EXEC)
		isola_sandbox_fail(sb);
out:;
	const char *path = isola_sandbox_path(sb);
	char *kept_path = path ? xstrdup(path) : NULL;
	int fr = isola_sandbox_free(sb, &e);
	if (fr == 1)
		cli_error("exec: kept sandbox %s", kept_path);
	else if (fr < 0)
		cli_error("exec: %s", e.message);
	free(kept_path);
	cli_release(&cl);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fixtures: the [setup NAME] sections of the config. A setup is a command run once, before the
 * tests start, when a selected test requires it (requires = NAME, also through another setup);
 * its teardown runs once after the tests have ended: after failures, after Ctrl-C, and after a
 * setup that failed (it may have half-started something). Each runs in a sandbox of its own, under
 * an init of its own, which keeps what the setup started (a server) running until the teardown
 * has ended, and then kills what is left: nothing outlives the run.
 *
 * A setup passes values on by writing KEY=VALUE lines to the file $ISOLA_EXPORT; they reach the
 * environment of every test that requires it, before the test's own env settings. A setup that
 * fails (a non-zero exit, a timeout, a bad export line) makes the tests that require it ERRORs
 * with its reason and log, without running them; its sandbox is kept as evidence.
 */
#ifndef ISOLA_FIXTURE_H
#define ISOLA_FIXTURE_H

#include <signal.h>
#include <sys/types.h>

#include "config/config.h"
#include "config/settings.h"
#include "sandbox/sandbox.h"
#include "spawn/keeper.h"
#include "testlist/testlist.h"

struct fixture;

struct fixtures {
	struct fixture *v; /* the setups this run needs, in the order they run */
	size_t n;
	int events[2];   /* the inits' end messages */
	int stop_signal; /* a stopping signal that came during a setup or teardown, 0 if none
	                  * (still set after fixtures_teardown()) */
	/* Where the lines for people go ("setup db: ready in 0.2s"): set by the caller before
	 * fixtures_setup(); NULL: nowhere. */
	void (*say)(const char *line);
	/* Which setup sandboxes stay on disk after the teardown (--keep): those of failed setups
	 * and teardowns (the default), all, or none. Set by the caller. */
	enum keep_mode keep;
};

/*
 * Before anything starts: every requires = NAME of the tests and of the setups names a [setup
 * NAME] of cfg (NULL: no config), and the setups do not require each other in a cycle. Returns
 * 0, or -1 with *e (one line naming the config file, the setup and what to do).
 */
int fixtures_check(const struct testlist *tl, const struct config *cfg, struct isola_error *e);

/*
 * Run the setups tl's tests need, in dependency order, and hand their exports (or their failure)
 * to those tests. k: the run's keeper, started if an init needs one (keeper.h). Signals (INT, TERM,
 * HUP) must be blocked by the caller: they are read here from a signalfd, and one stops the setups
 * (f->stop_signal says which). Lines for people go to stderr. Returns 0 (also when a setup failed:
 * its tests are blocked), or -1 with *e (an internal error: nothing of it is left running).
 */
int fixtures_setup(struct fixtures *f, struct testlist *tl, const struct config *cfg,
                   struct rundir *rd, const char *source_dir, struct keeper *k,
                   struct isola_error *e);

/* The pids of the fixtures' inits (what the end of a run must not kill); *n of them, in an
 * array the caller frees. */
pid_t *fixtures_pids(const struct fixtures *f, size_t *n);

/*
 * Run the teardowns, the last setup's first, then end the fixtures' inits and remove their
 * sandboxes (kept where a setup or a teardown failed), and free what f holds (f->stop_signal
 * stays). Returns how many teardowns failed.
 */
unsigned fixtures_teardown(struct fixtures *f, struct rundir *rd, const char *source_dir,
                           const struct config *cfg);

#endif

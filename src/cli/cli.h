/* SPDX-License-Identifier: MIT */
/* The command line: subcommands, their options, their help. Only this stage prints. */
#ifndef ISOLA_CLI_H
#define ISOLA_CLI_H

#include <stdbool.h>

#include "config/settings.h"
#include "report/report.h"
#include "sched/order.h"
#include "testlist/partition.h"
#include "util/util.h"

struct cmdline {
	const char *cmd;      /* "run", "list", "clean", "exec", "merge" */
	struct settings s;    /* per-test settings given on the command line */
	struct strv filters;  /* -k */
	struct strv excludes; /* --exclude */
	int shared_writes;          /* --shared-writes report (0) or fail (1); -1: not given */
	struct strv with_labels;    /* -L, --with-label */
	struct strv without_labels; /* --without-label */
	const char *config;   /* --config */
	const char *root;     /* --root */
	unsigned jobs;        /* 0: not given */
	bool no_jobserver;    /* --no-jobserver: make's jobserver is not used */
	int keep;             /* -1: not given */
	int retries;          /* -1: not given */
	bool verbose;
	struct report_opts report; /* --junit, --tap, --json, --trace, --html */
	struct partition partition; /* --partition; .on false if not given */
	unsigned partition_count;   /* --partition-count, 0 if not given */
	const char *timings;        /* --timings FILE */
	unsigned fail_fast;         /* --fail-fast[=N]: N, 0 if not given */
	enum test_order order;      /* --order, --shuffle */
	bool order_given;
	bool seed_given;            /* --seed */
	uint64_t seed;
	bool stop_running;          /* --stop-running */
	unsigned repeat;            /* --repeat N, 0 if not given */
	bool until_fail;            /* --until-fail */
	int64_t stress_ns;          /* --stress DUR, 0 if not given */
	int flaky_result;           /* --flaky-result: -1 not given, 0 pass, 1 fail */
	int64_t slow_ns;            /* --slow DUR, -1 if not given */
	bool no_timings;            /* --no-timings: neither read nor record .isola/timings */
	struct sources sources;     /* --gtest, --catch2, --criterion, --lines, --from-file */
	char **args;          /* positional arguments */
	int nargs;
};

/* The config file read when none is given, if it exists. */
#define DEFAULT_CONFIG "isola.ini"

/* The config file c names (-c), else DEFAULT_CONFIG if it exists here, else NULL. */
const char *cli_config_path(const struct cmdline *c);

/* Parse argv for subcommand cmd (argv[0] is the subcommand). Returns 0, 1 after --help was
 * printed, or -1 with *e set (a usage error). */
int cli_parse(struct cmdline *c, const char *cmd, int argc, char **argv, struct isola_error *e);
void cli_release(struct cmdline *c);

void cli_usage(const char *cmd);

int cmd_run(int argc, char **argv, bool list_only);
int cmd_clean(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_timings(int argc, char **argv);
int cmd_repro(int argc, char **argv);

/* Print "isola: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct keeper;
struct rundir;
/* Before a run (isola run, isola repro) starts anything: the scheduler's signals blocked (they
 * come through its loop), SIGPIPE ignored, the keeper made ready for rd (spawn/keeper.h). */
void run_prepare(struct keeper *k, const struct rundir *rd);

#endif

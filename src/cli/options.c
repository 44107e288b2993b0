/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

enum {
	OPT_ROOT = 256,
	OPT_CONFIG,
	OPT_COPY,
	OPT_MKDIR,
	OPT_RO,
	OPT_STAGE,
	OPT_UNSET,
	OPT_TIMEOUT,
	OPT_GRACE,
	OPT_KEEP,
	OPT_KEEP_HOME,
	OPT_CWD,
	OPT_LEAK,
	OPT_RETRIES,
	OPT_EXCLUDE,
	OPT_JUNIT,
	OPT_TAP,
	OPT_JSON,
	OPT_TRACE,
	OPT_HTML,
	OPT_PARTITION,
	OPT_PARTITION_COUNT,
	OPT_TIMINGS,
	OPT_FAIL_FAST,
	OPT_ORDER,
	OPT_SHUFFLE,
	OPT_SEED,
	OPT_STOP_RUNNING,
	OPT_REPEAT,
	OPT_UNTIL_FAIL,
	OPT_STRESS,
	OPT_FLAKY_RESULT,
	OPT_SLOW,
	OPT_NO_TIMINGS,
	OPT_LOCK,
	OPT_SLOTS,
	OPT_SERIAL,
	OPT_REQUIRES,
	OPT_GTEST,
	OPT_CATCH2,
	OPT_CRITERION,
	OPT_LINES,
	OPT_FROM_FILE,
	OPT_ARGV,
	OPT_PATTERN,
	OPT_SKIP_EXIT,
	OPT_ERROR_EXIT,
	OPT_CTEST,
	OPT_MESON,
	OPT_WITH_LABEL,
	OPT_WITHOUT_LABEL,
	OPT_LABEL,
	OPT_AFTER,
	OPT_WILL_FAIL,
	OPT_TIMEOUT_MULT,
	OPT_DISABLED,
	OPT_GTEST_SHARDS,
	OPT_ISOLATE,
	OPT_TREE,
	OPT_SHARE,
	OPT_FENCE,
	OPT_ALLOW_WRITE,
	OPT_SHARED_WRITES,
	OPT_PROTOCOL,
	OPT_NO_JOBSERVER,
};

static const struct option long_opts[] = {
	{"jobs", required_argument, NULL, 'j'},
	{"root", required_argument, NULL, OPT_ROOT},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"copy", required_argument, NULL, OPT_COPY},
	{"mkdir", required_argument, NULL, OPT_MKDIR},
	{"ro", required_argument, NULL, OPT_RO},
	{"stage", required_argument, NULL, OPT_STAGE},
	{"env", required_argument, NULL, 'e'},
	{"unset", required_argument, NULL, OPT_UNSET},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"grace", required_argument, NULL, OPT_GRACE},
	{"keep", required_argument, NULL, OPT_KEEP},
	{"keep-home", no_argument, NULL, OPT_KEEP_HOME},
	{"cwd", required_argument, NULL, OPT_CWD},
	{"leak", required_argument, NULL, OPT_LEAK},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"filter", required_argument, NULL, 'k'},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"junit", required_argument, NULL, OPT_JUNIT},
	{"tap", required_argument, NULL, OPT_TAP},
	{"json", required_argument, NULL, OPT_JSON},
	{"trace", required_argument, NULL, OPT_TRACE},
	{"html", required_argument, NULL, OPT_HTML},
	{"partition", required_argument, NULL, OPT_PARTITION},
	{"partition-count", required_argument, NULL, OPT_PARTITION_COUNT},
	{"timings", required_argument, NULL, OPT_TIMINGS},
	{"fail-fast", optional_argument, NULL, OPT_FAIL_FAST},
	{"order", required_argument, NULL, OPT_ORDER},
	{"shuffle", no_argument, NULL, OPT_SHUFFLE},
	{"seed", required_argument, NULL, OPT_SEED},
	{"stop-running", no_argument, NULL, OPT_STOP_RUNNING},
	{"repeat", required_argument, NULL, OPT_REPEAT},
	{"until-fail", no_argument, NULL, OPT_UNTIL_FAIL},
	{"stress", required_argument, NULL, OPT_STRESS},
	{"flaky-result", required_argument, NULL, OPT_FLAKY_RESULT},
	{"slow", required_argument, NULL, OPT_SLOW},
	{"no-timings", no_argument, NULL, OPT_NO_TIMINGS},
	{"lock", required_argument, NULL, OPT_LOCK},
	{"slots", required_argument, NULL, OPT_SLOTS},
	{"serial", no_argument, NULL, OPT_SERIAL},
	{"requires", required_argument, NULL, OPT_REQUIRES},
	{"gtest", required_argument, NULL, OPT_GTEST},
	{"catch2", required_argument, NULL, OPT_CATCH2},
	{"criterion", required_argument, NULL, OPT_CRITERION},
	{"lines", required_argument, NULL, OPT_LINES},
	{"from-file", required_argument, NULL, OPT_FROM_FILE},
	{"ctest", required_argument, NULL, OPT_CTEST},
	{"meson", required_argument, NULL, OPT_MESON},
	{"with-label", required_argument, NULL, 'L'},
	{"without-label", required_argument, NULL, OPT_WITHOUT_LABEL},
	{"label", required_argument, NULL, OPT_LABEL},
	{"after", required_argument, NULL, OPT_AFTER},
	{"will-fail", no_argument, NULL, OPT_WILL_FAIL},
	{"timeout-multiplier", required_argument, NULL, OPT_TIMEOUT_MULT},
	{"disabled", required_argument, NULL, OPT_DISABLED},
	{"gtest-shards", required_argument, NULL, OPT_GTEST_SHARDS},
	{"isolate", required_argument, NULL, OPT_ISOLATE},
	{"tree", required_argument, NULL, OPT_TREE},
	{"share", required_argument, NULL, OPT_SHARE},
	{"fence", no_argument, NULL, OPT_FENCE},
	{"allow-write", required_argument, NULL, OPT_ALLOW_WRITE},
	{"shared-writes", required_argument, NULL, OPT_SHARED_WRITES},
	{"argv", required_argument, NULL, OPT_ARGV},
	{"pattern", required_argument, NULL, OPT_PATTERN},
	{"skip-exit", required_argument, NULL, OPT_SKIP_EXIT},
	{"error-exit", required_argument, NULL, OPT_ERROR_EXIT},
	{"protocol", required_argument, NULL, OPT_PROTOCOL},
	{"no-jobserver", no_argument, NULL, OPT_NO_JOBSERVER},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("isola: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The per-test settings go through the same function as the config file's keys. */
static const char *setting_key(int opt)
{
	switch (opt) {
	case OPT_COPY:
		return "copy";
	case OPT_MKDIR:
		return "mkdir";
	case OPT_RO:
		return "ro";
	case OPT_STAGE:
		return "stage";
	case 'e':
		return "env";
	case OPT_UNSET:
		return "unset";
	case OPT_TIMEOUT:
		return "timeout";
	case OPT_GRACE:
		return "grace";
	case OPT_CWD:
		return "cwd";
	case OPT_LEAK:
		return "leak";
	case OPT_LOCK:
		return "lock";
	case OPT_SLOTS:
		return "slots";
	case OPT_SERIAL:
		return "serial";
	case OPT_REQUIRES:
		return "requires";
	case OPT_SKIP_EXIT:
		return "skip-exit";
	case OPT_ERROR_EXIT:
		return "error-exit";
	case OPT_LABEL:
		return "label";
	case OPT_AFTER:
		return "after";
	case OPT_WILL_FAIL:
		return "will-fail";
	case OPT_TIMEOUT_MULT:
		return "timeout-multiplier";
	case OPT_ISOLATE:
		return "isolate";
	case OPT_TREE:
		return "tree";
	case OPT_SHARE:
		return "share";
	case OPT_FENCE:
		return "fence";
	case OPT_ALLOW_WRITE:
		return "allow-write";
	case OPT_PROTOCOL:
		return "protocol";
	default:
		return NULL;
	}
}

/* "-j" or "--config": how the user may have spelled opt. */
static const char *option_name(int opt)
{
	static char buf[64];
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == opt) {
			snprintf(buf, sizeof(buf), "--%s", o->name);
			return buf;
		}
	snprintf(buf, sizeof(buf), "-%c", opt);
	return buf;
}

/* Options that select or report on a suite: meaningless for exec's one command and clean. */
static bool suite_only(int opt)
{
	switch (opt) {
	case 'j':
	case OPT_NO_JOBSERVER:
	case 'k':
	case OPT_CONFIG:
	case OPT_EXCLUDE:
	case OPT_RETRIES:
	case OPT_LEAK:
	case OPT_RO:
	case OPT_STAGE:
	case OPT_FENCE:       /* not built into isola exec's libisola path (yet): refused there */
	case OPT_ALLOW_WRITE: /* rather than ignored; the same for --isolate and its paths */
	case OPT_ISOLATE:
	case OPT_TREE:
	case OPT_SHARE:
	case OPT_JUNIT:
	case OPT_TAP:
	case OPT_JSON:
	case OPT_TRACE:
	case OPT_HTML:
	case OPT_PARTITION:
	case OPT_PARTITION_COUNT:
	case OPT_TIMINGS:
	case OPT_FAIL_FAST:
	case OPT_STOP_RUNNING:
	case OPT_ORDER:
	case OPT_SHUFFLE:
	case OPT_SEED:
	case OPT_REPEAT:
	case OPT_UNTIL_FAIL:
	case OPT_STRESS:
	case OPT_FLAKY_RESULT:
	case OPT_SLOW:
	case OPT_NO_TIMINGS:
	case OPT_LOCK:
	case OPT_SLOTS:
	case OPT_SERIAL:
	case OPT_REQUIRES:
	case OPT_GTEST:
	case OPT_CATCH2:
	case OPT_CRITERION:
	case OPT_LINES:
	case OPT_FROM_FILE:
	case OPT_ARGV:
	case OPT_PATTERN:
	case OPT_CTEST:
	case OPT_MESON:
	case OPT_DISABLED:
	case OPT_GTEST_SHARDS:
	case OPT_SHARED_WRITES:
	case 'L':
	case OPT_WITHOUT_LABEL:
	case OPT_LABEL:
	case OPT_AFTER:
	case OPT_WILL_FAIL:
	case OPT_PROTOCOL:
		return true;
	default:
		return false;
	}
}

/* What isola merge takes: its reports, and the selection that names missing tests. */
static bool merge_takes(int opt)
{
	switch (opt) {
	case 'k':
	case 'v':
	case 'h':
	case ':':
	case '?':
	case OPT_CONFIG:
	case OPT_EXCLUDE:
	case OPT_JUNIT:
	case OPT_TAP:
	case OPT_JSON:
	case OPT_TRACE:
	case OPT_HTML:
		return true;
	default:
		return false;
	}
}

int cli_parse(struct cmdline *c, const char *cmd, int argc, char **argv, struct isola_error *e)
{
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), ".");
	*c = (struct cmdline){.cmd = cmd, .s = SETTINGS_INIT, .keep = -1, .retries = -1,
			      .flaky_result = -1, .slow_ns = -1, .shared_writes = -1};
	/* exec: options stop at the first non-option (the program). */
	const char *shortopts = strcmp(cmd, "exec") == 0 ? "+:j:e:k:c:L:vh" : ":j:e:k:c:L:vh";
	/* 0, not 1: glibc then also forgets where it was inside a grouped option (-abc) of an
	 * earlier parse, a pointer into that parse's argv (found by tests/fuzz/fuzz_options). */
	optind = 0;
	opterr = 0;
	int opt, idx;
	bool is_run = strcmp(cmd, "run") == 0 || strcmp(cmd, "list") == 0;
	while ((opt = getopt_long(argc, argv, shortopts, long_opts, &idx)) != -1) {
		if (opt == 'c')
			opt = OPT_CONFIG; /* -c FILE is --config FILE */
		bool is_merge = strcmp(cmd, "merge") == 0;
		if (is_merge && !merge_takes(opt))
			return err_set(e, 0, NULL,
			               "option '%s' is not for isola merge (it takes report files, "
			               "-c, -k, --exclude and -v; see isola merge --help)",
			               option_name(opt));
		if (!is_run && !is_merge && suite_only(opt))
			return err_set(e, 0, NULL, "option '%s' is for isola run, not isola %s",
				       option_name(opt), cmd);
		/* clean takes --root and nothing else that would mean something. */
		if (strcmp(cmd, "clean") == 0 && opt != OPT_ROOT && opt != 'h' && opt != '?' &&
		    opt != ':')
			return err_set(e, 0, NULL, "option '%s' is not for isola clean (it takes --root DIR)",
				       option_name(opt));
		const char *key = setting_key(opt);
		if (key) {
			if (settings_apply(&c->s, key, opt == OPT_SERIAL || opt == OPT_WILL_FAIL || opt == OPT_FENCE ? "true" : optarg, cwd, e) < 0) {
				char *msg = xasprintf("--%s: %s", key, e->message);
				snprintf(e->message, sizeof(e->message), "%.1000s", msg);
				free(msg);
				return -1;
			}
			continue;
		}
		switch (opt) {
		case 'j':
			if (parse_jobs(optarg, &c->jobs) < 0)
				return err_set(e, 0, NULL,
					       "invalid value '%s' for --jobs (expected a number from 1 "
					       "to 4096, or auto)",
					       optarg);
			break;
		case OPT_NO_JOBSERVER:
			c->no_jobserver = true;
			break;
		case OPT_ROOT:
			c->root = optarg;
			break;
		case OPT_CONFIG:
			c->config = optarg;
			break;
		case OPT_KEEP: {
			enum keep_mode k;
			if (parse_keep(optarg, &k) < 0)
				return err_set(e, 0, NULL,
					       "invalid value '%s' for --keep (expected failed, all or "
					       "none)",
					       optarg);
			c->keep = (int)k;
			break;
		}
		case OPT_KEEP_HOME:
			c->s.keep_home = 1;
			break;
		case OPT_RETRIES: {
			unsigned n;
			if (parse_uint(optarg, 0, 100, &n) < 0)
				return err_set(e, 0, NULL,
					       "invalid value '%s' for --retries (expected 0 to 100)",
					       optarg);
			c->retries = (int)n;
			break;
		}
		case 'k':
			strv_push(&c->filters, optarg);
			break;
		case OPT_EXCLUDE:
			strv_push(&c->excludes, optarg);
			break;
		case 'L':
			strv_push(&c->with_labels, optarg);
			break;
		case OPT_WITHOUT_LABEL:
			strv_push(&c->without_labels, optarg);
			break;
		case OPT_JUNIT:
			c->report.junit = optarg;
			break;
		case OPT_TAP:
			c->report.tap = optarg;
			break;
		case OPT_JSON:
			c->report.json = optarg;
			break;
		case OPT_TRACE:
			c->report.trace = optarg;
			break;
		case OPT_HTML:
			c->report.html = optarg;
			break;
		case OPT_PARTITION:
			if (partition_parse(optarg, &c->partition, e) < 0)
				return -1;
			break;
		case OPT_TIMINGS:
			c->timings = optarg;
			break;
		case OPT_FAIL_FAST:
			c->fail_fast = 1;
			if (optarg && parse_uint(optarg, 1, 1000000, &c->fail_fast) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --fail-fast (expected "
				               "--fail-fast or --fail-fast=N, N from 1 to 1000000)",
				               optarg);
			break;
		case OPT_STOP_RUNNING:
			c->stop_running = true;
			break;
		case OPT_ORDER:
			if (order_parse(optarg, &c->order) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --order (expected given, name, "
				               "longest or shuffle)",
				               optarg);
			c->order_given = true;
			break;
		case OPT_SHUFFLE:
			c->order = ORDER_SHUFFLE;
			c->order_given = true;
			break;
		case OPT_SEED: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || optarg[0] == '-' || optarg[0] == '+' ||
			    optarg[0] == ' ')
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --seed (expected a number from 0 "
				               "to 18446744073709551615, as a run printed it)",
				               optarg);
			c->seed = v;
			c->seed_given = true;
			break;
		}
		case OPT_REPEAT:
			if (parse_uint(optarg, 1, 1000000, &c->repeat) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --repeat (expected how many times "
				               "to run each test, 1 to 1000000)",
				               optarg);
			break;
		case OPT_UNTIL_FAIL:
			c->until_fail = true;
			break;
		case OPT_STRESS:
			if (parse_duration(optarg, &c->stress_ns) < 0 || c->stress_ns <= 0 ||
			    c->stress_ns > 7 * 24 * 3600 * NSEC_PER_SEC)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --stress (expected a duration from "
				               "1ms to 168h, such as 10s or 5m)",
				               optarg);
			break;
		case OPT_SLOW:
			if (parse_duration(optarg, &c->slow_ns) < 0 || c->slow_ns <= 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --slow (expected a duration such "
				               "as 30s or 2m)",
				               optarg);
			break;
		case OPT_FLAKY_RESULT:
			if (parse_flaky_result(optarg, &c->flaky_result) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --flaky-result (expected pass or "
				               "fail)",
				               optarg);
			break;
		case OPT_NO_TIMINGS:
			c->no_timings = true;
			break;
		case OPT_SHARED_WRITES:
			if (parse_shared_writes(optarg, &c->shared_writes) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --shared-writes (expected report or "
				               "fail)",
				               optarg);
			break;
		case OPT_GTEST:
		case OPT_CATCH2:
		case OPT_CRITERION:
		case OPT_LINES:
		case OPT_FROM_FILE:
		case OPT_CTEST:
		case OPT_MESON: {
			enum source_kind k;
			const char *name = option_name(opt) + 2;
			if (source_kind_parse(name, &k) < 0)
				abort();
			char origin[80];
			snprintf(origin, sizeof(origin), "--%s", name);
			sources_add(&c->sources, k, optarg, cwd, origin);
			break;
		}
		case OPT_ARGV:
		case OPT_PATTERN:
		case OPT_DISABLED:
		case OPT_GTEST_SHARDS:
			if ((opt == OPT_ARGV || opt == OPT_PATTERN) &&
			    (!c->sources.n || c->sources.v[c->sources.n - 1].kind != SRC_LINES))
				return err_set(e, 0, NULL, "%s goes after the --lines CMD it is for",
				               option_name(opt));
			if (sources_set(&c->sources, option_name(opt) + 2, optarg, e) < 0) {
				char *msg = xasprintf("%s: %s", option_name(opt), e->message);
				snprintf(e->message, sizeof(e->message), "%.1000s", msg);
				free(msg);
				return -1;
			}
			break;
		case OPT_PARTITION_COUNT:
			if (parse_uint(optarg, 1, 100000, &c->partition_count) < 0)
				return err_set(e, 0, NULL,
				               "invalid value '%s' for --partition-count (expected 1 to "
				               "100000)",
				               optarg);
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			cli_usage(cmd);
			return 1;
		case ':':
			return err_set(e, 0, NULL, "option '%s' needs a value (see isola %s --help)",
				       argv[optind - 1], cmd);
		default:
			if (optopt && optopt < 256)
				return err_set(e, 0, NULL,
					       "unknown option '-%c' (see isola %s --help)", optopt,
					       cmd);
			return err_set(e, 0, NULL, "unknown option '%s' (see isola %s --help)",
				       argv[optind - 1], cmd);
		}
	}
	if (c->timings && c->no_timings)
		return err_set(e, 0, NULL, "--timings FILE and --no-timings say opposite things");
	if (c->seed_given && c->order != ORDER_SHUFFLE)
		return err_set(e, 0, NULL, "--seed S goes with --shuffle (or --order shuffle)");
	if (c->stop_running && !c->fail_fast && !c->until_fail)
		return err_set(e, 0, NULL,
		               "--stop-running goes with --fail-fast (stop the running tests too "
		               "once the failures are reached)");
	if (c->partition_count && !(c->partition.on && c->partition.from_env))
		return err_set(e, 0, NULL,
		               "--partition-count is the N of --partition auto (where the CI engine "
		               "gives only the index, as Kubernetes does)");
	c->args = argv + optind;
	c->nargs = argc - optind;
	return 0;
}

const char *cli_config_path(const struct cmdline *c)
{
	if (c->config)
		return c->config;
	return access(DEFAULT_CONFIG, F_OK) == 0 ? DEFAULT_CONFIG : NULL;
}

void cli_release(struct cmdline *c)
{
	settings_release(&c->s);
	sources_release(&c->sources);
	strv_release(&c->filters);
	strv_release(&c->excludes);
	strv_release(&c->with_labels);
	strv_release(&c->without_labels);
}

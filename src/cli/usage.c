/* SPDX-License-Identifier: MIT */
/* Help texts. Keep them in step with doc/isola.1. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char main_usage[] =
	"usage: isola <command> [options]\n"
	"\n"
	"Run tests in parallel, each in its own sandbox with private copies of what it may change.\n"
	"\n"
	"commands:\n"
	"  run [OPTIONS] [--] [TEST...]   run tests (programs or globs), each isolated\n"
	"  list [OPTIONS] [--] [TEST...]  show what run would run\n"
	"  exec [OPTIONS] -- PROGRAM [ARGS...]  run one command in a fresh sandbox\n"
	"  merge [OPTIONS] SHARD.jsonl...  join the --json reports of the shards of a suite\n"
	"  timings [-o FILE] REPORT.jsonl...  durations for --partition time:K/N\n"
	"  repro [--shell] SANDBOX|TEST   rerun a kept attempt in a fresh sandbox staged as its was\n"
	"  clean [--root DIR]             remove sandboxes left by dead runs and kept ones\n"
	"  help [COMMAND]                 show help\n"
	"  --version                      show the version\n"
	"\n"
	"See 'isola run --help' and isola(1).\n";

static const char run_usage[] =
	"usage: isola run [OPTIONS] [--] [TEST...]\n"
	"\n"
	"Runs each TEST (a program path, or a quoted glob of them) in parallel, each in a fresh\n"
	"sandbox directory. Without TESTs, runs what the config file declares.\n"
	"\n"
	"selection:\n"
	"  -c, --config FILE      config file (default: ./isola.ini if present)\n"
	"  -k, --filter GLOB      run only tests whose name matches (repeatable)\n"
	"      --exclude GLOB     skip tests whose name matches (repeatable)\n"
	"  -L, --with-label GLOB  run only tests with a matching label (repeatable)\n"
	"      --without-label GLOB  skip tests with a matching label (repeatable)\n"
	"      --gtest BIN        each case of a GoogleTest binary (or glob of them), alone\n"
	"      --catch2 BIN       each test case of a Catch2 binary (v2 or v3)\n"
	"      --criterion BIN    each test of a Criterion binary\n"
	"      --lines CMD        each line CMD prints (its first word, or --pattern REGEX's\n"
	"                         first group) is a test, run as --argv TEMPLATE ({} the name)\n"
	"      --argv TEMPLATE, --pattern REGEX  for the --lines before them\n"
	"      --from-file FILE   each line of FILE is a test's command\n"
	"      --disabled skip|omit  after --gtest/--criterion: disabled cases are SKIP\n"
	"      --gtest-shards N   after --gtest: the binary whole N times, one shard each\n"
	"      --ctest DIR        the tests of a CMake build directory (ctest's json-v1)\n"
	"      --meson DIR        the tests of a Meson build directory (meson introspect)\n"
	"                         (a discovered test is named PROGRAM::CASE; -k '*Case*' selects)\n"
	"      --partition hash:K/N|slice:K/N|time:K/N|auto\n"
	"                         run shard K of N (K from 1): by a stable hash of the name,\n"
	"                         round-robin over the sorted names, or balanced by the recorded\n"
	"                         durations of --timings FILE; auto takes K and N from the CI\n"
	"                         engine (GitLab, CircleCI, Buildkite, Kubernetes, Slurm)\n"
	"      --partition-count N  N for auto where the engine gives only K (Kubernetes)\n"
	"      --timings FILE     where durations are read and recorded (default:\n"
	"                         .isola/timings beside the config file, else here)\n"
	"      --no-timings       neither read nor record durations\n"
	"\n"
	"isolation (per test; repeatable ones add to the config file's):\n"
	"      --copy SRC[:DEST]  a private writable copy of SRC at DEST in the sandbox\n"
	"      --ro SRC[:DEST]    SRC at DEST, readable but never writable (a read-only mount)\n"
	"      --mkdir DIR        an empty directory in the sandbox\n"
	"      --stage HOW        how --copy resources are staged: auto (default: the best that\n"
	"                         works here), overlay, reflink or copy\n"
	"      --fence            a write fence (Landlock): the test may write only in its sandbox,\n"
	"                         its private mounts and --allow-write paths; other writes fail\n"
	"                         with EACCES, and a failed test's report names what was refused\n"
	"      --allow-write PATH  writable through --fence, beneath PATH (which must exist)\n"
	"      --isolate WHAT,... what else the test gets of its own: tmp (/tmp, /var/tmp),\n"
	"                         shm (/dev/shm), net (loopback only), all (what this machine\n"
	"                         allows, said by -v), none; a kind named that cannot be had\n"
	"                         is the test's ERROR\n"
	"  -e, --env NAME=VALUE   set a variable; VALUE may use ${ISOLA_SANDBOX}, ${ISOLA_SLOT}...\n"
	"      --unset NAME       remove a variable\n"
	"      --cwd DIR          working directory (relative to the sandbox; default: the sandbox)\n"
	"      --keep-home        keep the real HOME instead of a private one\n"
	"      --root DIR         where sandboxes go (default: $ISOLA_ROOT, $TMPDIR, /tmp)\n"
	"      --keep WHAT        keep sandboxes: failed (default), all, none\n"
	"      --isolate tree     each tree as a private overlay at its own path: the test\n"
	"                         writes into it freely, the real tree never changes (ERROR\n"
	"                         where overlayfs cannot be had, with the reason)\n"
	"      --tree DIR         a tree for --isolate tree (repeatable; default: here)\n"
	"      --share PATH       inside a tree, stays the real thing (repeatable)\n"
	"      --shared-writes report|fail  what a test wrote into a tree is reported\n"
	"                         (default); fail: a test that wrote outside --share fails\n"
	"\n"
	"supervision:\n"
	"  -j, --jobs N|auto      tests at once (default: $ISOLA_JOBS, else online CPUs); under\n"
	"                         make -jN (a '+' recipe) slots come from make's jobserver\n"
	"                         and N is a cap on top\n"
	"      --no-jobserver     ignore make's jobserver (also ISOLA_JOBSERVER=off)\n"
	"      --timeout DUR      stop a test after DUR (default 300s; 0: never)\n"
	"      --timeout-multiplier F  every timeout times F\n"
	"      --grace DUR        between SIGTERM and SIGKILL (default 5s)\n"
	"      --leak warn|fail   a test that leaves processes behind: warn (default) or fail\n"
	"      --skip-exit N, --error-exit N  the exit statuses that mean SKIP and ERROR\n"
	"                         (default 77 and 99, automake's)\n"
	"      --will-fail        the test is to fail: a failing exit passes, exit 0 fails\n"
	"      --label NAME       give the tests a label (-L selects by it)\n"
	"      --after GLOB       start only after the tests GLOB names have ended\n"
	"      --protocol P       how tests tell their results: exitcode (default), tap (TAP\n"
	"                         on stdout), gtest (GoogleTest's XML), junit (JUnit XML\n"
	"                         written to $XML_OUTPUT_FILE); each subtest is reported\n"
	"      --retries N        run a failed test again up to N times; one that then\n"
	"                         passes is FLAKY\n"
	"      --flaky-result pass|fail  what a FLAKY test counts as (default pass)\n"
	"      --fail-fast[=N]    after N tests failed (default 1), start no new test\n"
	"      --stop-running     with --fail-fast or --until-fail, stop the running tests too\n"
	"      --order WHAT       the order tests start in: longest (the default once durations\n"
	"                         are recorded; tests with none first), given, name or shuffle\n"
	"      --shuffle, --seed S  shuffle (with the seed of a run that printed it: again)\n"
	"      --slow DUR         say when a test has run longer than DUR; the summary lists\n"
	"                         the slowest tests over DUR (default 1s)\n"
	"      --lock NAME        tests holding the same lock never run at once (repeatable)\n"
	"      --serial           run the tests alone\n"
	"      --slots N          each test counts as N jobs\n"
	"      --requires NAME    the tests need the [setup NAME] fixture of the config file\n"
	"\n"
	"hunting flaky tests (a flake table per test ends the run):\n"
	"      --repeat N         run every test N times\n"
	"      --until-fail       stop at the first failure, keeping its sandbox (again and\n"
	"                         again until then; at most --repeat N times)\n"
	"      --stress DUR       again and again at full parallelism for DUR\n"
	"  -v, --verbose          say more: starts, sandboxes, staging; with one job, the\n"
	"                         test's output as it is written\n"
	"  -h, --help             this help\n"
	"\n"
	"reports (each may be combined with the others; FILE '-' is standard output):\n"
	"      --junit FILE       JUnit XML, as Jenkins, GitLab and GitHub read it\n"
	"      --tap FILE         TAP version 14\n"
	"      --json FILE        JSON Lines: one event per line (doc/reports.md)\n"
	"      --trace FILE       Chrome trace events, for Perfetto or chrome://tracing\n"
	"      --html FILE        one self-contained HTML page: failures, timeline, overhead\n"
	"A report file is created before the first test starts and replaced when the run ends.\n"
	"On a terminal a status line shows the running tests; the key t (or SIGUSR1 anywhere)\n"
	"lists them with their sandboxes. NO_COLOR and CLICOLOR_FORCE are honoured.\n"
	"\n"
	"exit status: 0 all passed or skipped, 1 some test did not pass, 2 bad usage or input,\n"
	"3 internal error, 128+N interrupted by signal N (130 for Ctrl-C).\n";

static const char list_usage[] =
	"usage: isola list [OPTIONS] [--] [TEST...]\n"
	"\n"
	"Prints the names of the tests 'isola run' would run with the same arguments.\n"
	"Takes the options of 'isola run'; with -v also each test's command and resources.\n";

static const char exec_usage[] =
	"usage: isola exec [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"\n"
	"Runs one command in a fresh sandbox, with the environment contract of 'isola run',\n"
	"passing stdin, stdout and stderr through. For runners you keep: ctest, meson test,\n"
	"automake's LOG_COMPILER, prove --exec, make rules.\n"
	"\n"
	"options (as for isola run):\n"
	"      --copy SRC[:DEST]  a private writable copy of SRC at DEST in the sandbox\n"
	"      --mkdir DIR        an empty directory in the sandbox\n"
	"  -e, --env NAME=VALUE   set a variable; VALUE may use ${ISOLA_SANDBOX}...\n"
	"      --unset NAME       remove a variable\n"
	"      --cwd DIR          working directory (relative to the sandbox)\n"
	"      --keep-home        keep the real HOME\n"
	"      --root DIR         where the sandbox goes (default: $ISOLA_SANDBOX under isola run,\n"
	"                         else $ISOLA_ROOT, $TMPDIR, /tmp)\n"
	"      --keep WHAT        keep the sandbox: failed (default), all, none\n"
	"      --timeout DUR      stop the command after DUR (default: never)\n"
	"      --grace DUR        between SIGTERM and SIGKILL (default 5s)\n"
	"  -v, --verbose          print the sandbox's path\n"
	"\n"
	"exit status: the command's own; 128+N if it was killed by signal N; 124 if it timed out;\n"
	"125 if isola failed (bad option, staging); 126 if the program could not be executed;\n"
	"127 if it was not found. 77 (skip) and 99 (hard error) pass through unchanged.\n";

static const char merge_usage[] =
	"usage: isola merge [OPTIONS] SHARD.jsonl...\n"
	"\n"
	"Joins the --json reports of the shards of one suite (isola run --partition, one per\n"
	"machine) into one report and one summary. A shard that is missing, given twice or cut\n"
	"short, and a test found in two shards, are named and make it exit 1: a lost shard\n"
	"never makes a green build.\n"
	"\n"
	"options:\n"
	"      --json FILE, --junit FILE, --tap FILE, --html FILE, --trace FILE\n"
	"                         the merged reports, as isola run writes them\n"
	"  -c, --config FILE      the suite's config (default: ./isola.ini if present), to name\n"
	"                         the tests of a lost shard\n"
	"  -k GLOB, --exclude GLOB  the selection the shards ran with (for naming missing tests)\n"
	"  -v, --verbose          every test, not only those that did not pass\n"
	"\n"
	"exit status: 0 all passed and nothing missing, 1 a test did not pass or results are\n"
	"missing or doubled, 2 bad usage or a file that is not an isola --json report,\n"
	"3 a report could not be written.\n";

static const char clean_usage[] =
	"usage: isola clean [--root DIR]\n"
	"\n"
	"Removes, under the sandbox root, the run directories of runs that died and the\n"
	"sandboxes that finished runs kept. Never touches a run that is still alive.\n";

static const char repro_usage[] =
	"usage: isola repro [--root DIR] [--shell] [--keep WHAT] SANDBOX|TEST\n"
	"\n"
	"Reruns the attempt a kept sandbox holds the evidence of, in a fresh sandbox staged as\n"
	"that attempt's was: the same program, argv, environment, resources and settings.\n"
	"TEST: the most recent kept sandbox of the test of that name under the root.\n"
	"\n"
	"      --root DIR     where run directories are (default: $ISOLA_ROOT, $TMPDIR, /tmp)\n"
	"      --shell        an interactive shell ($SHELL, else /bin/sh) in the fresh sandbox\n"
	"                     instead of the test, with its environment and namespaces; isola\n"
	"                     repro then exits with the shell's status\n"
	"      --keep WHAT    keep the fresh sandbox: failed (default), all, none\n"
	"\n"
	"Exit status: as isola run (0 passed, 1 failed); 2 when the sandbox is refused (no\n"
	"evidence isola made, another version's, another user's).\n";

void cli_usage(const char *cmd)
{
	if (!cmd)
		fputs(main_usage, stdout);
	else if (strcmp(cmd, "run") == 0)
		fputs(run_usage, stdout);
	else if (strcmp(cmd, "list") == 0)
		fputs(list_usage, stdout);
	else if (strcmp(cmd, "exec") == 0)
		fputs(exec_usage, stdout);
	else if (strcmp(cmd, "clean") == 0)
		fputs(clean_usage, stdout);
	else if (strcmp(cmd, "merge") == 0)
		fputs(merge_usage, stdout);
	else if (strcmp(cmd, "repro") == 0)
		fputs(repro_usage, stdout);
	else
		fputs(main_usage, stdout);
}

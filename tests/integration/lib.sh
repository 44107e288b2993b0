# SPDX-License-Identifier: MIT
# Helpers for the tests/e2e/exec-*.sh tests, sourced after tests/e2e/lib.sh. Each of those
# tests runs one real test runner (ctest, meson test, automake's harness, prove, make -j) on a
# scratch copy of the racy example suite, first as the suite is (it races, so some run must
# fail) and then with every test under `isola exec` (every run must pass).
#
# A test defines run_plain and run_isolated; each runs the whole suite once, with its output in
# $WORK/log, and sets PASSED and FAILED to the numbers of tests that passed and did not.
# racy_compare NAME then runs the suite as it is until it fails, and under isola exec $TRIES times
# (default 3; ISOLA_INTEGRATION_TRIES), each from a pristine copy, and judges (racy_unisolated
# and racy_isolated, one half each).

: "${ISOLA_SOURCE_DIR:?ISOLA_SOURCE_DIR must point at isola's source tree}"
INTEGRATION_DIR=$ISOLA_SOURCE_DIR/tests/integration
RACY_SRC=$ISOLA_SOURCE_DIR/examples/racy
RACY=$WORK/racy # the copy the runners work on; the repository's copy is only read
RACY_TESTS=8
TRIES=${ISOLA_INTEGRATION_TRIES:-3}

# The runners' builds must not join the jobserver of a make that started the test suite.
unset MAKEFLAGS MFLAGS MAKELEVEL
# isola exec makes its sandboxes under $ROOT (not nested in this test's own sandbox), so that
# the test can check they are all gone after passing runs.
unset ISOLA_SANDBOX
ISOLA_ROOT=$ROOT
export ISOLA_ROOT

# need PROGRAM...: skip the test (exit 77) when a runner is not installed.
need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || {
			echo "skip: '$p' is not installed (scripts/install-deps test installs it)"
			exit 77
		}
	done
}

# racy_copy: the scratch copy of the suite, without anything an earlier run left in the repo.
racy_copy() {
	cp -R "$RACY_SRC" "$RACY"
	rm -rf "$RACY/build" "$RACY/isola.ini" "$RACY/run-unisolated"
}

# racy_reset: pristine shared resources for the next run, and a fresh TMPDIR and HOME shared by
# all tests of that run (as the real ones would be).
racy_reset() {
	rm -rf "$RACY/methods" "$RACY/config" "$RACY/build" "$WORK/shared"
	cp -R "$RACY_SRC/methods" "$RACY_SRC/config" "$RACY/"
	mkdir -p "$WORK/shared/tmp" "$WORK/shared/home"
	TMPDIR=$WORK/shared/tmp HOME=$WORK/shared/home
	export TMPDIR HOME
}

# The shared resources are as they were: the isolated tests modified only their copies.
assert_shared_untouched() {
	diff -r "$RACY_SRC/methods" "$RACY/methods" >/dev/null ||
		fail "$1: the shared methods/ changed under isola exec"
	diff -r "$RACY_SRC/config" "$RACY/config" >/dev/null ||
		fail "$1: the shared config/ changed under isola exec"
	[ ! -e "$RACY/build" ] || fail "$1: a test built into the shared build/ under isola exec"
	[ ! -e "$WORK/shared/tmp/racy-app.lock" ] && [ ! -e "$WORK/shared/home/.racy" ] ||
		fail "$1: a test wrote into the shared TMPDIR or HOME under isola exec"
}

show_log() {
	echo "--- $WORK/log" >&2
	cat "$WORK/log" >&2
}

# racy_unisolated NAME: the suite as it is must fail in some run. The race is timing-dependent:
# on a machine busy enough to start the tests far apart it may hide for a few runs, so runs are
# made until one fails, up to $PLAIN_MAX (12; ISOLA_INTEGRATION_PLAIN_MAX). Sets plain_runs (runs made),
# plain_failed (runs that failed) and plain_tests (test failures).
PLAIN_MAX=${ISOLA_INTEGRATION_PLAIN_MAX:-12}
racy_unisolated() {
	plain_runs=0 plain_failed=0 plain_tests=0
	while [ "$plain_runs" -lt "$PLAIN_MAX" ]; do
		plain_runs=$((plain_runs + 1))
		racy_reset
		run_plain
		[ $((PASSED + FAILED)) -eq "$RACY_TESTS" ] ||
			{ show_log; fail "$1, unisolated, run $plain_runs: $PASSED passed and $FAILED failed, of $RACY_TESTS tests"; }
		if [ "$FAILED" -gt 0 ]; then
			plain_failed=$((plain_failed + 1)) plain_tests=$((plain_tests + FAILED))
		fi
		[ "$plain_failed" -eq 0 ] || break
	done
	[ "$plain_failed" -gt 0 ] ||
		fail "$1: the unisolated suite passed $plain_runs runs out of $plain_runs: the race did not show"
	echo "$1: unisolated, $plain_failed/$plain_runs runs failed ($plain_tests test failures)"
}

# racy_isolated NAME: under isola exec every one of $TRIES runs must pass, leave the shared
# resources as they were and leave no sandbox behind.
racy_isolated() {
	i=0
	while [ "$i" -lt "$TRIES" ]; do
		i=$((i + 1))
		racy_reset
		run_isolated
		[ "$FAILED" -eq 0 ] && [ "$PASSED" -eq "$RACY_TESTS" ] ||
			{ show_log; fail "$1 under isola exec, run $i: $PASSED passed, $FAILED failed"; }
		assert_shared_untouched "$1"
		assert_root_empty
	done
	echo "$1: under isola exec, 0/$TRIES runs failed"
}

racy_compare() {
	racy_unisolated "$1"
	racy_isolated "$1"
}

# run_many N OUTPREFIX PROGRAM [ARGS...]: N copies at once; FAILED counts those that failed.
run_many() {
	n=$1 prefix=$2
	shift 2
	pids= k=0
	while [ "$k" -lt "$n" ]; do
		k=$((k + 1))
		"$@" >"$prefix.$k" 2>&1 &
		pids="$pids $!"
	done
	FAILED=0
	for p in $pids; do
		wait "$p" || FAILED=$((FAILED + 1))
	done
}

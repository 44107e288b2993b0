# SPDX-License-Identifier: MIT
# Helpers for isola's end-to-end tests. Each test script sources this file, runs isola on small
# generated suites inside its own sandbox (TMPDIR is private), and asserts on what it sees.
# A failed assertion prints what was expected and what came, then exits 1.
set -eu

: "${ISOLA_BIN:?ISOLA_BIN must point at the isola binary under test}"
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/e2e.XXXXXX")
ROOT="$WORK/root"   # the sandbox root every isola run below uses
mkdir "$ROOT"
export LC_ALL=C TERM=dumb NO_COLOR=1
unset ISOLA_ROOT ISOLA_JOBS ISOLA_JOBSERVER CLICOLOR_FORCE
# Under `make -jN check` make's jobserver is in MAKEFLAGS: the runs and makes here are not its.
unset MAKEFLAGS MFLAGS
# Runs of isola here start tests in the order given: recorded durations would reorder a second
# run (timings.sh tests the recording, with this unset).
export ISOLA_TIMINGS=off
cd "$WORK"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run_isola ARGS...: run isola, keep stdout in $WORK/out, stderr in $WORK/err, status in $RC.
run_isola() {
	set +e
	"$ISOLA_BIN" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
}

assert_rc() {
	[ "$RC" -eq "$1" ] || {
		echo "--- stdout"; cat "$WORK/out"; echo "--- stderr"; cat "$WORK/err"
		fail "expected exit $1, got $RC"
	} >&2
}

# assert_out_has FILE REGEX
assert_has() {
	grep -Eq -- "$2" "$1" || {
		echo "--- $1"; cat "$1"
		fail "expected /$2/ in $1"
	} >&2
}

assert_not_has() {
	if grep -Eq -- "$2" "$1"; then
		echo "--- $1" >&2; cat "$1" >&2
		fail "did not expect /$2/ in $1"
	fi
}

assert_eq() {
	[ "$1" = "$2" ] || fail "expected '$2', got '$1'${3:+ ($3)}"
}

# The sandbox root holds nothing at all.
assert_root_empty() {
	left=$(ls -A "$ROOT")
	[ -z "$left" ] || fail "left behind under the sandbox root: $left"
}

# assert_refused REGEX ARGS...: `isola run --root $ROOT ARGS...` is refused before anything
# starts: exit 2, one line on stderr matching REGEX, nothing under the sandbox root.
assert_refused() {
	_re=$1
	shift
	run_isola run --root "$ROOT" "$@"
	assert_rc 2
	assert_has "$WORK/err" "$_re"
	assert_eq "$(wc -l <"$WORK/err")" 1 "one line: $(cat "$WORK/err")"
	assert_root_empty
}

# start_isola ARGS...: run isola in the background (stdout in $WORK/out, stderr in $WORK/err);
# its pid in $ISOLA_PID. wait_isola: wait for it, its status in $RC.
start_isola() {
	"$ISOLA_BIN" "$@" >"$WORK/out" 2>"$WORK/err" &
	ISOLA_PID=$!
}
wait_isola() {
	set +e
	wait "$ISOLA_PID"
	RC=$?
	set -e
}

# make_test NAME BODY: an executable sh script in $WORK.
make_test() {
	printf '#!/bin/sh\n%s\n' "$2" >"$WORK/$1"
	chmod +x "$WORK/$1"
}

# No process carrying this run's sandbox root in its environment or command line survives.
assert_no_procs() {
	for p in /proc/[0-9]*; do
		[ "$p" = "/proc/$$" ] && continue
		if tr "\\0" "\\n" 2>/dev/null <"$p/cmdline" | grep -q "^$WORK/" ||
			tr "\\0" "\\n" 2>/dev/null <"$p/environ" | grep -q "^ISOLA_SANDBOX=$ROOT/"; then
			fail "process left running: $(tr '\0' ' ' <"$p/cmdline")"
		fi
	done
}

# wait_until WHAT COMMAND...: until COMMAND succeeds; no timing assumption beyond a generous
# bound (about 10 s), after which the test fails saying WHAT did not happen.
wait_until() {
	_what=$1
	shift
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -lt 1000 ] || fail "$_what"
		sleep 0.01
	done
}

# wait_for FILE: until a test has signalled (by creating FILE) that it got somewhere.
wait_for() {
	wait_until "timed out waiting for $1" test -e "$1"
}

# as_user COMMAND...: run COMMAND in $UDIR as the ordinary user $UID_TEST (no capabilities,
# HOME=$UDIR); stdout in $WORK/out, stderr in $WORK/err, status in $RC, as run_isola.
as_user() {
	set +e
	(cd "$UDIR" && setpriv --reuid="$UID_TEST" --regid="$UID_TEST" --clear-groups \
		--inh-caps=-all --bounding-set=-all env HOME="$UDIR" "$@") >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
}

# make_user_dir NAME: $UDIR, a directory the ordinary user $UID_TEST can work in ($WORK is
# root's, 0700), holding a copy of isola; removed, with $WORK, at the end.
make_user_dir() {
	UDIR=$(mktemp -d "/tmp/isola-e2e-$1.XXXXXX")
	chmod 0755 "$UDIR"
	trap cleanup_user_dir EXIT
	cp "$ISOLA_BIN" "$UDIR/isola"
}
cleanup_user_dir() {
	cd /
	chmod -R u+rwx "$UDIR" 2>/dev/null || true
	rm -rf "$UDIR"
	cleanup_work
}

# wait_no_procs: until assert_no_procs holds (killing is not instantaneous), then assert it.
wait_no_procs() {
	_i=0
	while ! (assert_no_procs) 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 500 ] || assert_no_procs
		sleep 0.01
	done
}

cleanup_work() {
	chmod -R u+rwx "$WORK" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup_work EXIT

#!/bin/sh
# SPDX-License-Identifier: MIT
# isola exec: one command in a fresh sandbox; stdio passes through; the exit status is the
# command's (77 and 99 unchanged, 128+N for a signal, 124 for a timeout); isola's own errors are
# 125, 126 (cannot execute) and 127 (not found); failures keep their sandbox, others leave nothing.
. "$(dirname "$0")/lib.sh"

mkdir -p res && echo orig >res/v

run_exec() {
	set +e
	"$ISOLA_BIN" exec --root "$ROOT" "$@" <in >out 2>err
	RC=$?
	set -e
}
echo "from stdin" >in

run_exec --copy res --mkdir build --env 'V=${ISOLA_SANDBOX}/res/v' -- sh -c '
	cat; cat "$V"; echo changed >"$V"; [ -d build ] && [ "$PWD" = "$ISOLA_SANDBOX" ] &&
	[ "$TMPDIR" = "$ISOLA_SANDBOX/tmp" ] && [ "$HOME" = "$ISOLA_SANDBOX/home" ] && echo to-err >&2'
assert_rc 0
assert_eq "$(cat out)" "from stdin
orig"
assert_eq "$(cat err)" "to-err"
assert_eq "$(cat res/v)" orig
assert_root_empty

for code in 1 3 77 99; do
	run_exec --keep none -- sh -c "exit $code"
	assert_rc "$code"
done
assert_root_empty

run_exec -- sh -c 'kill -TERM $$'
assert_rc 143
assert_has err "^isola: exec: kept sandbox $ROOT/isola-"
run_isola clean --root "$ROOT"
assert_root_empty

run_exec --timeout 0.2 --grace 0.1 -- sh -c 'trap "" TERM; sleep 30'
assert_rc 124
assert_has err "^isola: exec: 'sh' timed out after 200 ms$"
run_isola clean --root "$ROOT"

# A timeout below a millisecond is still a timeout (not "none").
run_exec --keep none --timeout 500us -- sleep 5
assert_rc 124

run_exec -- no-such-program-anywhere
assert_rc 127
assert_has err "^isola: exec: cannot start 'no-such-program-anywhere': not found in PATH$"
printf 'not a program\n' >notexec
chmod -x notexec
run_exec -- ./notexec
assert_rc 126
assert_has err "cannot start '.*notexec': Permission denied$"
assert_root_empty

# isola's own errors: 125, one line, nothing created.
run_exec --bogus -- true
assert_rc 125
assert_has err "^isola: exec: unknown option '--bogus'"
run_exec --copy missing -- true
assert_rc 125
assert_has err "^isola: exec: cannot copy '$WORK/missing': No such file or directory$"
run_exec --copy res:../x -- true
assert_rc 125
run_exec
assert_rc 125
assert_has err '^isola: exec: no command given'
assert_root_empty

# A leaked daemon is killed and reported.
run_exec --keep none -- sh -c 'setsid sleep 305 </dev/null >/dev/null 2>&1 & exit 0'
assert_rc 0
assert_has err "^isola: exec: 'sh' left 1 process behind: killed$"
assert_no_procs

# Options end at the program: its own options are its own.
run_exec --keep none -- sh -c 'echo "$1"' sh --copy
assert_rc 0
assert_eq "$(cat out)" "--copy"

# Under isola run, isola exec nests its sandbox inside the test's (ISOLA_SANDBOX).
make_test nested.sh "\"$ISOLA_BIN\" exec -- sh -c 'case \$ISOLA_SANDBOX in \"\$OUTER\"/*) exit 0 ;; esac; exit 1'"
run_isola run --root "$ROOT" --env 'OUTER=${ISOLA_SANDBOX}' nested.sh
assert_rc 0
assert_root_empty

# SIGTERM to isola exec is passed on to the command, whose status is then the exit status.
make_test slow.sh "trap 'echo got-term; exit 7' TERM; touch \"$WORK/slow.started\"; sleep 60 & wait"
"$ISOLA_BIN" exec --root "$ROOT" --keep none -- "$WORK/slow.sh" >out 2>err &
pid=$!
wait_for slow.started
kill -TERM "$pid"
set +e
wait "$pid"
RC=$?
set -e
assert_rc 7
assert_eq "$(cat out)" got-term
assert_no_procs
assert_root_empty

# Options that only make sense for a suite are refused, not ignored.
for opt in "--config x.ini" "-j 2" "-k x" "--exclude x" "--retries 1" "--leak fail" "--junit j.xml"; do
	# shellcheck disable=SC2086 # an option and its value
	run_exec $opt -- true
	assert_rc 125
	assert_has err "^isola: exec: option '--[a-z]+' is for isola run, not isola exec$"
done
assert_root_empty

# isola exec killed with SIGKILL: its keeper kills the command (and what it started).
rm -f slow.started
"$ISOLA_BIN" exec --root "$ROOT" -- sh -c "setsid sleep 306 </dev/null >/dev/null 2>&1 & touch \"$WORK/slow.started\"; sleep 307" >out 2>err &
pid=$!
wait_for slow.started
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait_no_procs
run_isola clean --root "$ROOT"
i=0
while [ -n "$(ls -A "$ROOT")" ]; do
	i=$((i + 1)); [ $i -lt 500 ] || fail "the killed exec's sandbox was never cleaned"
	sleep 0.01
	run_isola clean --root "$ROOT"
done

# On a terminal: the command gets the terminal (its own process group is the foreground one), so
# reading stdin works instead of stopping it with SIGTTIN; isola takes the terminal back after.
pty_run="$(dirname "$ISOLA_BIN")/tests/helpers/pty-run"
[ -x "$pty_run" ] || fail "tests/helpers/pty-run is not built"
"$pty_run" -T 30 -o pty.out -k "$WORK/tty.ready=hello
" -m -- "$ISOLA_BIN" exec --root "$ROOT" --keep none -- sh -c "touch '$WORK/tty.ready'; read x; echo \"got \$x\"" 2>pty.err
RC=$?
assert_rc 0
assert_has pty.out 'got hello'
assert_has pty.err '^pty-run: modes: icanon echo$'
assert_root_empty

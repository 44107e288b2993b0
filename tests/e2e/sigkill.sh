#!/bin/sh
# SPDX-License-Identifier: MIT
# isola killed with SIGKILL: its tests (and what they spawned) die too; the next isola run, or
# isola clean, removes the dead run's sandboxes, but never those of a run that is still alive.
. "$(dirname "$0")/lib.sh"

make_test victim.sh "setsid sleep 303 </dev/null >/dev/null 2>&1 & touch \"$WORK/victim.started\"; sleep 304"
"$ISOLA_BIN" run --root "$ROOT" victim.sh >out 2>err &
pid=$!
wait_for "$WORK/victim.started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true

# The keeper kills the test and its daemon; give it a moment (bounded) to do so.
wait_no_procs
dead_run=$(ls "$ROOT")
[ -n "$dead_run" ] || fail "the killed run left no directory (expected its sandbox to remain until cleanup)"
# The keeper holds the run's lock until its work is done.
wait_unlocked() {
	i=0
	until flock -n "$1" true; do
		i=$((i + 1))
		[ $i -lt 500 ] || fail "$1 stayed locked after its run died"
		sleep 0.01
	done
}
wait_unlocked "$ROOT/$dead_run"

# A live run, started now, must survive a concurrent cleanup...
make_test alive.sh "touch \"$WORK/alive.started\"; while [ ! -e \"$WORK/alive.stop\" ]; do sleep 0.01; done"
"$ISOLA_BIN" run --root "$ROOT" alive.sh >alive.out 2>&1 &
alive=$!
wait_for "$WORK/alive.started"

# ...while the next run removes the dead one's sandboxes.
make_test ok.sh 'exit 0'
run_isola run --root "$ROOT" ok.sh
assert_rc 0
[ ! -e "$ROOT/$dead_run" ] || fail "the dead run's directory $dead_run was not removed"
live_dirs=$(ls "$ROOT")
[ -n "$live_dirs" ] || fail "the live run's directory was removed"

run_isola clean --root "$ROOT"
assert_rc 0
assert_has out '^removed 0 run directories from '
[ "$(ls "$ROOT")" = "$live_dirs" ] || fail "isola clean touched a live run"

touch "$WORK/alive.stop"
wait "$alive" || fail "the live run failed: $(cat alive.out)"
assert_root_empty

# isola clean also removes a dead run (here: killed again).
rm -f "$WORK/victim.started"
"$ISOLA_BIN" run --root "$ROOT" victim.sh >out 2>err &
pid=$!
wait_for "$WORK/victim.started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait_no_procs
wait_unlocked "$ROOT"/isola-*
run_isola clean --root "$ROOT"
assert_rc 0
assert_has out '^removed 1 run directory from '
assert_root_empty

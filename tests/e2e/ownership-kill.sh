#!/bin/sh
# SPDX-License-Identifier: MIT
# Nothing survives isola: SIGKILL of isola with each kind of leaker running (in a pid namespace
# and in the subreaper fallback), a keeper that was sent SIGUSR1 first, and isola exec, which
# owns its command's processes as isola run does. Survivors are looked for by their command line
# (a path under $WORK), which no leaker can clear.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/ownership.inc"
make_lurk

# Each leaker leaves its lurker, says it got there, and waits to be killed with isola.
make_test k_group.sh "lurk=$WORK/lurk"'; env -i "$lurk" & touch "$1"; sleep 300'
make_test k_setsid.sh "lurk=$WORK/lurk"'; setsid env -i "$lurk" </dev/null >/dev/null 2>&1 & touch "$1"; sleep 300'
make_test k_title.sh "dir=$WORK"'; perl -MPOSIX=setsid -e '\''exit 0 if fork; setsid(); $0 = "$ARGV[0]/title " . ("x" x 4000); sleep 300'\'' "$dir" </dev/null >/dev/null 2>&1; touch "$1"; sleep 300'
make_test k_daemon.sh "lurk=$WORK/lurk"'; setsid sh -c "\"$lurk\" & exit 0" </dev/null >/dev/null 2>&1; touch "$1"; sleep 300'

# kill_run MODE TEST: run TEST under isola, SIGKILL isola once the leak is made, expect nothing
# of it to survive. MODE: "" or the environment of the fallback.
kill_run() {
	rm -f "$WORK/started"
	cat >"$WORK/kill.ini" <<-INI
	[test $2]
	command = $WORK/$2 $WORK/started
	INI
	env $1 "$ISOLA_BIN" run --root "$ROOT" --config "$WORK/kill.ini" >"$WORK/out" 2>&1 &
	pid=$!
	wait_for "$WORK/started"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	wait_no_procs
}

for mode in "" ISOLA_TEST_NO_PIDNS=1; do
	for t in k_group.sh k_setsid.sh k_title.sh k_daemon.sh; do
		kill_run "$mode" "$t"
	done
done

# In the fallback a test can kill its init (same uid): the test is an ERROR that says so, and
# what the init owned is killed at the end of the run and reported there, charged to nobody.
make_test kills_init.sh "lurk=$WORK/lurk"'; setsid "$lurk" </dev/null >/dev/null 2>&1 & sleep 0.05; kill -KILL $PPID; sleep 0.1'
make_test bystander.sh 'sleep 0.3'
ISOLA_TEST_NO_PIDNS=1 run_isola run --root "$ROOT" --keep none --leak fail -j2 kills_init.sh bystander.sh
assert_rc 1
assert_has out '^ERROR +[0-9.]+s  kills_init\.sh \(isola: its init \(pid [0-9]+\) was killed; processes it left are killed at the end of the run \(no evidence is kept: they could write it\)\)$'
assert_has out '^PASS +[0-9.]+s  bystander\.sh$'
assert_has out "^1 process of unknown origin \\(no test could be charged\\), killed: /usr/bin/perl $WORK/lurk\$"
assert_no_procs
assert_root_empty
# Its sandbox, kept, holds no evidence (what it left running could have written one of its own
# making there): isola repro refuses it.
ISOLA_TEST_NO_PIDNS=1 run_isola run --root "$ROOT" kills_init.sh
assert_rc 1
KS=$(sed -n 's|^  kills_init\.sh  *\(/.*\)$|\1|p' out)
[ -d "$KS" ] || fail "kills_init.sh's sandbox was not kept: $(cat out)"
[ ! -e "$KS/isola-evidence" ] || fail "evidence was written while the test's processes ran loose"
run_isola repro --root "$ROOT" "$KS"
assert_rc 2
assert_has err "is not a sandbox isola kept with evidence"
"$ISOLA_BIN" clean --root "$ROOT" >/dev/null
assert_no_procs
# In a pid namespace the init is out of the test's reach: the kill does nothing.
run_isola run --root "$ROOT" --keep none --leak fail -v kills_init.sh
if grep -q 'owned by a pid namespace' out; then
	assert_has out '^LEAK +[0-9.]+s  kills_init\.sh \(left 1 process behind\)$'
	assert_not_has out 'unknown origin'
fi
assert_no_procs

# Inits in a pid namespace die with isola (the kernel ends their namespace when isola's thread
# ends): no keeper is started for them (SIGKILL above left nothing all the same).
run_isola run --root "$ROOT" --keep none -v bystander.sh
pidns=0
grep -q 'owned by a pid namespace' out && pidns=1
if [ "$pidns" = 1 ]; then
	rm -f "$WORK/started"
	cat >"$WORK/kill.ini" <<-INI
	[test k_setsid.sh]
	command = $WORK/k_setsid.sh $WORK/started
	INI
	"$ISOLA_BIN" run --root "$ROOT" --config "$WORK/kill.ini" </dev/null >"$WORK/out" 2>&1 &
	pid=$!
	wait_for "$WORK/started"
	pgrep -P "$pid" -x isola-init >/dev/null || fail "no init among isola's children"
	! pgrep -P "$pid" -x isola-keeper >/dev/null || fail "a keeper was started for a pid namespace"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	wait_no_procs
	run_isola clean --root "$ROOT"
fi

# A keeper (started for a subreaper) sent SIGUSR1 (pkill -USR1 isola reaches it too) ignores
# it, and still does its job.
rm -f "$WORK/started"
cat >"$WORK/kill.ini" <<-INI
[test k_setsid.sh]
command = $WORK/k_setsid.sh $WORK/started
INI
ISOLA_TEST_NO_PIDNS=1 "$ISOLA_BIN" run --root "$ROOT" --config "$WORK/kill.ini" >"$WORK/out" 2>&1 &
pid=$!
wait_for "$WORK/started"
keeper=$(pgrep -P "$pid" -x isola-keeper) || fail "no keeper among isola's children (subreaper)"
kill -USR1 "$keeper"
for sig in HUP INT TERM QUIT USR2 PIPE ALRM; do kill -"$sig" "$keeper"; done
sleep 0.1
kill -0 "$keeper" 2>/dev/null || fail "the keeper died of a signal it should ignore"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait_no_procs
run_isola clean --root "$ROOT"

# isola exec owns what its command leaves, however it left.
run_isola exec --root "$ROOT" -- sh -c "setsid env -i $WORK/lurk </dev/null >/dev/null 2>&1 &"
assert_rc 0
assert_has err "left 1 process behind: killed"
assert_no_procs
run_isola exec --root "$ROOT" -- sh -c "$WORK/lurk & $WORK/lurk & exit 3"
assert_rc 3
assert_has err "left 2 processes behind: killed"
assert_no_procs
# ... and nothing of it survives isola exec killed with SIGKILL: its init dies with it (pid
# namespace), or its keeper ends it (subreaper).
for mode in "" ISOLA_TEST_NO_PIDNS=1; do
	rm -f "$WORK/started"
	env $mode "$ISOLA_BIN" exec --root "$ROOT" -- "$WORK/k_setsid.sh" "$WORK/started" >"$WORK/out" 2>&1 &
	pid=$!
	wait_for "$WORK/started"
	if [ -z "$mode" ] && [ "$pidns" = 1 ]; then
		! pgrep -P "$pid" -x isola-keeper >/dev/null || fail "isola exec started a keeper"
	else
		pgrep -P "$pid" -x isola-keeper >/dev/null || fail "isola exec has no keeper ($mode)"
	fi
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	wait_no_procs
	run_isola clean --root "$ROOT"
done
assert_root_empty

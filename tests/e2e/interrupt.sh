#!/bin/sh
# SPDX-License-Identifier: MIT
# Ctrl-C (SIGINT), SIGTERM and SIGHUP to isola: nothing new starts, running tests get SIGTERM and
# the grace period, sandboxes go per --keep, the summary is printed, the exit status is 128+N.
# A second signal skips the grace period.
. "$(dirname "$0")/lib.sh"

make_test long.sh "trap 'echo stopping; exit 1' TERM; touch \"$WORK/started.\$ISOLA_SLOT\"; sleep 60 & wait"
make_test never.sh "touch '$WORK/never-ran'"

cp long.sh long2.sh
for sig in INT TERM HUP; do
	rm -f "$WORK"/started.* out
	"$ISOLA_BIN" run --root "$ROOT" -j2 --keep none long.sh long2.sh never.sh >out 2>err &
	pid=$!
	wait_for "$WORK/started.0"
	wait_for "$WORK/started.1"
	kill -"$sig" "$pid"
	set +e
	wait "$pid"
	rc=$?
	set -e
	case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
	assert_eq "$rc" "$want" "exit status after SIG$sig"
	assert_has out '^ERROR +[0-9.]+s  long\.sh \(interrupted; exit 1\)$'
	assert_has out '^    \| stopping$'
	assert_has out '^interrupted: 1 test not run$'
	[ ! -e "$WORK/never-ran" ] || fail "a test started after SIG$sig"
	assert_no_procs
	assert_root_empty
done

# A second Ctrl-C does not wait out the grace period of tests that ignore SIGTERM.
make_test deaf.sh "trap '' TERM; touch '$WORK/deaf.started'; sleep 60"
"$ISOLA_BIN" run --root "$ROOT" --grace 3600 deaf.sh >out 2>err &
pid=$!
wait_for "$WORK/deaf.started"
kill -INT "$pid"
sleep 0.2
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 130
assert_has out '^ERROR +[0-9.]+s  deaf\.sh \(interrupted; killed by SIGKILL\)$'
assert_no_procs
# deaf.sh failed (interrupted): its sandbox is kept as evidence by default.
assert_has out '^kept sandboxes:$'

#!/bin/sh
# SPDX-License-Identifier: MIT
# Processes a test leaves behind are found (a background child in its group, and a daemon that
# double-forked and called setsid), attributed to it, killed and reported; --leak fail fails it.
. "$(dirname "$0")/lib.sh"

make_test bg.sh 'sleep 300 & echo started'
# A classic daemon: fork, setsid, fork again; the intermediate exits at once.
make_test daemon.sh 'setsid sh -c "sleep 301 & exit 0" </dev/null >/dev/null 2>&1; echo daemonised'
make_test clean.sh 'sleep 0.1'

run_isola run --root "$ROOT" -j3 bg.sh daemon.sh clean.sh
assert_rc 0
assert_has out '^PASS +[0-9.]+s  bg\.sh \[left 1 process behind: killed\]$'
assert_has out '^PASS +[0-9.]+s  daemon\.sh \[left 1 process behind: killed\]$'
assert_has out '^PASS +[0-9.]+s  clean\.sh$'
assert_no_procs
assert_root_empty

run_isola run --root "$ROOT" --leak fail bg.sh daemon.sh clean.sh
assert_rc 1
assert_has out '^LEAK +[0-9.]+s  bg\.sh \(left 1 process behind\)$'
assert_has out '^LEAK +[0-9.]+s  daemon\.sh \(left 1 process behind\)$'
assert_has out '^failures: 2 LEAK$'
assert_eq "$(tail -n 1 out)" "1 passed, 2 failed"
assert_no_procs

# A leak is attributed to the test that made it, not to a neighbour running at the same time.
make_test leaky_slow.sh 'sleep 302 & sleep 0.5'
make_test quiet_fast.sh 'sleep 0.1'
run_isola run --root "$ROOT" -j2 --leak fail leaky_slow.sh quiet_fast.sh
assert_rc 1
assert_has out '^PASS +[0-9.]+s  quiet_fast\.sh$'
assert_has out '^LEAK +[0-9.]+s  leaky_slow\.sh'
assert_no_procs

# A daemon that clears its environment (no ISOLA_MARK) and leaves the test's process group is
# still its test's, alone or beside a neighbour: it lives in the test's pid namespace (or under
# its init, in the fallback). Nothing survives the run. (More ways: ownership*.sh.)
run_isola clean --root "$ROOT"
make_test envi.sh 'setsid env -i /bin/sleep 3071 </dev/null >/dev/null 2>&1 & sleep 0.1'
make_test neighbour.sh 'sleep 0.6'
run_isola run --root "$ROOT" --keep none --leak fail envi.sh
assert_rc 1
assert_has out '^LEAK +[0-9.]+s  envi\.sh'
if pgrep -f 'sleep 3071' >/dev/null; then fail "the env -i daemon outlived the run"; fi
run_isola run --root "$ROOT" --keep none --leak fail -j2 envi.sh neighbour.sh
assert_rc 1
assert_has out '^LEAK +[0-9.]+s  envi\.sh \(left 1 process behind\)$'
assert_has out '^PASS +[0-9.]+s  neighbour\.sh$'
if pgrep -f 'sleep 3071' >/dev/null; then fail "the env -i daemon outlived a run with neighbours"; fi
assert_root_empty

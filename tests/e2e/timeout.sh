#!/bin/sh
# SPDX-License-Identifier: MIT
# Timeouts: SIGTERM to the whole group, SIGKILL after the grace period for a test that ignores
# SIGTERM; a signalled test is never reported as passing; per-test timeouts from the config;
# --timeout 0 means none.
. "$(dirname "$0")/lib.sh"

# Ignores SIGTERM, and so does a child in its group: only SIGKILL after the grace ends them.
make_test stubborn.sh 'trap "" TERM; sh -c "trap \"\" TERM; sleep 60" & sleep 60; wait'
# Exits 0 when told to stop: still not a pass.
make_test polite.sh 'trap "echo got TERM; exit 0" TERM; sleep 60 & wait'
make_test quick.sh 'exit 0'

run_isola run --root "$ROOT" -j3 --timeout 1.5 --grace 0.3 stubborn.sh polite.sh quick.sh
assert_rc 1
assert_has out '^TIMEOUT +[0-9.]+s  stubborn\.sh \(timed out after 1\.500s; killed by SIGKILL\)$'
assert_has out '^TIMEOUT +[0-9.]+s  polite\.sh \(timed out after 1\.500s; exit 0\)$'
assert_has out '^    \| got TERM$'
assert_has out '^PASS +[0-9.]+s  quick\.sh$'
assert_eq "$(tail -n 1 out)" "1 passed, 2 failed"
assert_no_procs

# Per-test timeout from the config overrides the suite's; the command line overrides both.
cat >isola.ini <<INI
[suite]
timeout = 60s
[test slow]
command = sh -c "sleep 5"
timeout = 0.3s
[test fine]
command = true
INI
run_isola run --root "$ROOT" --grace 0.2
assert_rc 1
assert_has out '^TIMEOUT +[0-9.]+s  slow \(timed out after 0\.300s; killed by SIGTERM\)$'
assert_has out '^PASS +[0-9.]+s  fine$'
run_isola run --root "$ROOT" --timeout 0 -k fine
assert_rc 0

# --timeout 0: no deadline at all (the test outlives what a default-ish small one would allow).
make_test nap.sh 'sleep 0.6'
run_isola run --root "$ROOT" --config /dev/null --timeout 0 nap.sh
assert_rc 0

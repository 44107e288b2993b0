#!/bin/sh
# SPDX-License-Identifier: MIT
# Overlays and read-only bind mounts exist only in each test's own mount namespace: whatever
# way a test ends (passes, fails, times out, Ctrl-C, isola killed with SIGKILL), no mount is
# left in any namespace, and the upper directories (work/work is mode 000) are removed.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

mkdir -p fx/sub
echo original >fx/data
make_bulk fx
before=$(tree_state fx)
ARGS="--copy fx --ro fx:ro --mkdir fx/sub/made"

# While a test runs, its mounts are in its namespace and nowhere else.
make_test inside.sh "
grep -q ' $ROOT/[^ ]*/fx rw,.* - overlay ' /proc/self/mountinfo || { echo 'no overlay in my namespace'; exit 1; }
grep -q ' $ROOT/[^ ]*/ro ro,' /proc/self/mountinfo || { echo 'no read-only bind mount'; exit 1; }
if grep -qF '$ROOT' /proc/\$PPID/mountinfo; then echo 'isola sees a mount of mine'; exit 1; fi
echo changed >fx/data; rm -r fx/sub; exit 3"
run_isola run --root "$ROOT" -v --keep none $ARGS inside.sh
assert_rc 1
assert_has out '^FAIL .*inside\.sh \(exit 3\)'
assert_has out 'staged by overlay\+bind'
assert_no_mounts
assert_root_empty

# Timeout, with a test that ignores SIGTERM and leaves a daemon in its namespace.
make_test stuck.sh "trap '' TERM; setsid sleep 301 </dev/null >/dev/null 2>&1 & echo x >fx/data; touch '$WORK/stuck.started'; while :; do sleep 1; done"
run_isola run --root "$ROOT" --keep none --timeout 0.5s --grace 0.2s $ARGS stuck.sh
assert_rc 1
assert_has out '^TIMEOUT '
wait_no_mounts
wait_no_procs
assert_root_empty

# Ctrl-C.
rm -f "$WORK/stuck.started"
"$ISOLA_BIN" run --root "$ROOT" --keep none --grace 0.2s $ARGS stuck.sh >out 2>err &
pid=$!
wait_for "$WORK/stuck.started"
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 130 "exit status after Ctrl-C"
wait_no_mounts
wait_no_procs
assert_root_empty

# isola killed with SIGKILL: its keeper kills the tests, their namespaces go with them, and
# the next run removes the dead run's sandbox, upper and work dirs included.
rm -f "$WORK/stuck.started"
"$ISOLA_BIN" run --root "$ROOT" --keep none $ARGS stuck.sh >out 2>err &
pid=$!
wait_for "$WORK/stuck.started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait_no_mounts
wait_no_procs
[ -n "$(ls "$ROOT")" ] || fail "the killed run left no directory"
i=0
until run_isola clean --root "$ROOT" && [ -z "$(ls -A "$ROOT")" ]; do
	i=$((i + 1))
	[ $i -lt 500 ] || { cat out err; fail "isola clean left: $(ls -A "$ROOT")"; }
	sleep 0.01
done
assert_no_mounts
[ "$(tree_state fx)" = "$before" ] || fail "the original resource changed"

# A test that vandalises its copy (symlinks to outside, in place of a directory too, and
# directories it made unreadable) cannot make the removal of its copy touch anything outside.
mkdir outside
echo keep >outside/precious
make_test vandal.sh "cd fx && ln -s '$WORK/outside' evil && rm -r sub && ln -s '$WORK/outside' sub && mkdir -p locked/in && touch locked/in/f && chmod 000 locked/in locked"
for how in copy overlay; do
	run_isola run --root "$ROOT" --keep none --stage "$how" --copy fx vandal.sh
	assert_rc 0
	assert_eq "$(cat outside/precious)" keep "--stage $how"
	assert_root_empty
done
[ "$(tree_state fx)" = "$before" ] || fail "the original resource changed"

#!/bin/sh
# SPDX-License-Identifier: MIT
# The event loop never waits on the filesystem or on what a test left: a sandbox full of files is
# removed on a worker while the next test already runs; a test that replaces its log with a fifo
# cannot hang isola; under a small fd limit isola runs fewer tests at once (one warning) instead
# of failing them.
. "$(dirname "$0")/lib.sh"

# litter.sh leaves 30,000 files in its sandbox. probe.sh starts in the slot litter.sh freed (gate.sh
# keeps the other slot busy until then) and passes only if that sandbox is still there: its
# removal did not hold the loop up.
make_test litter.sh "echo \"\$ISOLA_SANDBOX\" >$WORK/litter.path"'
mkdir "$ISOLA_SANDBOX/l" && cd "$ISOLA_SANDBOX/l" && perl -e '\''for (1..30000) { open(my $f, ">", $_) or die }'\'"
touch $WORK/litter.done"
make_test gate.sh "while [ ! -e $WORK/litter.done ]; do sleep 0.01; done; sleep 0.5"
make_test probe.sh "[ -d \"\$(cat $WORK/litter.path)/l\" ]"
run_isola run --root "$ROOT" -j2 --keep none litter.sh gate.sh probe.sh
assert_rc 0
assert_has out '^PASS +[0-9.]+s  probe\.sh$'
assert_root_empty

# A log replaced by a fifo (or anything not a regular file) is not read: the failure is
# reported without its output, and the run ends.
make_test fifo.sh 'echo output; rm -f "$ISOLA_SANDBOX.log"; mkfifo "$ISOLA_SANDBOX.log"; exit 1'
make_test ok.sh 'sleep 0.1'
set +e
timeout 60 "$ISOLA_BIN" run --root "$ROOT" -j2 --keep none fifo.sh ok.sh >out 2>err
RC=$?
set -e
[ "$RC" -ne 124 ] || fail "isola hung on a test's log replaced by a fifo"
assert_rc 1
assert_has out '^FAIL +[0-9.]+s  fifo\.sh \(exit 1\)$'
assert_has out '^PASS +[0-9.]+s  ok\.sh$'
assert_no_procs

# Under a small fd limit (the issue's -j600 under ulimit -n 512): one warning, fewer tests at a
# time, every result right.
i=1
while [ $i -le 599 ]; do
	ln -s t.sh "t$i.sh"
	i=$((i + 1))
done
make_test t.sh 'exit 0'
make_test leak.sh 'sleep 300 & sleep 0.05'
set +e
(ulimit -n 512 && exec "$ISOLA_BIN" run --root "$ROOT" -j600 --keep none --leak fail 't[0-9]*.sh' leak.sh) >out 2>err
RC=$?
set -e
assert_rc 1
assert_has err '^isola: warning: -j600 needs about [0-9]+ open files and the limit is 512 \(ulimit -n\): running 74 tests at a time$'
assert_eq "$(grep -c '^isola: ' err)" 1 "warnings"
assert_has out '^LEAK +[0-9.]+s  leak\.sh \(left 1 process behind\)$'
assert_eq "$(tail -n 1 out)" "599 passed, 1 failed"
assert_no_procs
assert_root_empty

#!/bin/sh
# SPDX-License-Identifier: MIT
# Fault injection: a sandbox root that fills up (mid-copy, mid-log), one that is read-only, one
# removed while the run goes on, a report directory that is full, and no process to be had
# (RLIMIT_NPROC). Each run ends with a clear reason per affected test and the documented exit
# status, with nothing left running and, where it can go, nothing left on disk. Runs in a mount
# namespace of its own (its small tmpfs mounts vanish with it); needs root for them.
set -eu
. "$(dirname "$0")/mountns.inc"
. "$(dirname "$0")/lib.sh"
make_test ok.sh 'exit 0'
unmount_all() {
	umount "$WORK/small" "$WORK/ro" "$WORK/reports" 2>/dev/null || true
}
trap 'unmount_all; cleanup_work' EXIT

# A root of 1 MiB: a 2 MiB resource does not fit. The copy fails with ENOSPC: ERROR, the
# reason names it; the neighbour without resources passes; --keep none leaves nothing.
mkdir small
mount -t tmpfs -o size=1m isola-e2e-small small
head -c 2097152 /dev/zero >big.bin
printf '[suite]\nstage = copy\n[test copies]\ncommand = %s/ok.sh\ncopy = big.bin\n[test plain]\ncommand = %s/ok.sh\n' \
	"$WORK" "$WORK" >copy.ini
run_isola run --root "$WORK/small" --keep none --config copy.ini
assert_rc 1
assert_has out "^ERROR +[0-9.]+s  copies \\(isola: cannot copy '.*big\\.bin': No space left on device\\)$"
assert_has out '^PASS +[0-9.]+s  plain$'
assert_eq "$(ls -A small)" "" "the small root after the run"
# A log that cannot grow: the test's writes fail (its business), isola reports it and goes on.
make_test chatty.sh 'head -c 2097152 /dev/zero || exit 7'
run_isola run --root "$WORK/small" --keep none chatty.sh ok.sh
assert_rc 1
assert_has out '^FAIL +[0-9.]+s  chatty\.sh \(exit 7\)$'
assert_has out '^PASS +[0-9.]+s  ok\.sh$'
assert_eq "$(ls -A small)" "" "the small root after the run"
assert_no_procs

# A read-only root: nothing can start; one line, exit 2, nothing left.
mkdir ro
mount -t tmpfs -o size=1m,ro isola-e2e-ro ro
run_isola run --root "$WORK/ro" ok.sh
assert_rc 2
assert_eq "$(wc -l <err)" 1 "lines of error"
assert_has err "^isola: cannot create a run directory under '$WORK/ro' \\(pass --root DIR or set ISOLA_ROOT\\): Read-only file system$"

# A root removed while the run goes on: the tests after that are ERRORs that say why, the run
# ends (exit 1), nothing is left running.
mkdir gone
make_test first.sh "touch $WORK/first.started; while [ -e $WORK/gone ]; do sleep 0.01; done"
make_test later.sh 'exit 0'
"$ISOLA_BIN" run --root "$WORK/gone" -j1 first.sh later.sh >out 2>err &
pid=$!
wait_for "$WORK/first.started"
rm -rf "$WORK/gone"
set +e
wait "$pid"
RC=$?
set -e
assert_rc 1
assert_has out "^ERROR +[0-9.]+s  later\\.sh \\(isola: cannot create a sandbox in '$WORK/gone/isola-[A-Za-z0-9]+': No such file or directory\\)$"
assert_no_procs

# A report directory that is full when the run ends: the report's failure is said, exit 3.
mkdir reports
mount -t tmpfs -o size=64k isola-e2e-reports reports
head -c 65536 /dev/zero >reports/filler 2>/dev/null || true
run_isola run --root "$ROOT" --junit reports/junit.xml ok.sh
assert_rc 3
assert_has err "^isola: cannot write JUnit report 'reports/junit.xml'"
[ ! -e reports/junit.xml ] || fail "a half-written report was left in place"
assert_root_empty

# No process to be had (an ordinary user at RLIMIT_NPROC: isola alone, then isola and one more,
# its init, no room for the test): the tests are ERRORs that say so, exit 1, nothing left
# running or on disk.
UID_TEST=4246
UDIR=$(mktemp -d /tmp/isola-e2e-faults.XXXXXX)
trap 'rm -rf "$UDIR"; unmount_all; cleanup_work' EXIT
chmod 0755 "$UDIR"
cp "$ISOLA_BIN" ok.sh "$UDIR/"
mkdir "$UDIR/root"
chown -R "$UID_TEST:$UID_TEST" "$UDIR"
as_user prlimit --nproc=1 ./isola run --root root --keep none ok.sh
assert_rc 1
assert_has out "^ERROR +[0-9.]+s  ok\\.sh \\(isola: cannot start isola's init.*: Resource temporarily unavailable\\)$"
assert_eq "$(ls -A "$UDIR/root")" "" "the user's root"
as_user prlimit --nproc=2 ./isola run --root root --keep none ok.sh
assert_rc 1
# (Where the init is a subreaper, the keeper it needs is the one too many.)
assert_has out "^ERROR +[0-9.]+s  ok\\.sh \\(isola: cannot start ('[^']*ok\\.sh'|the keeper): Resource temporarily unavailable\\)$"
assert_eq "$(ls -A "$UDIR/root")" "" "the user's root"

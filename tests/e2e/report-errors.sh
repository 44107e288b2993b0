#!/bin/sh
# SPDX-License-Identifier: MIT
# Report files are created before any test runs: a bad path is refused up front (exit 2, one line
# naming the file, nothing run, nothing left behind). A report replaces its file only when the run
# ends, also when it is interrupted; "-" is standard output (the human report moves to stderr);
# devices are written in place; a write error is told, not silent.
. "$(dirname "$0")/lib.sh"

make_test marker.sh "touch '$WORK/ran'"
make_test pass.sh 'exit 0'

# A directory that does not exist.
run_isola run --root "$ROOT" --junit /nonexistent/x.xml marker.sh
assert_rc 2
assert_eq "$(cat err)" "isola: cannot create JUnit report '/nonexistent/x.xml': No such file or directory"
[ ! -s out ] || fail "something was printed on stdout: $(cat out)"
[ ! -e ran ] || fail "a test ran although a report file could not be created"
assert_root_empty

# A directory where the file should be; an empty name; one file for two reports; two "-".
mkdir adir
run_isola run --root "$ROOT" --tap adir marker.sh
assert_rc 2
assert_eq "$(cat err)" "isola: cannot create TAP report 'adir': Is a directory"
run_isola run --root "$ROOT" --html '' marker.sh
assert_rc 2
assert_eq "$(cat err)" "isola: cannot create HTML report '': empty file name"
run_isola run --root "$ROOT" --junit r.out --json r.out marker.sh
assert_rc 2
assert_eq "$(cat err)" "isola: --junit and --json both write to 'r.out': give each its own file"
run_isola run --root "$ROOT" --tap - --json - marker.sh
assert_rc 2
assert_has err "^isola: --tap and --json both write to '-'"
# A later report's bad path also undoes the earlier ones: nothing is left.
run_isola run --root "$ROOT" --junit good.xml --trace /nonexistent/t.json marker.sh
assert_rc 2
assert_eq "$(cat err)" "isola: cannot create trace '/nonexistent/t.json': No such file or directory"
[ ! -e good.xml ] || fail "good.xml was left behind by a refused run"
[ ! -e ran ] || fail "a test ran although a report file could not be created"
for f in .good*; do
	[ ! -e "$f" ] || fail "a temporary file was left behind: $f"
done
assert_root_empty

# An existing report stays as it was while the run goes on, and is replaced at the end.
echo old >r.xml
make_test peek.sh "cat '$WORK/r.xml' >'$WORK/seen'"
run_isola run --root "$ROOT" --junit r.xml peek.sh
assert_rc 0
assert_eq "$(cat seen)" old "r.xml while the run went on"
assert_has r.xml '^<testsuites name="isola" tests="1" failures="0"'

# "-": the report is standard output, the human report goes to stderr.
run_isola run --root "$ROOT" --json - pass.sh
assert_rc 0
/usr/bin/python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' out ||
	fail "stdout is not JSON Lines: $(head -c 300 out)"
assert_has out '"event":"run_end"'
assert_eq "$(tail -n 1 err)" "1 passed, 0 failed"
run_isola run --root "$ROOT" --tap - pass.sh
assert_eq "$(head -n 1 out)" "TAP version 14"
assert_eq "$(tail -n 1 out)" "1..1"

# A device is written in place, not replaced by a file.
run_isola run --root "$ROOT" --junit /dev/null --tap /dev/stderr pass.sh
assert_rc 0
[ -c /dev/null ] || fail "/dev/null is no longer a device"
assert_has err '^TAP version 14$'

# A write error is reported (on stderr, before the summary), not swallowed.
# The tests passed, but a report CI relies on is missing: exit 3, not 0.
run_isola run --root "$ROOT" --json /dev/full pass.sh
assert_rc 3
assert_has err "^isola: cannot write JSON report '/dev/full': No space left on device$"
run_isola run --root "$ROOT" --tap /dev/full pass.sh
assert_rc 3
assert_has err "^isola: cannot write TAP report '/dev/full': No space left on device$"
run_isola run --root "$ROOT" --junit /dev/full pass.sh
assert_rc 3
assert_eq "$(cat err)" "isola: cannot write JUnit report '/dev/full': No space left on device"
assert_eq "$(tail -n 1 out)" "1 passed, 0 failed"

# Interrupted: the reports still say what happened, and are complete.
make_test long.sh "touch '$WORK/started'; sleep 60"
"$ISOLA_BIN" run --root "$ROOT" --json int.jsonl --junit int.xml long.sh marker.sh -j1 >out 2>err &
pid=$!
wait_for started
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 130
assert_has int.jsonl '"event":"run_end".*"not_run":1.*"interrupted_by":"SIGINT"'
xmllint --noout int.xml || fail "int.xml is not well-formed"
assert_has int.xml '<error message="interrupted; killed by SIGTERM" type="ERROR">'
assert_no_procs

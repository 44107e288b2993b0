#!/bin/sh
# SPDX-License-Identifier: MIT
# --fail-fast[=N]: after the Nth test that failed for good (its retries spent), no new test
# starts; the running ones finish, or with --stop-running are stopped as ERRORs that say why;
# the summary and the JSON report say how many never ran. Bad values: exit 2, nothing run.
. "$(dirname "$0")/lib.sh"

make_test pass.sh 'exit 0'
make_test fail.sh 'exit 1'
make_test long.sh "touch '$WORK/long.started'; sleep 20; touch '$WORK/long.finished'"
make_test waitlong.sh "while [ ! -e '$WORK/long.started' ]; do sleep 0.02; done; exit 1"
{
	printf '[test a1]\ncommand = %s/pass.sh\n' "$WORK"
	printf '[test a2]\ncommand = %s/fail.sh\n' "$WORK"
	printf '[test a3]\ncommand = %s/fail.sh\n' "$WORK"
	for i in 4 5 6 7 8; do printf '[test a%d]\ncommand = %s/pass.sh\n' "$i" "$WORK"; done
} >isola.ini
ARGS="--root $ROOT --keep none -j1"

# Without it, everything runs.
run_isola run $ARGS
assert_rc 1
assert_has out '^6 passed, 2 failed$'

# -j1, in config order: a1 passes, a2 fails, and nothing starts after it.
run_isola run $ARGS --fail-fast --json ff.jsonl
assert_rc 1
assert_has out '^FAIL .* a2'
assert_not_has out ' a3$'
assert_has out '^stopped after 1 failure \(--fail-fast\): 6 tests not run$'
assert_has out '^1 passed, 1 failed$'
assert_has ff.jsonl '"fail_fast":1[,}]'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" ff.jsonl >/dev/null || fail "the JSON report does not validate"

# =2: it goes on to the second failure.
run_isola run $ARGS --fail-fast=2
assert_rc 1
assert_has out '^stopped after 2 failures \(--fail-fast\): 5 tests not run$'

# A failure that is retried is not a failure yet (retries go to the end of the queue): a3 and
# the rest still start after a2's first failure, and a2 gets all its attempts.
run_isola run $ARGS --fail-fast --retries 2
assert_has out 'a2 \(attempt 3\)'
assert_has out '^PASS .* a8$'

# The running tests finish; with --stop-running they are stopped.
cat >long.ini <<-INI
[test long]
command = $WORK/long.sh
[test waitlong]
command = $WORK/waitlong.sh
[test later]
command = $WORK/pass.sh
INI
run_isola run --root "$ROOT" --keep none -j2 -c long.ini --fail-fast --stop-running --grace 1s
assert_rc 1
assert_has out '^ERROR .* long \(stopped by --fail-fast; '
assert_has out '^FAIL .* waitlong'
assert_not_has out ' later$'
[ ! -e "$WORK/long.finished" ] || fail "--stop-running let the running test finish"
assert_has out '1 test not run'
assert_no_procs

# Bad values: exit 2, one line, nothing run.
for bad in "--fail-fast=0" "--fail-fast=x" "--fail-fast=-1" "--stop-running"; do
	run_isola run $ARGS $bad
	assert_rc 2
	[ "$(wc -l <err)" -eq 1 ] || fail "$bad: more than one line: $(cat err)"
	assert_not_has out 'passed'
done
assert_has err "^isola: --stop-running goes with --fail-fast"
run_isola exec --fail-fast -- true
assert_rc 125
assert_root_empty

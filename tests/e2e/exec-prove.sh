#!/bin/sh
# SPDX-License-Identifier: MIT
# prove keeps its job, isola exec isolates: the racy example suite under `prove -j4` races as it
# is, and passes every time with `--exec 'tap-wrap isola exec --copy ... --'`. The racy tests
# speak exit statuses, not TAP: tests/integration/prove/tap-wrap turns each into one TAP test
# (77 a skip), outside isola exec so that prove's relative test paths still resolve.
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need prove

racy_copy
tapwrap=$INTEGRATION_DIR/prove/tap-wrap
case $tapwrap$ISOLA_BIN in
*[[:space:]]*) echo "skip: prove --exec splits on blanks, and a path has one"; exit 77 ;;
esac

# prove's summary: one "./x.sh (Wstat: 0 Tests: 1 Failed: 1)" line per failed program in its
# Test Summary Report, then "Files=8, Tests=8, ..." and "Result: PASS" or "Result: FAIL".
prove_run() {
	set +e
	(cd "$RACY" && prove -j4 --exec "$1" ./*.sh) >"$WORK/log" 2>&1
	set -e
	files=$(sed -n 's/^Files=\([0-9][0-9]*\), .*/\1/p' "$WORK/log")
	[ -n "$files" ] || { show_log; fail "no prove summary"; }
	FAILED=$(grep -c '^\./[^ ]*  *(Wstat: ' "$WORK/log" || :)
	PASSED=$((files - FAILED))
	if [ "$FAILED" -eq 0 ]; then
		assert_has "$WORK/log" '^Result: PASS$'
	fi
}
run_plain() { prove_run "$tapwrap"; }
run_isolated() {
	# One word per argument: prove --exec splits on blanks, no quoting.
	prove_run "$tapwrap $ISOLA_BIN exec
		--copy methods --env RACY_METHODS_DIR=\${ISOLA_SANDBOX}/methods
		--copy config --env RACY_CONFIG_DIR=\${ISOLA_SANDBOX}/config
		--mkdir build --env RACY_BUILD_DIR=\${ISOLA_SANDBOX}/build --"
}
racy_compare "prove -j4 --exec"

# tap-wrap's mapping: 77 is a skip, 99 and 1 are failures.
for code in 77 99 1; do
	make_test "exit$code.t" "exit $code"
done
set +e
prove --exec "$tapwrap $ISOLA_BIN exec --keep none --" ./exit77.t ./exit99.t ./exit1.t >log 2>&1
set -e
assert_has log '^\./exit77\.t \.+ skipped: exit77\.t exited 77$'
assert_has log '^# exit99\.t: hard error, exit 99$'
assert_has log '^\./exit99\.t +\(Wstat: 0 Tests: 1 Failed: 1\)$'
assert_has log '^\./exit1\.t +\(Wstat: 0 Tests: 1 Failed: 1\)$'
assert_has log '^Result: FAIL$'
echo "prove: through tap-wrap and isola exec, 77 is a skip, 99 and 1 are failures"

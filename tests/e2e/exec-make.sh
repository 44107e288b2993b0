#!/bin/sh
# SPDX-License-Identifier: MIT
# A plain Makefile keeps its job, isola exec isolates: the racy example suite as `make -k -j4`
# rules races as it is (ISOLATE emptied), and passes every time with each rule running its test
# under `isola exec` (tests/integration/make/Makefile).
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need make

racy_copy
cp "$INTEGRATION_DIR/make/Makefile" "$RACY/"

# One "PASS name" or "FAIL name (exit N)" line per test.
make_run() {
	set +e
	make -C "$RACY" -s -k -j4 check "$@" >"$WORK/log" 2>&1
	rc=$?
	set -e
	PASSED=$(grep -c '^PASS ' "$WORK/log" || :)
	FAILED=$(grep -c '^FAIL ' "$WORK/log" || :)
	[ "$FAILED" -eq 0 ] && [ "$rc" -ne 0 ] && { show_log; fail "make failed, but no test did"; }
	[ "$FAILED" -eq 0 ] || [ "$rc" -ne 0 ] || { show_log; fail "a test failed, but make did not"; }
}
run_plain() { make_run ISOLATE=; }
run_isolated() { make_run ISOLA="$ISOLA_BIN"; }
racy_compare "make -k -j4 check"

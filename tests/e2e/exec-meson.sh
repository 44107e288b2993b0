#!/bin/sh
# SPDX-License-Identifier: MIT
# meson test keeps its job, isola exec isolates: the racy example suite under
# `meson test --num-processes 4` races as it is, and passes every time with
# `--wrapper 'isola exec --copy ... --'`, and with the same wrapper as a test setup
# (add_test_setup(exe_wrapper:), `meson test --setup isola`). tests/integration/meson.
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need meson ninja

racy_copy
cp "$INTEGRATION_DIR/meson/meson.build" "$INTEGRATION_DIR/meson/meson_options.txt" "$RACY/"
meson setup "$WORK/build" "$RACY" -Disola="$ISOLA_BIN" >setup.out 2>&1 ||
	{ cat setup.out; fail "meson setup failed"; }

# meson test's summary: "Ok:  6", "Fail:  2", ... one line each.
meson_run() {
	set +e
	(cd "$WORK/build" && meson test --num-processes 4 --print-errorlogs "$@") >"$WORK/log" 2>&1
	set -e
	PASSED=$(sed -n 's/^Ok: *\([0-9][0-9]*\) *$/\1/p' "$WORK/log")
	[ -n "$PASSED" ] || { show_log; fail "no meson test summary"; }
	FAILED=0
	for what in 'Expected Fail' Fail 'Unexpected Pass' Skipped Timeout; do
		n=$(sed -n "s/^$what: *\\([0-9][0-9]*\\) *\$/\\1/p" "$WORK/log")
		FAILED=$((FAILED + ${n:-0}))
	done
}
run_plain() { meson_run; }
run_isolated() {
	meson_run --wrapper "$ISOLA_BIN exec
		--copy $RACY/methods --env RACY_METHODS_DIR=\${ISOLA_SANDBOX}/methods
		--copy $RACY/config --env RACY_CONFIG_DIR=\${ISOLA_SANDBOX}/config
		--mkdir build --env RACY_BUILD_DIR=\${ISOLA_SANDBOX}/build --"
}
racy_compare "meson test --num-processes 4 --wrapper"

run_isolated() { meson_run --setup isola; }
racy_isolated "meson test --num-processes 4 --setup isola"

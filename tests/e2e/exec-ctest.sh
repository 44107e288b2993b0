#!/bin/sh
# SPDX-License-Identifier: MIT
# CTest keeps its job, isola exec isolates: the racy example suite under `ctest -j4` races as it
# is, and passes every time with each add_test() COMMAND run by isola exec
# (tests/integration/ctest). A C test executable is wrapped through
# CMAKE_CROSSCOMPILING_EMULATOR too, as CMake < 3.29 allows (tests/integration/ctest-emulator).
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need cmake ctest

racy_copy
cp "$INTEGRATION_DIR/ctest/CMakeLists.txt" "$RACY/"
cmake -S "$RACY" -B "$WORK/plain" >cmake.out 2>&1 || { cat cmake.out; fail "cmake failed"; }
cmake -S "$RACY" -B "$WORK/isolated" -DISOLA="$ISOLA_BIN" >cmake.out 2>&1 ||
	{ cat cmake.out; fail "cmake -DISOLA failed"; }

# ctest's summary: "75% tests passed, 2 tests failed out of 8".
ctest_run() {
	set +e
	(cd "$1" && ctest -j4 --output-on-failure) >"$WORK/log" 2>&1
	set -e
	FAILED=$(sed -n 's/.* tests passed, \([0-9][0-9]*\) tests\{0,1\} failed out of \([0-9][0-9]*\)$/\1/p' "$WORK/log")
	total=$(sed -n 's/.* tests passed, \([0-9][0-9]*\) tests\{0,1\} failed out of \([0-9][0-9]*\)$/\2/p' "$WORK/log")
	[ -n "$FAILED" ] || { show_log; fail "no ctest summary"; }
	PASSED=$((total - FAILED))
}
run_plain() { ctest_run "$WORK/plain"; }
run_isolated() { ctest_run "$WORK/isolated"; }

racy_compare "ctest -j4"

# The CROSSCOMPILING_EMULATOR route, for tests that are executable targets.
if command -v cc >/dev/null 2>&1; then
	cp -R "$INTEGRATION_DIR/ctest-emulator" probe
	cmake -S probe -B probe-build \
		"-DCMAKE_CROSSCOMPILING_EMULATOR=$ISOLA_BIN;exec;--mkdir;out;--" >cmake.out 2>&1 ||
		{ cat cmake.out; fail "cmake (emulator) failed"; }
	cmake --build probe-build >build.out 2>&1 || { cat build.out; fail "building the probe failed"; }
	(cd probe-build && ctest --output-on-failure) >log 2>&1 || { cat log; fail "probe under the emulator"; }
	assert_has log '100% tests passed, 0 tests failed out of 1'
	(cd probe-build && ctest -N -V) >log 2>&1
	assert_has log "Test command: $ISOLA_BIN \"exec\" \"--mkdir\" \"out\" \"--\" \".*/probe\""
	assert_root_empty
	echo "ctest: a C test executable launched through CMAKE_CROSSCOMPILING_EMULATOR: sandboxed"
fi

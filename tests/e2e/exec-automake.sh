#!/bin/sh
# SPDX-License-Identifier: MIT
# Automake's parallel test harness keeps its job, isola exec isolates: the racy example suite
# under `make -j4 check` races as it is (LOG_COMPILER emptied), and passes every time with
# `LOG_COMPILER = isola exec` and the isolation in AM_LOG_FLAGS (tests/integration/automake).
# Exit statuses reach the harness unchanged: 77 is SKIP, 99 is ERROR, 1 is FAIL.
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need autoreconf automake make

racy_copy
cp "$INTEGRATION_DIR/automake/configure.ac" "$INTEGRATION_DIR/automake/Makefile.am" \
	"$INTEGRATION_DIR/automake/exit_status.sh" "$RACY/"
(cd "$RACY" && autoreconf -i && ./configure) >setup.out 2>&1 ||
	{ cat setup.out; fail "autoreconf or configure failed"; }

# The harness's summary, from test-suite.log: "# PASS:  9", "# FAIL:  2", ...
count() { sed -n "s/^# $1: *\\([0-9][0-9]*\\)\$/\\1/p" "$RACY/test-suite.log"; }
automake_run() {
	set +e
	make -C "$RACY" -j4 check ISOLA="$ISOLA_BIN" "$@" >"$WORK/log" 2>&1
	set -e
	[ -f "$RACY/test-suite.log" ] || { show_log; fail "no test-suite.log"; }
	cat "$RACY/test-suite.log" >>"$WORK/log"
	PASSED=$(count PASS)
	# exit_status.sh passes with no EXIT_STATUS: it is not one of the racy tests.
	PASSED=$((PASSED - 1))
	FAILED=$(($(count FAIL) + $(count ERROR) + $(count SKIP) + $(count XFAIL) + $(count XPASS)))
}
run_plain() { automake_run LOG_COMPILER= AM_LOG_FLAGS=; }
run_isolated() { automake_run; }
racy_compare "automake make -j4 check"

# 77, 99 and 1 through isola exec: SKIP, ERROR and FAIL, as without it.
for status in 0:PASS 77:SKIP 99:ERROR 1:FAIL; do
	code=${status%%:*} want=${status#*:}
	for compiler in "" "$ISOLA_BIN exec"; do
		set +e
		EXIT_STATUS=$code make -C "$RACY" check TESTS=exit_status.sh LOG_COMPILER="$compiler" \
			AM_LOG_FLAGS= >log 2>&1
		set -e
		grep -q "^$want: exit_status.sh\$" log || {
			cat "$RACY/exit_status.sh.log" >&2 || true
			assert_has log "^$want: exit_status.sh\$"
		}
		assert_has "$RACY/exit_status.sh.trs" "^:test-result: $want\$"
		assert_has "$RACY/exit_status.sh.log" "^exit_status: exiting $code\$"
	done
done
# A failed test keeps its sandbox as evidence (isola exec's default), named in the test's log.
assert_has "$RACY/exit_status.sh.log" "^isola: exec: kept sandbox $ROOT/isola-"
run_isola clean --root "$ROOT"
assert_root_empty
echo "automake: exit statuses 0, 77, 99 and 1 through isola exec: PASS, SKIP, ERROR, FAIL"

#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/c-fixture: its test, written with libisola, builds from the fixture's own Makefile
# against the in-tree library and passes when 8 copies run at once, again and again (started
# together, by make -j8, and as 8 tests of isola run -j8), leaving the shared methods/ as they
# were and no sandbox behind; a failing run keeps its sandbox for `isola clean`. The same test
# hand-rolled in shell with one fixed scratch path (hand-rolled.sh) passes alone and fails when
# 8 run at once.
. "$(dirname "$0")/lib.sh"
. "$ISOLA_SOURCE_DIR/tests/integration/lib.sh"
need make cc
libdir=$(dirname "$ISOLA_BIN")
[ -f "$libdir/libisola.so" ] || fail "$libdir/libisola.so is missing: run make first"
if ldd "$libdir/libisola.so" | grep -q libasan; then
	echo "SKIP: this libisola is built with sanitizers (make check-sanitize): the fixture is not"
	exit 77
fi

fx=$WORK/c-fixture
cp -R "$ISOLA_SOURCE_DIR/examples/c-fixture" "$fx"
rm -rf "$fx/test_methods" "$fx/build"
make -C "$fx" -s TOP="$ISOLA_SOURCE_DIR" >build.out 2>&1 || { cat build.out; fail "make failed"; }
[ ! -s build.out ] || { cat build.out; fail "the fixture does not build cleanly"; }
before=$(cd "$fx/methods" && cat ./*)

check_outputs() { # PREFIX N: every run printed its PASS line
	k=0
	while [ "$k" -lt "$2" ]; do
		k=$((k + 1))
		assert_has "$1.$k" '^PASS test_methods$'
	done
}

# 8 at once, started together, 3 times.
cd "$fx"
for round in 1 2 3; do
	run_many 8 "$WORK/many" ./test_methods
	[ "$FAILED" -eq 0 ] || { cat "$WORK"/many.*; fail "round $round: $FAILED of 8 runs failed"; }
	check_outputs "$WORK/many" 8
	assert_root_empty
done
# 8 at once by make -j8, the way the fixture's Makefile offers.
make -s -j8 check-many >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "make -j8 check-many failed"; }
assert_eq "$(grep -c '^PASS test_methods$' "$WORK/out")" 8 "make -j8 check-many"
assert_root_empty
cd "$WORK"
assert_eq "$(cd "$fx/methods" && cat ./*)" "$before" "the shared methods/ changed"

# 8 tests of isola run -j8: each libisola sandbox nests in its test's own sandbox.
{
	echo '[suite]'
	echo "env = APP_SOURCE_DIR=$fx"
	for k in 1 2 3 4 5 6 7 8; do
		printf '[test fixture-%s]\ncommand = %s/test_methods\n' "$k" "$fx"
	done
} >fixture.ini
run_isola run --root "$ROOT" -j8 --config fixture.ini
assert_rc 0
assert_eq "$(tail -n 1 out)" "8 passed, 0 failed"
assert_root_empty

# A failing run keeps its sandbox as evidence, and isola clean removes it.
cp -R "$fx" broken
echo 'compiled=yes' >>broken/methods/greet.method
set +e
(cd broken && ./test_methods) >out 2>err
RC=$?
set -e
assert_rc 1
assert_has err "^test_methods: kept sandbox $ROOT/isola-"
kept=$(sed -n 's/^test_methods: kept sandbox //p' err)
[ -f "$kept/methods/greet.method" ] || fail "the kept sandbox $kept has no methods/"
run_isola clean --root "$ROOT"
assert_root_empty

# The fixed-path hand-rolled version: it passes alone, and 8 at once trip over each other.
mkdir hand-tmp
TMPDIR=$WORK/hand-tmp # its "/tmp", shared by the runs as the real one would be
export TMPDIR
"$fx/hand-rolled.sh" >out 2>&1 || { cat out; fail "hand-rolled.sh failed alone"; }
failing_rounds=0 failures=0
for round in 1 2 3; do
	run_many 8 "$WORK/hand" "$fx/hand-rolled.sh"
	[ "$FAILED" -eq 0 ] || failing_rounds=$((failing_rounds + 1)) failures=$((failures + FAILED))
done
[ "$failing_rounds" -gt 0 ] || fail "8 hand-rolled runs at once passed 3 rounds out of 3"
echo "c-fixture: libisola 8 at once, 5 rounds: 0 failures;" \
	"fixed-path hand-rolled 8 at once: $failing_rounds/3 rounds failed ($failures of 24 runs)"

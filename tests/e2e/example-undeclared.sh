#!/bin/sh
# SPDX-License-Identifier: MIT
# The example suite of undeclared collisions (examples/undeclared: a fixed /tmp lock, a fixed
# port, objects built into the source tree) passes at -j4 with --isolate tmp,net (the lock and
# the ports) and, all of it with nothing declared, with --isolate all, every run, as its README
# says, and the shared-write report names each build's writes into the tree, which stays as it
# was. (That it fails without isolation depends on timing; isolate-ns.sh and isolate-tree.sh make
# that case certain.)
command -v python3 >/dev/null || {
	echo "SKIP: needs python3 (the port tests)"
	exit 77
}
. "$(dirname "$0")/lib.sh"

src="$ISOLA_SOURCE_DIR/examples/undeclared"
[ -f "$src/README.md" ] || fail "examples/undeclared not found under $ISOLA_SOURCE_DIR"
cd "$src"
for i in 1 2; do
	run_isola run --root "$ROOT" --keep none -j4 --repeat 2 -v --isolate tmp,net \
		lock.sh port-a.sh port-b.sh
	assert_rc 0
	assert_eq "$(tail -n 1 "$WORK/out")" "3 passed, 0 failed"
	assert_has "$WORK/out" '^    isolated: tmp, net '
	assert_root_empty
done
for i in 1 2; do
	run_isola run --root "$ROOT" --keep none -j4 --isolate all ./*.sh
	assert_rc 0
	assert_eq "$(tail -n 1 "$WORK/out")" "7 passed, 0 failed"
	for v in debug release asan coverage; do
		assert_has "$WORK/out" "^PASS .*  \./objects_$v\.sh$"
	done
	[ ! -e obj ] || fail "a build wrote into the real source tree"
	assert_root_empty
done
run_isola run --root "$ROOT" --keep none -j4 --isolate all -v ./objects_debug.sh
assert_has "$WORK/out" "^    wrote 5 paths in the tree: 5 created$"
assert_has "$WORK/out" "^      created  $src/obj/app "

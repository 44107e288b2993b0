#!/bin/sh
# SPDX-License-Identifier: MIT
# The example suite of undeclared collisions (examples/undeclared: a fixed /tmp lock, a fixed
# port) passes at -j4 with --isolate tmp,net, every run, as its README says. (That it fails
# without isolation depends on timing; tests/e2e/isolate-ns.sh makes that case certain.)
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

#!/bin/sh
# SPDX-License-Identifier: MIT
# The bundled example suite (examples/racy) passes under isola every time, in parallel, while
# leaving the shared in-repo resources untouched.
. "$(dirname "$0")/lib.sh"

src="$ISOLA_SOURCE_DIR/examples/racy"
[ -f "$src/isola.ini" ] || fail "examples/racy not found under $ISOLA_SOURCE_DIR"
before=$(cd "$src" && find . -type f -exec sha256sum {} + | sort | sha256sum)
for i in 1 2 3 4 5; do
	run_isola run --root "$ROOT" -j4 --config "$src/isola.ini"
	assert_rc 0
	assert_eq "$(tail -n 1 out)" "8 passed, 0 failed" "run $i"
	assert_root_empty
done
after=$(cd "$src" && find . -type f -exec sha256sum {} + | sort | sha256sum)
assert_eq "$after" "$before" "the example's shared resources changed"

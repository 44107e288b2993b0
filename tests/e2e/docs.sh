#!/bin/sh
# SPDX-License-Identifier: MIT
# The documentation users need exists and agrees with the program: the man page renders without
# warnings, and every long option of `isola run --help` is documented in the man page and README.
. "$(dirname "$0")/lib.sh"

top=$ISOLA_SOURCE_DIR
[ -f "$top/doc/isola.1" ] || fail "doc/isola.1 is missing"
groff -man -Tascii -ww -P-cbou "$top/doc/isola.1" >man.txt 2>groff.err || fail "groff failed"
[ ! -s groff.err ] || fail "man page warnings: $(cat groff.err)"
assert_has man.txt '^EXIT STATUS'
assert_has man.txt '^ENVIRONMENT CONTRACT'
run_isola run --help
assert_rc 0
opts=$(grep -oE -- '--[a-z][a-z-]+' out | sort -u)
[ -n "$opts" ] || fail "no options found in isola run --help"
for o in $opts; do
	grep -q -- "$o" man.txt ||
		fail "isola run --help lists $o but doc/isola.1 does not"
	grep -q -- "$o" "$top/README.md" || fail "isola run --help lists $o but README.md does not"
done
# The README starts with the two commands.
first=$(grep -m2 -E '^make (demo|check)' "$top/README.md" | awk '{print $2}' | tr '\n' ' ')
assert_eq "$first" "demo check "

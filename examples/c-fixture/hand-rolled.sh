#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The same test as test_methods.c, hand-rolled in shell with one fixed scratch directory
# ($TMPDIR/app_test), as a first attempt usually is. It passes when it runs alone. Run several
# at once and they remove, overwrite and rewrite each other's methods and objects mid-run:
# tests/e2e/exec-c-fixture.sh shows it failing. The seed's getpid() in the path avoids that one
# collision but keeps the other faults listed in hand-rolled.c.txt; test_methods.c is the fix.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
dir=${TMPDIR:-/tmp}/app_test

fail() {
	echo "hand-rolled: $*" >&2
	echo "FAIL hand-rolled"
	exit 1
}

rm -rf "$dir"
mkdir -p "$dir/build" "$dir/methods"
cp "$here"/methods/*.method "$dir/methods/"
out=$(APP_METHODS_DIR=$dir/methods BUILD_DIR=$dir/build make -s -C "$here" run-exec 2>&1) ||
	fail "make run-exec failed: $out"
case $out in
*"compiled 3 methods"*) ;;
*) fail "not all methods compiled: $out" ;;
esac
grep -qx 'compiled=yes' "$dir/methods/greet.method" ||
	fail "$dir/methods/greet.method was not rewritten"
rm -rf "$dir"
echo "PASS hand-rolled"

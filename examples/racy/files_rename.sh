#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 1, file modification: renames greet.method to hello.method in the
# methods directory, checks what the app would see after a rescan, and renames
# it back. While it runs, greet.method is missing from the shared directory, so
# files_rewrite.sh fails if it runs at the same time; if files_rewrite.sh is
# mid-rewrite, this test sees version=2 or a stray greet.method.new.
#
# Isolation: isola copies methods/ into each sandbox (copy = methods) and
# points RACY_METHODS_DIR at the copy.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
METHODS_DIR=${RACY_METHODS_DIR:-$here/methods}

fail() { echo "files_rename: $*" >&2; exit 1; }

[ -f "$METHODS_DIR/greet.method" ] ||
	fail "greet.method missing from $METHODS_DIR before the test started"
mv "$METHODS_DIR/greet.method" "$METHODS_DIR/hello.method"

sleep 0.2 # the app rescans its methods directory

listing=$(cd "$METHODS_DIR" && echo *)
[ "$listing" = "count.method echo.method hello.method" ] ||
	fail "after rename, $METHODS_DIR holds: $listing"
grep -qx 'version=1' "$METHODS_DIR/hello.method" ||
	fail "hello.method changed under us: $(grep '^version=' "$METHODS_DIR/hello.method")"

# teardown, as any well-behaved test would
mv "$METHODS_DIR/hello.method" "$METHODS_DIR/greet.method"
echo "files_rename: ok"

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 1, file modification: upgrades greet.method to version 2 in place
# (write a new file, move it over the old one), checks the upgrade, then puts
# version 1 back. Races with files_rename.sh, which moves greet.method away for
# a while and expects to find exactly three pristine methods.
#
# Isolation: isola copies methods/ into each sandbox (copy = methods) and
# points RACY_METHODS_DIR at the copy.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
METHODS_DIR=${RACY_METHODS_DIR:-$here/methods}
method=$METHODS_DIR/greet.method

fail() { echo "files_rewrite: $*" >&2; exit 1; }

[ -f "$method" ] || fail "greet.method missing from $METHODS_DIR"
grep -qx 'version=1' "$method" || fail "greet.method is not at version 1"

sed 's/^version=1$/version=2/' "$method" >"$method.new"
sleep 0.1 # the app validates the new method before installing it
mv "$method.new" "$method"

sleep 0.1 # the app reloads it

[ -f "$method" ] || fail "greet.method vanished after the upgrade"
grep -qx 'version=2' "$method" ||
	fail "greet.method should be at version 2, has: $(grep '^version=' "$method")"

# teardown: restore version 1
sed 's/^version=2$/version=1/' "$method" >"$method.new"
mv "$method.new" "$method"
echo "files_rewrite: ok"

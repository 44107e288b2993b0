#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 3, build output conflict: a clean release build into BUILD_DIR,
# then checks that every output is from this build. Races with build_debug.sh,
# which cleans and builds the same directory with VARIANT=debug.
#
# Isolation: isola gives each test its own empty build directory
# (mkdir = build) and points RACY_BUILD_DIR at it.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
BUILD_DIR=${RACY_BUILD_DIR:-$here/build}

fail() { echo "build_release: $*" >&2; exit 1; }

make -s -C "$here/src" BUILD_DIR="$BUILD_DIR" VARIANT=release clean
make -s -C "$here/src" BUILD_DIR="$BUILD_DIR" VARIANT=release release

sleep 0.15 # run the freshly built app's own checks

for out in "$BUILD_DIR/obj/main.o" "$BUILD_DIR/obj/util.o" \
	"$BUILD_DIR/app" "$BUILD_DIR/app.stripped"; do
	[ -f "$out" ] || fail "$out is missing"
	grep -qx 'variant=release' "$out" ||
		fail "$out was not built by this release build: $(grep '^variant=' "$out" | paste -sd ' ' -)"
done
echo "build_release: ok"

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 3, build output conflict: a clean debug build into BUILD_DIR, then
# checks that every output is from this build. build_release.sh builds into the
# same directory: run together, one build's "make clean" deletes the other's
# objects mid-build, or make finds the other variant's objects up to date and
# links them in, or a release-only app.stripped turns up here.
#
# Isolation: isola gives each test its own empty build directory
# (mkdir = build) and points RACY_BUILD_DIR at it.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
BUILD_DIR=${RACY_BUILD_DIR:-$here/build}

fail() { echo "build_debug: $*" >&2; exit 1; }

make -s -C "$here/src" BUILD_DIR="$BUILD_DIR" VARIANT=debug clean
make -s -C "$here/src" BUILD_DIR="$BUILD_DIR" VARIANT=debug all

sleep 0.15 # run the freshly built app's own checks

for out in "$BUILD_DIR/obj/main.o" "$BUILD_DIR/obj/util.o" "$BUILD_DIR/app"; do
	[ -f "$out" ] || fail "$out is missing"
	grep -qx 'variant=debug' "$out" ||
		fail "$out was not built by this debug build: $(grep '^variant=' "$out" | paste -sd ' ' -)"
done
[ ! -e "$BUILD_DIR/app.stripped" ] ||
	fail "$BUILD_DIR/app.stripped is a release artifact, not ours"
echo "build_debug: ok"

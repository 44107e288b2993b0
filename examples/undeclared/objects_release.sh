#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Writes objects into the source tree, as many builds-and-tests do: a release "build"
# into obj/ beside this script, then checks that every object is this build's.
# The four objects_*.sh write the same paths: run in parallel without isolation,
# one build's objects overwrite another's mid-check, or its clean deletes them.
# Nothing is declared to isola: `isola run -j4 --isolate tree` gives each test
# its own layer of this directory, and the real one never changes.
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
variant=release

rm -rf "$here/obj"
mkdir -p "$here/obj"
for unit in main util io; do
	printf 'variant=%s\nunit=%s\n' "$variant" "$unit" >"$here/obj/$unit.o"
	sleep 0.05 # compiling
done
cat "$here/obj/"*.o >"$here/obj/app"
sleep 0.1 # the freshly built app's own checks

for out in "$here/obj/main.o" "$here/obj/util.o" "$here/obj/io.o" "$here/obj/app"; do
	[ -f "$out" ] || { echo "objects_$variant: $out is missing" >&2; exit 1; }
	if grep '^variant=' "$out" | grep -qvx "variant=$variant"; then
		echo "objects_$variant: $out holds another build's objects" >&2
		exit 1
	fi
done
echo "objects_$variant: ok"

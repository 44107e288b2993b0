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
variant=release
. "$(dirname -- "$0")/objects.inc"

#!/bin/sh
# SPDX-License-Identifier: MIT
# One program for the imported tests of tests/e2e/import.sh: what it does is its first argument.
# Markers go to $PROBE_DIR (an absolute directory the test script makes and hands over).
set -eu
what=$1
shift
case $what in
pass) exit 0 ;;
fail) exit "${1:-1}" ;;
crash) kill -SEGV $$ ;;
hang) sleep 60 ;;
env) # NAME VALUE: the variable holds exactly VALUE
	eval "v=\${$1-unset}"
	[ "$v" = "$2" ] || { echo "$1 is '$v', not '$2'"; exit 1; } ;;
cwd) # DIR: it runs there
	[ "$(pwd -P)" = "$(cd "$1" && pwd -P)" ] || { echo "cwd is $(pwd), not $1"; exit 1; } ;;
mark) # NAME: it ran
	: >"$PROBE_DIR/$1" ;;
setup) # the fixture comes up late: a test started beside it would not find it
	sleep 1
	: >"$PROBE_DIR/fixture-up" ;;
use) # NAME: the fixture is up (it started after its setup)
	[ -e "$PROBE_DIR/fixture-up" ] || { echo "fixture not up"; exit 1; }
	sleep 1
	: >"$PROBE_DIR/$1" ;;
cleanup) # every test using the fixture ended before it
	for t in "$@"; do [ -e "$PROBE_DIR/$t" ] || { echo "$t has not run"; exit 1; }; done
	rm "$PROBE_DIR/fixture-up" ;;
lock) # NAME: nobody else holds the resource while this one does
	mkdir "$PROBE_DIR/held.$1"
	for other in "$PROBE_DIR"/held.*; do
		[ "$other" = "$PROBE_DIR/held.$1" ] || : >"$PROBE_DIR/overlap"
	done
	sleep 1
	for other in "$PROBE_DIR"/held.*; do
		[ "$other" = "$PROBE_DIR/held.$1" ] || : >"$PROBE_DIR/overlap"
	done
	rmdir "$PROBE_DIR/held.$1" ;;
tap) # the TAP stream of a test that speaks it
	echo "1..2"; echo "ok 1 - first"; echo "not ok 2 - second"; exit 0 ;;
*) echo "probe: unknown '$what'" >&2; exit 2 ;;
esac

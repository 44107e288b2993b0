#!/bin/sh
# SPDX-License-Identifier: MIT
# Report plugins (src/report/report-plugin.h): a plain run or isola exec loads neither libxml2
# (nor the ICU and C++ runtime it pulls in) nor jansson; --junit, --json and --trace load them
# and write what they always wrote; a binary without its lib/isola/, or with a plugin of another
# build, stops before any test with one line naming the file, exit 3, and leaves nothing.
. "$(dirname "$0")/lib.sh"

real=$(realpath "$ISOLA_BIN")
plugdir=$(dirname "$real")/../lib/isola
[ -f "$plugdir/report-json.so" ] && [ -f "$plugdir/report-junit.so" ] ||
	fail "no plugins beside $real (expected $plugdir)"

# The binary itself needs no heavy library.
ldd "$real" >ldd.out
heavy="libxml2 libjansson libicu libstdc++"
# A sanitizer build (make check-sanitize) links the sanitizers' runtime, which needs libstdc++.
grep -q libasan ldd.out && heavy="libxml2 libjansson libicu"
for lib in $heavy; do
	assert_not_has ldd.out "$lib"
done

# What a running isola has mapped while its test runs (the test waits for our word).
make_test show.sh "touch '$WORK/started'; while [ ! -e '$WORK/go' ]; do sleep 0.02; done"
maps_of_run() { # maps_of_run OUT ARGS...: /proc/PID/maps of isola run ARGS while show.sh runs
	out=$1
	shift
	rm -f started go
	"$ISOLA_BIN" run --root "$ROOT" --keep none "$@" show.sh >run.out 2>&1 &
	pid=$!
	wait_for "$WORK/started"
	cat "/proc/$pid/maps" >"$out"
	touch go
	wait "$pid" || fail "isola run $* failed: $(cat run.out)"
	[ -s "$out" ] || fail "could not read the maps of isola run $*"
}
maps_of_run plain.maps
for lib in $heavy report-json.so report-junit.so; do
	assert_not_has plain.maps "$lib"
done
maps_of_run junit.maps --junit junit.xml
assert_has junit.maps 'report-junit\.so'
assert_has junit.maps 'libxml2'
assert_not_has junit.maps 'report-json\.so'
assert_has junit.xml '<testcase name="show.sh"'
maps_of_run json.maps --json run.jsonl --trace trace.json
assert_has json.maps 'report-json\.so'
assert_not_has json.maps 'libxml2'
assert_has run.jsonl '"event":"run_end"'
assert_has trace.json '"traceEvents"'
assert_root_empty

# A binary moved away from its lib/isola/: plain runs work, report plugins are missing.
rw=$(realpath "$WORK")
mkdir -p alone/bin
cp "$real" alone/bin/isola
run_isola_alone() { # run_isola with the lone binary
	set +e
	alone/bin/isola "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	set -e
}
make_test quick.sh 'exit 0'
run_isola_alone run --root "$ROOT" --keep none quick.sh
assert_rc 0
run_isola_alone run --root "$ROOT" --keep none --junit lone.xml quick.sh
assert_rc 3
assert_has err "^isola: cannot find report-junit\.so, which writes the JUnit report \(looked for $rw/alone/lib/isola/report-junit\.so and .*/report-junit\.so\): reinstall isola"
[ "$(wc -l <err)" -eq 1 ] || fail "more than one line: $(cat err)"
assert_not_has out 'PASS'
[ ! -e lone.xml ] || fail "a report file was left"
assert_root_empty
run_isola_alone exec --root "$ROOT" -- true
assert_rc 0

# A plugin of another build (another version, or the same version with other struct sizes)
# is refused, not called.
mkdir -p alone/lib/isola
cat >fake.c <<-'EOF'
	#include <stddef.h>
	struct fake { const char *version; size_t abi[8]; const void *formats; size_t n; };
	__attribute__((visibility("default"))) const struct fake isola_report_plugin = {
		"0.0.0-other", {1, 2, 3, 4, 5, 6, 7, 8}, NULL, 0};
EOF
cc -shared -fPIC -o alone/lib/isola/report-json.so fake.c || fail "cannot build the fake plugin"
run_isola_alone run --root "$ROOT" --keep none --json lone.jsonl quick.sh
assert_rc 3
assert_has err "^isola: cannot load $rw/alone/lib/isola/report-json\.so, which writes the JSON report: it belongs to another build of isola: reinstall isola"
[ ! -e lone.jsonl ] || fail "a report file was left"
# Not a shared object at all.
echo garbage >alone/lib/isola/report-junit.so
run_isola_alone run --root "$ROOT" --keep none --junit lone.xml quick.sh
assert_rc 3
assert_has err "^isola: cannot load .*report-junit\.so, which writes the JUnit report: .*: reinstall isola"
[ ! -e lone.xml ] || fail "a report file was left"
assert_no_procs
assert_root_empty

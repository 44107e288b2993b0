#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest = DIR and meson = DIR: a CMake project (each test property isola imports) and a Meson
# project (exitcode, TAP and gtest protocols, whose subtests are reported), configured here with Debian's cmake and meson,
# imported, listed and run with the outcome each test deserves, in every report format; labels
# select, dependencies and fixtures order, resource locks never overlap. Bad build directories
# and listings: exit 2, one line naming the source, nothing created.
. "$(dirname "$0")/lib.sh"

src=$ISOLA_SOURCE_DIR/tests/e2e/import
ARGS="--root $ROOT -j4"
mkdir probe
PROBE=$WORK/probe

outcome() { # NAME: the outcome line of test NAME in out
	grep -E "^[A-Z]+ +[0-9.]+m?s  $1( |$)" out | awk '{print $1}'
}

# --- ctest ------------------------------------------------------------------------------------
cmake -S "$src/cmake" -B cb -DPROBE_DIR="$PROBE" >cmake.log 2>&1 || { cat cmake.log; fail "cmake"; }

run_isola list --ctest cb
assert_rc 0
assert_eq "$(wc -l <out)" 20 "every add_test, the disabled one too"
run_isola list -v --ctest cb -k environment
assert_has out '^  from: ctest cb \(--ctest\)$'
assert_has out '^  command: /.*/probe\.sh env GREETING a\$b c$'
# A literal '$' stays literal ($$ in isola's env syntax).
assert_has out '^  env: GREETING=a\$\$b c$'
run_isola list -v --ctest cb -k times-out -k lock-a -k serial -k two-cpus -k skips -k db-user-1 \
	-k db-cleanup -k expected-failure -k disabled -k workdir
assert_has out '^  timeout: 1\.000s$'
assert_has out '^  lock: the_port_8080$'
assert_has out '^  serial$'
assert_has out '^  slots: 2$'
assert_has out '^  skip-exit: 4$'
assert_has out '^  after: db-setup$'
assert_has out '^  after: db-user-1$'
assert_has out '^  will-fail$'
assert_has out '^  not run: DISABLED in CTest$'
assert_has out '^  cwd: /$'
# What isola cannot honour is named, never dropped.
assert_has out '^  not honoured: COST; PASS_REGULAR_EXPRESSION$'

run_isola run $ARGS --ctest cb --json c.jsonl --junit c.xml --tap c.tap --html c.html
assert_rc 1
assert_eq "$(outcome passes)" PASS
assert_eq "$(outcome fails)" FAIL
assert_eq "$(outcome crashes)" CRASH
assert_eq "$(outcome times-out)" TIMEOUT
assert_eq "$(outcome expected-failure)" PASS
assert_has out 'expected-failure \(exit 1, as expected \(will-fail\)\)'
assert_eq "$(outcome unexpected-pass)" FAIL
assert_has out 'unexpected-pass \(exit 0, but the test is to fail \(will-fail\)\)'
assert_eq "$(outcome skips)" SKIP
assert_eq "$(outcome disabled)" SKIP
[ ! -e probe/disabled-ran ] || fail "a DISABLED test ran"
assert_eq "$(outcome environment)" PASS
assert_eq "$(outcome workdir)" PASS
assert_eq "$(outcome default-workdir)" PASS
# The fixture's users started after its setup (which is slow to come up), its cleanup after
# both; DEPENDS likewise.
assert_eq "$(outcome db-user-1)" PASS
assert_eq "$(outcome db-user-2)" PASS
assert_eq "$(outcome db-cleanup)" PASS
[ ! -e probe/fixture-up ] || fail "the cleanup did not run"
assert_eq "$(outcome depends-on-pass)" PASS
assert_eq "$(outcome lock-a)" PASS
assert_eq "$(outcome lock-b)" PASS
[ ! -e probe/overlap ] || fail "two tests held one RESOURCE_LOCK at once"
assert_has out '^14 passed, 4 failed, 2 skipped$'
# Every report says the same.
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" c.jsonl >/dev/null || fail "JSON"
assert_has c.jsonl '"event":"test_end".*"test":"disabled".*"outcome":"SKIP"'
assert_has c.jsonl '"event":"test_end".*"test":"unexpected-pass".*"outcome":"FAIL"'
xmllint --noout --schema "$ISOLA_SOURCE_DIR/tests/report/junit.xsd" c.xml 2>/dev/null || fail "JUnit"
assert_eq "$(xmllint --xpath 'count(//testcase)' c.xml)" 20
assert_eq "$(xmllint --xpath 'count(//testcase[failure or error])' c.xml)" 4
assert_eq "$(xmllint --xpath 'count(//testcase[skipped])' c.xml)" 2
assert_has c.tap '^ok [0-9]+ - disabled # SKIP DISABLED in CTest$'
assert_has c.tap '^not ok [0-9]+ - crashes'
assert_has c.html 'unexpected-pass'

# The order holds under any start order: shuffled, and one job at a time.
rm -f probe/*
run_isola run $ARGS --ctest cb -k 'db-*' --shuffle --seed 3
assert_rc 0
rm -f probe/*
run_isola run --root "$ROOT" -j1 --ctest cb -k 'db-*' --order name
assert_rc 0
# A test whose dependency is not in the run does not wait for it.
rm -f probe/*
run_isola run $ARGS --ctest cb -k db-user-1
assert_rc 1
assert_has out 'db-user-1 .*exit 1'

# Labels select: -L keeps tests with a matching label, --without-label drops them.
run_isola list --ctest cb -L fast
assert_eq "$(tr '\n' ' ' <out)" "passes fails "
run_isola list --ctest cb -L 'un*'
assert_eq "$(tr '\n' ' ' <out)" "passes "
run_isola list --ctest cb -L fast --without-label unit
assert_eq "$(tr '\n' ' ' <out)" "fails "
# A [test NAME] section overrides what was imported; the suite's settings do not.
printf '[suite]\nctest = cb\ntimeout = 9s\n[test times-out]\ntimeout = 3s\n' >isola.ini
run_isola list -v -k times-out
assert_has out '^  timeout: 3\.000s$'
assert_not_has out 'timeout: 9'
rm isola.ini
# --timeout-multiplier scales every timeout, the imported ones too.
run_isola list -v --ctest cb -k times-out --timeout-multiplier 2.5
assert_has out '^  timeout: 2\.500s$'

# --- meson ------------------------------------------------------------------------------------
meson setup mb "$src/meson" -Dprobe_dir="$PROBE" >meson.log 2>&1 || { cat meson.log; fail "meson setup"; }
ninja -C mb >>meson.log 2>&1 || { cat meson.log; fail "ninja"; }
run_isola list -v --meson mb
assert_rc 0
assert_has out '^passes$'
assert_has out '^  label: imported:fast$'
assert_has out '^  label: fast$'
assert_has out '^  env: DOLLAR=a\$\$b$'
assert_has out "^  cwd: $WORK/mb$"
run_isola list --meson mb -L slow
assert_eq "$(tr '\n' ' ' <out)" "fails "
run_isola run $ARGS --meson mb --junit m.xml --json m.jsonl --tap m.tap --html m.html
assert_rc 1
assert_eq "$(outcome passes)" PASS
assert_eq "$(outcome fails)" FAIL
assert_eq "$(outcome serial)" PASS
assert_eq "$(outcome environment)" PASS
assert_eq "$(outcome workdir)" PASS
assert_eq "$(outcome default-workdir)" PASS
assert_eq "$(outcome times-out)" TIMEOUT
# protocol: tap and gtest: the test's own subtests decide, and are reported as cases.
assert_eq "$(outcome tap)" FAIL
assert_has out "^FAIL .*  tap \(subtest 'second' failed\)$"
assert_eq "$(outcome gtest)" FAIL
assert_has out "^FAIL .*  gtest \(subtest 'Math\.Div' failed\)$"
assert_has out '^    not ok Math\.Div: '
xmllint --noout --schema "$ISOLA_SOURCE_DIR/tests/report/junit.xsd" m.xml 2>/dev/null || fail "JUnit"
assert_eq "$(xmllint --xpath 'count(//testcase[@classname="gtest"])' m.xml)" 2
assert_eq "$(xmllint --xpath 'count(//testcase[@classname="gtest" and @name="Math.Div"]/failure)' m.xml)" 1
assert_eq "$(xmllint --xpath 'count(//testcase[@classname="tap" and @name="second"]/failure)' m.xml)" 1
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" m.jsonl >/dev/null || fail "JSON"
assert_has m.jsonl '"event":"test_end".*"test":"gtest".*"outcome":"FAIL".*"subtests":\[.*"name":"Math\.Div"'
assert_has m.jsonl '"event":"test_end".*"test":"times-out".*"outcome":"TIMEOUT"'
assert_has m.tap '^not ok [0-9]+ - tap'
assert_has m.tap '^    not ok [0-9]+ - second'
assert_has m.tap '^ok [0-9]+ - serial'
assert_has m.html 'Math\.Div'
run_isola list -v --meson mb -k tap
assert_has out '^  protocol: tap$'
# With a config file: meson = DIR in [suite].
printf '[suite]\nmeson = mb\n' >isola.ini
run_isola list
assert_has out '^gtest$'
rm isola.ini

# --- bad input --------------------------------------------------------------------------------
"$ISOLA_BIN" clean --root "$ROOT" >/dev/null # the failures' sandboxes kept above
assert_refused '^isola: --ctest: ctest = nowhere: no such directory' --ctest nowhere
mkdir empty
assert_refused '^isola: --ctest: ctest = empty: not a CMake build directory \(it has no CTestTestfile.cmake' \
	--ctest empty
assert_refused '^isola: --meson: meson = cb: not a Meson build directory' --meson cb
printf '[suite]\nctest = nowhere\n' >isola.ini
assert_refused '^isola: isola.ini:2: ctest = nowhere: no such directory'
rm isola.ini
# A build directory of another Meson (its introspection format is not this one's).
cp -R mb mb-other
python3 - mb-other/meson-info/meson-info.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["introspection"]["version"] = {"full": "9.0.0", "major": 9, "minor": 0, "patch": 0}
json.dump(d, open(sys.argv[1], "w"))
PY
assert_refused '^isola: --meson: .meson introspect --tests. ended with exit 1 \(it said: Introspection version 9\.0\.0 is not supported' \
	--meson mb-other
# Listings that are not what they should be: a ctest that prints garbage, another kind of
# JSON, a version isola does not read, no tests at all.
mkdir fake
for case in garbage other-kind version-2 none; do
	case $case in
	garbage) body='printf "{not json"' ;;
	other-kind) body='printf "{\"kind\": \"codemodel\"}"' ;;
	version-2) body='printf "{\"kind\": \"ctestInfo\", \"version\": {\"major\": 2}, \"tests\": []}"' ;;
	none) body='printf "{\"kind\": \"ctestInfo\", \"version\": {\"major\": 1}, \"tests\": []}"' ;;
	esac
	printf '#!/bin/sh\n%s\n' "$body" >fake/ctest
	chmod +x fake/ctest
	case $case in
	garbage) re='what ctest printed is not JSON \(line 1' ;;
	other-kind) re='what ctest printed is not a json-v1 test listing' ;;
	version-2) re='json-v1 listing of version 2, and isola reads version 1' ;;
	none) re='CTest lists no test there' ;;
	esac
	PATH=$WORK/fake:$PATH assert_refused "^isola: --ctest: ctest = cb: $re" --ctest cb
done
# A Meson test whose workdir isola refuses (empty): a note, and its program is still found from
# the build directory (it was looked up from nowhere: "(null)/./prog").
printf '#!/bin/sh
exit 0
' >mb/prog
chmod +x mb/prog
printf '#!/bin/sh
printf %%s %s
' \
	"'[{\"name\": \"blank-workdir\", \"cmd\": [\"./prog\"], \"workdir\": \"\"}]'" >fake/meson
chmod +x fake/meson
PATH=$WORK/fake:$PATH run_isola list -v --meson mb
assert_rc 0
assert_has out '^blank-workdir$'
assert_has out "^  command: $WORK/mb/\\./prog$"
assert_has out '^  not honoured: cwd  \('
# A circle of DEPENDS.
mkdir circle
cat >circle/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.16)
project(circle NONE)
enable_testing()
add_test(NAME one COMMAND true)
add_test(NAME two COMMAND true)
set_tests_properties(one PROPERTIES DEPENDS two)
set_tests_properties(two PROPERTIES DEPENDS one)
CM
cmake -S circle -B circle-b >cmake.log 2>&1 || { cat cmake.log; fail "cmake"; }
assert_refused "^isola: test '(one|two)' is to start after '(one|two)', which is to start after it" \
	--ctest circle-b
# A bad value of the new settings.
assert_refused "^isola: --timeout-multiplier: invalid value '0' for timeout-multiplier" \
	--timeout-multiplier 0 --ctest cb
assert_refused "^isola: --label: invalid value '' for label" --label '' --ctest cb
echo ok

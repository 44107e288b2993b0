#!/bin/sh
# SPDX-License-Identifier: MIT
# Test sources: real GoogleTest, Catch2 and Criterion binaries (built here from Debian's
# packages) expand into one test per case, each run alone in its own process and sandbox, with
# the outcome that case deserves; a lines = CMD source (the libuv runner style, with its own skip
# status), and from-file. Per-case settings by name, -k by case. Bad sources: exit 2, one line,
# nothing created.
. "$(dirname "$0")/lib.sh"

src=$ISOLA_SOURCE_DIR/tests/e2e/sources
g++ -O0 -o unit "$src/unit.cc" -lgtest -lgtest_main -pthread || fail "cannot build the gtest suite"
g++ -O0 -o catch "$src/catch.cc" || fail "cannot build the Catch2 suite"
g++ -O0 -DUNSELECTABLE -o catch-bad "$src/catch.cc" || fail "cannot build the Catch2 suite"
cc -O0 -o crit "$src/crit.c" -lcriterion || fail "cannot build the Criterion suite"
ARGS="--root $ROOT -j2"

outcome() { # NAME: the outcome line of test NAME in out
	grep -E "^[A-Z]+ +[0-9.]+m?s  $1( |$)" out | awk '{print $1}'
}

# --- gtest ------------------------------------------------------------------------------------
run_isola list --gtest ./unit
assert_rc 0
assert_eq "$(tr '\n' ' ' <out)" "unit::Math.Add unit::Math.Fails unit::Crash.Aborts unit::Env.Seen unit::Typed/0.Zero unit::Typed/1.Zero unit::Nums/Param.Even/0 unit::Nums/Param.Even/1 " "the gtest cases"
run_isola list -v --gtest ./unit -k '*Math.Add'
assert_has out '^  from: gtest \./unit \(--gtest\)$'
assert_has out '^  command: .*/unit --gtest_filter=Math\.Add$'

printf '[suite]\ngtest = ./unit\n[test unit::Env.Seen]\nenv = SEEN=yes\n' >isola.ini
run_isola run $ARGS --json g.jsonl --junit g.xml
assert_rc 1
assert_eq "$(outcome 'unit::Math.Add')" PASS
assert_eq "$(outcome 'unit::Math.Fails')" FAIL
# A case that crashes takes down its own process only.
assert_eq "$(outcome 'unit::Crash.Aborts')" CRASH
assert_has out '^CRASH .* unit::Crash\.Aborts \(killed by SIGABRT'
# Settings by the case's name ([test unit::Env.Seen]).
assert_eq "$(outcome 'unit::Env.Seen')" PASS
assert_eq "$(outcome 'unit::Typed/1.Zero')" PASS
assert_eq "$(outcome 'unit::Nums/Param.Even/0')" PASS
assert_eq "$(outcome 'unit::Nums/Param.Even/1')" FAIL
assert_not_has out 'DISABLED'
assert_has out '^5 passed, 3 failed$'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" g.jsonl >/dev/null || fail "JSON"
xmllint --noout --schema "$ISOLA_SOURCE_DIR/tests/report/junit.xsd" g.xml 2>/dev/null || fail "JUnit"
assert_eq "$(xmllint --xpath 'count(//testcase)' g.xml)" 8
# Without the section the case does not see SEEN: the setting reached only it.
rm isola.ini
run_isola run $ARGS --gtest ./unit -k '*Env*'
assert_rc 1
# -k by case.
run_isola run $ARGS --gtest ./unit -k '*Typed*'
assert_rc 0
assert_has out '^2 passed, 0 failed$'

# Disabled cases on request: SKIP, never run (the disabled case would fail if it ran).
run_isola run $ARGS --gtest ./unit --disabled skip -k '*DISABLED*' --junit d.xml
assert_rc 0
assert_has out '^SKIP .* unit::Math\.DISABLED_Later \(disabled in the source \(DISABLED_\)\)$'
assert_has out '^SKIP .* unit::Inst/DISABLED_Q\.Fails/0 '
assert_has out '^0 passed, 0 failed, 2 skipped$'
assert_eq "$(xmllint --xpath 'count(//testcase[skipped])' d.xml)" 2
run_isola list --gtest ./unit --disabled omit
assert_not_has out 'DISABLED'

# gtest-shards = N: the binary whole, N times, each shard its share of the cases (gtest's
# sharding protocol: every case in exactly one shard).
printf '[suite]\ngtest = ./unit\ngtest-shards = 3\n' >isola.ini
run_isola list
assert_eq "$(tr '\n' ' ' <out)" "unit::shard-1/3 unit::shard-2/3 unit::shard-3/3 "
"$ISOLA_BIN" clean --root "$ROOT" >/dev/null # what the runs above kept
run_isola run $ARGS --keep all --json shards.jsonl --junit shards.xml
rm isola.ini
# The cases are the shards' sub-results (gtest's XML): each case failed in its own shard is
# named; the shard whose case aborted wrote no XML and is a CRASH.
assert_has out "unit::shard-[123]/3 \(subtest 'Math\.Fails' failed\)|unit::shard-[123]/3 \([0-9] of [0-9] subtests failed: .*Math\.Fails"
assert_has out '^CRASH .* unit::shard-[123]/3 '
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" shards.jsonl >/dev/null || fail "JSON"
assert_has shards.jsonl '"subtests":\[.*"name":"Math\.Add"'
xmllint --noout --schema "$ISOLA_SOURCE_DIR/tests/report/junit.xsd" shards.xml 2>/dev/null || fail "JUnit"
# Each shard's header says how many cases it runs ("Running 3 tests from ..."): 8 in all.
total=0
for k in 1 2 3; do
	log=$(ls -d "$ROOT"/isola-*/"$k"-*.log)
	assert_has "$log" "^Note: This is test shard $k of 3\.$"
	n=$(sed -n 's/^\[==========\] Running \([0-9]*\) tests\{0,1\} from.*/\1/p' "$log")
	total=$((total + n))
done
assert_eq "$total" 8 "the enabled cases, over the shards"
"$ISOLA_BIN" clean --root "$ROOT" >/dev/null

# A suite whose cases race on a file in their working directory: ctest -j4 over
# gtest_discover_tests runs them as parallel processes in one directory and fails (it is run
# until it does, at most 12 times: the race is a race); isola runs each in its own sandbox and
# passes every time.
cmake -S "$src/race" -B race >cmake.log 2>&1 || { cat cmake.log; fail "cmake failed"; }
cmake --build race >build.log 2>&1 || { cat build.log; fail "the race suite did not build"; }
i=0
while ctest --test-dir race -j4 >ctest.log 2>&1; do
	i=$((i + 1))
	[ $i -lt 12 ] || fail "ctest -j4 never failed the racy suite in 12 runs"
done
assert_has ctest.log 'tests failed out of 8'
for i in 1 2 3; do
	run_isola run $ARGS -j4 --keep none --gtest race/race
	assert_rc 0
	assert_has out '^8 passed, 0 failed$'
done

# --- Catch2 ------------------------------------------------------------------------------------
run_isola run $ARGS --catch2 ./catch
assert_rc 1
assert_eq "$(outcome 'catch::adds, with a comma \[not a tag\]')" PASS
assert_eq "$(outcome 'catch::fails')" FAIL
assert_eq "$(outcome 'catch::crashes')" CRASH
# Listed in quotes, run by its name: it ran (and failed), not "no test matched".
assert_eq "$(outcome 'catch::#hash, listed in quotes')" FAIL
assert_not_has out 'hidden'
assert_has out '^1 passed, 3 failed$'

# --- Criterion -----------------------------------------------------------------------------------
# Its cases hold a lock (Criterion's socket is /tmp/criterion_PID.sock, and every test is pid 2
# in its namespace): at -j2 they never overlap, and repeated they never collide.
run_isola run $ARGS --criterion ./crit --repeat 3 --json c.jsonl
assert_rc 1
assert_not_has out 'Could not initialize the message server'
assert_eq "$(grep -c '"event":"test_end".*"outcome":"PASS"' c.jsonl)" 6
assert_eq "$(grep -c '"event":"test_end".*"outcome":"FAIL"' c.jsonl)" 3
assert_has out '^  crit::math/fails +3 of 3 attempts failed'
assert_not_has out 'later'
run_isola list -v --criterion ./crit -k '*add'
assert_has out '^  lock: criterion-ipc$'

# --- lines = CMD, argv = TEMPLATE, pattern = REGEX; skip-exit --------------------------------
make_test lister 'printf "tcp_ping\n\nudp_send extra words\nskipped_one\n"'
make_test runner 'case $1 in tcp_ping) exit 0 ;; udp_send) exit 1 ;; skipped_one) exit 7 ;; esac; exit 2'
run_isola run $ARGS --lines ./lister --argv './runner {}' --skip-exit 7
assert_rc 1
assert_eq "$(outcome 'lister::tcp_ping')" PASS
assert_eq "$(outcome 'lister::udp_send')" FAIL
assert_eq "$(outcome 'lister::skipped_one')" SKIP
assert_has out '^SKIP .* lister::skipped_one \(exit 7 \(skip-exit\)\)$'
# Without skip-exit, 7 is a failure.
run_isola run $ARGS --lines ./lister --argv './runner {}' -k '*skipped*'
assert_rc 1
# pattern: the first group is the name; lines it does not match are not tests.
make_test lister2 'printf "# header\ntest: tcp_ping\ntest: udp_send\n"'
printf '[suite]\nlines = ./lister2\npattern = ^test: (.*)$\nargv = ./runner {}\nerror-exit = 1\n' >isola.ini
run_isola run $ARGS
assert_rc 1
assert_eq "$(outcome 'lister2::tcp_ping')" PASS
assert_eq "$(outcome 'lister2::udp_send')" ERROR
assert_has out 'exit 1: the test reported a hard error'
assert_not_has out 'header'

# A listing that leaves something running: isola does not wait for it, and kills it.
make_test bg-sleeper 'sleep 300'
make_test lister-bg "echo one; '$WORK/bg-sleeper' & exit 0"
run_isola list --lines ./lister-bg --argv './runner {}'
assert_rc 0
assert_eq "$(cat out)" "lister-bg::one"
wait_no_procs

# Two binaries of one name (a glob over directories): named by their paths.
mkdir -p d1 d2
cp unit d1/unit
cp unit d2/unit
run_isola list --gtest 'd*/unit' -k '*Math.Add'
assert_rc 0
assert_eq "$(tr '\n' ' ' <out)" "d1/unit::Math.Add d2/unit::Math.Add " "names of two binaries of one name"

# --- from-file ---------------------------------------------------------------------------------
rm isola.ini
printf '# commands\n./runner tcp_ping  \t\n\n./runner "udp_send"\r\n' >cmds.txt
run_isola run $ARGS --from-file cmds.txt
assert_rc 1
assert_eq "$(outcome './runner tcp_ping')" PASS
assert_eq "$(outcome './runner \"udp_send\"')" FAIL

# --- bad sources: one line naming the source, exit 2, nothing created -----------------------
rm -f isola.ini
rm -rf "${ROOT:?}"/*
make_test notgtest 'echo "hello"; exit 0'
assert_refused "^isola: --gtest: '.*/notgtest' --gtest_list_tests listed no test case: is it a GoogleTest binary\?$" --gtest ./notgtest
make_test failing 'exit 3'
assert_refused "^isola: --gtest: '.*/failing' --gtest_list_tests ended with exit 3: is it a GoogleTest binary\?$" --gtest ./failing
assert_refused "^isola: --gtest: './nosuch' is not an executable program$" --gtest ./nosuch
assert_refused "^isola: --gtest: no executable program matches 'no\*such'$" --gtest 'no*such'
assert_refused "^isola: --catch2: '.*/notgtest' --libidentify does not say it is a Catch2 binary" --catch2 ./notgtest
assert_refused "^isola: --catch2: '.*/catch-bad' has the test case '\*star', which Catch2 cannot select alone" --catch2 ./catch-bad
make_test noisy 'echo "libfoo.so: cannot open shared object file" >&2; exit 127'
assert_refused "^isola: --gtest: '.*/noisy' --gtest_list_tests ended with exit 127 \(it said: libfoo.so: cannot open shared object file\): is it a GoogleTest binary\?$" --gtest ./noisy
assert_refused "^isola: --criterion: '.*/notgtest' --list listed no test" --criterion ./notgtest
assert_refused "^isola: --lines: 'false' ended with exit 1 listing the tests: fix the command$" --lines false
assert_refused "^isola: --lines: 'true' listed no test$" --lines true
assert_refused "^isola: --argv goes after the --lines CMD it is for$" --argv './runner {}'
assert_refused "^isola: --argv: invalid value './runner' for argv \(a command with \{\} where the test's name goes\)$" --lines ./lister --argv ./runner
assert_refused "^isola: --pattern: invalid value '\(' for pattern" --lines ./lister --pattern '('
assert_refused "^isola: --lines: argv: './nosuch' is not an executable program$" --lines ./lister --argv './nosuch {}'
assert_refused "^isola: --lines: argv: 'nosuch-isola-runner' is not an executable program found in PATH$" --lines ./lister --argv 'nosuch-isola-runner {}'
assert_refused "^isola: --pattern: invalid value 'x' for pattern \(it needs a group" --lines ./lister --pattern x
assert_refused "^isola: --from-file: cannot read 'nosuch.txt'" --from-file nosuch.txt
printf './runner "open\n' >badcmds.txt
assert_refused "^isola: badcmds.txt:1: invalid command \(unterminated quote\)$" --from-file badcmds.txt
assert_refused "^isola: two tests are named 'unit::Math.Add'" --gtest ./unit --gtest ./unit
assert_refused "^isola: --skip-exit: invalid value '0' for skip-exit" --gtest ./unit --skip-exit 0
assert_refused "^isola: --disabled: invalid value 'maybe' for disabled \(expected skip or omit\)$" --gtest ./unit --disabled maybe
assert_refused "^isola: --gtest-shards: gtest-shards = 2 goes with the gtest = before it" --catch2 ./catch --gtest-shards 2
assert_refused "^isola: --gtest-shards: invalid value '0' for gtest-shards" --gtest ./unit --gtest-shards 0
printf '[suite]\nargv = ./runner {}\n' >isola.ini
assert_refused "^isola: isola.ini:2: argv = ./runner \{\} goes with the lines = CMD before it" 
rm -f isola.ini

assert_no_procs

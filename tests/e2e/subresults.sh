#!/bin/sh
# SPDX-License-Identifier: MIT
# Results inside a test (protocol = tap, gtest, junit): TAP scripts with a failing subtest, a
# Bail out!, a plan that does not match, a skipped whole, a TODO, a non-zero exit with every
# point ok, a huge stream (capped) and one without a trailing newline; the GoogleTest fixture as
# ONE test (a failing case is its sub-result; a crashing case leaves no XML: CRASH); a Catch2
# binary writing -r junit to $XML_OUTPUT_FILE; malformed XML, and none where it is required:
# ERROR, each with its reason. Each report format is read back by its consumer.
. "$(dirname "$0")/lib.sh"

src=$ISOLA_SOURCE_DIR/tests/e2e/sources
reports=$ISOLA_SOURCE_DIR/tests/report
g++ -O0 -o unit "$src/unit.cc" -lgtest -lgtest_main -pthread || fail "cannot build the gtest suite"
g++ -O0 -o catch "$src/catch.cc" || fail "cannot build the Catch2 suite"

mkdir t
mk() { # NAME BODY: an executable sh script t/NAME
	printf '#!/bin/sh\n%s\n' "$2" >"t/$1"
	chmod +x "t/$1"
}
mk pass.sh 'printf "TAP version 14\n1..2\nok 1 - adds\nok 2 - subtracts\n"'
mk fail.sh 'printf "TAP version 13\n1..3\nok 1 - adds\nnot ok 2 - divides\n# expected 2, got 3\nok 3 - multiplies\n"; exit 1'
mk bail.sh 'printf "1..4\nok 1 - connects\nBail out! no database\nnot ok 2 - never read\n"'
mk plan.sh 'printf "1..3\nok 1 - one\nok 2 - two\n"'
mk skipall.sh 'printf "1..0 # SKIP no GPU here\n"'
mk todo.sh 'printf "ok 1 - works\nnot ok 2 - later # TODO not written yet\nok 3 - net # SKIP offline\n1..3\n"'
mk exit.sh 'printf "1..1\nok 1 - fine\n"; exit 3'
mk nonl.sh 'printf "1..2\nok 1 - first\nnot ok 2 - last, no newline"'
mk huge.sh 'seq 1 300000 | sed "s/^/ok /"; echo "not ok 300001 - the last one"; echo "1..300001"'
mk malformed.sh 'printf "<testsuites><testcase name=\"x\">" >"$XML_OUTPUT_FILE"'
mk nojunit.sh 'exit 0'
mk notgtest.sh 'echo "I ignore --gtest_output: $*"'

cat >isola.ini <<'EOF'
[suite]
tests = t/*.sh
protocol = tap

[test gt]
command = ./unit --gtest_filter=-Crash.*
protocol = gtest
[test gt-crash]
command = ./unit --gtest_filter=Crash.*:Math.*
protocol = gtest
[test c2]
command = ./catch -r junit -o ${XML_OUTPUT_FILE} ~crashes ~hidden
protocol = junit
[test t/malformed.sh]
protocol = junit
[test t/nojunit.sh]
protocol = junit
[test t/notgtest.sh]
protocol = gtest
EOF

run_isola run --root "$ROOT" -j2 --keep none --junit r.xml --tap r.tap --json r.jsonl --html r.html
assert_rc 1
line() { # NAME: the result line of test NAME
	grep -E "^[A-Z]+ +[0-9.]+m?s  $1( |$)" out || fail "no result line for $1: $(cat out)"
}
outcome() { line "$1" | awk '{print $1}'; }

# TAP: each rule.
assert_eq "$(outcome t/pass.sh)" PASS
assert_eq "$(outcome t/fail.sh)" FAIL
assert_has out '^FAIL .* t/fail\.sh \(subtest '"'"'divides'"'"' failed\)$'
assert_has out '^    not ok divides: expected 2, got 3$'
assert_not_has out '^    (not )?ok adds'            # only failed subtests, without -v
assert_has out '^FAIL .* t/bail\.sh \(Bail out! no database\)$'
assert_has out '^FAIL .* t/plan\.sh \(planned 3 tests, ran 2\)$'
assert_has out '^SKIP .* t/skipall\.sh \(no GPU here\)$'
assert_eq "$(outcome t/todo.sh)" PASS                  # a TODO's failure fails nothing
assert_has out '^FAIL .* t/exit\.sh \(exit 3\)$'        # every point ok, the exit status says no
assert_has out '^FAIL .* t/nonl\.sh \(subtest '"'"'last, no newline'"'"' failed\)$'
assert_has out '^FAIL .* t/huge\.sh \(subtest '"'"'the last one'"'"' failed\)$'
assert_has out '^    not ok the last one$'
# GoogleTest, the binary as one test: its failing cases are its sub-results.
assert_has out '^FAIL .* gt \(3 of 9 subtests failed: Math\.Fails, Env\.Seen, Nums/Param\.Even/1\)$'
assert_has out '^    not ok Math\.Fails: .*unit\.cc:9$'
assert_has out '^        Expected equality of these values:$'
# A case that crashes kills the binary before it writes its XML: the crash is what is said.
assert_has out '^CRASH .* gt-crash \(killed by SIGABRT'
# Catch2's JUnit reporter, told to write $XML_OUTPUT_FILE.
assert_has out '^FAIL .* c2 \(2 of 3 subtests failed: fails, #hash, listed in quotes\)$'
assert_has out '^    not ok fails: FAILED:$'
# Bad or missing XML: ERROR, with why; none under junit is no error.
assert_has out '^ERROR .* t/malformed\.sh \(isola: its JUnit XML is not JUnit XML: line 1: .*\)$'
assert_eq "$(outcome t/nojunit.sh)" PASS
assert_has out '^ERROR .* t/notgtest\.sh \(isola: it wrote no GoogleTest XML; is it a GoogleTest binary\? \(isola gave it --gtest_output=xml:\$XML_OUTPUT_FILE\)\)$'
assert_has out '^3 passed, 11 failed, 1 skipped$'

# -v shows every subtest, passed ones too; the huge one says how many it left out.
run_isola run --root "$ROOT" -v --keep none t/todo.sh t/huge.sh --protocol tap
assert_has out '^    ok works$'
assert_has out '^    not ok later # TODO: not written yet$'
assert_has out '^    skip net: offline$'
assert_has out '^    \.\.\. 299000 more subtests not shown \(isola keeps 1000, and failures\)$'
assert_eq "$(grep -c '^    ok ' out)" 1001

# JUnit: valid, each subtest a testcase of its own (classname: the isola test).
xmllint --noout --schema "$reports/junit.xsd" r.xml 2>xmllint.err || fail "JUnit: $(head -n 5 xmllint.err)"
x() { xmllint --xpath "$1" r.xml; }
assert_eq "$(x 'count(//testcase[@classname="isola"])')" 15
assert_eq "$(x 'string(//testcase[@classname="t/fail.sh"][@name="divides"]/failure/@message)')" "expected 2, got 3"
assert_eq "$(x 'count(//testcase[@classname="t/fail.sh"])')" 3
assert_eq "$(x 'count(//testcase[@classname="gt"][failure])')" 3
assert_eq "$(x 'count(//testcase[@classname="gt"][skipped])')" 2   # the DISABLED_ cases
assert_eq "$(x 'count(//testcase[@classname="c2"])')" 3
assert_eq "$(x 'count(//testcase[@classname="t/todo.sh"][skipped])')" 2
assert_eq "$(x 'count(//testcase[@classname="t/huge.sh"])')" 1001
# tests counts every testcase, subtests included.
assert_eq "$(x 'string(/testsuites/@tests)')" "$(x 'count(//testcase)')"

# TAP: tap-parser reads the subtests, strictly.
NODE_PATH=/usr/share/nodejs node "$reports/check_subtests.js" r.tap >tap.out 2>&1 || fail "$(cat tap.out)"
assert_has tap.out '^  SUB not ok divides$'
assert_has tap.out '^  SUB not ok later # TODO$'
assert_has tap.out '^  SUB ok net # SKIP$'
assert_has tap.out '^  SUB not ok Math\.Fails$'
assert_has tap.out '^TEST not ok t/fail\.sh$'
assert_eq "$(grep -A3 'SUB not ok divides' tap.out | grep -m1 '^TEST')" "TEST not ok t/fail.sh"
assert_has r.tap '^    # 299000 more subtests not shown'

# JSON: valid against the schema; the subtests as written.
/usr/bin/python3 "$reports/check_json.py" r.jsonl >json.out 2>&1 || fail "$(cat json.out)"
/usr/bin/python3 - r.jsonl >subs.out <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev["event"] == "test_end" and "subtests" in ev:
        failed = [s["name"] for s in ev["subtests"] if s["outcome"] in ("FAIL", "ERROR") and not s["todo"]]
        print(ev["test"], ev["subtests_total"], ev["subtests_failed"], len(ev["subtests"]), ",".join(failed))
EOF
assert_has subs.out '^t/fail\.sh 3 1 3 divides$'
assert_has subs.out '^gt 9 3 9 Math\.Fails,Env\.Seen,Nums/Param\.Even/1$'
assert_has subs.out '^t/huge\.sh 300001 1 1001 the last one$'
assert_not_has subs.out '^t/nojunit\.sh'

# isola merge reads them back.
run_isola merge --junit m.xml r.jsonl
assert_rc 1
assert_has out '^    not ok divides: expected 2, got 3$'
assert_eq "$(xmllint --xpath 'count(//testcase[@classname="gt"][failure])' m.xml)" 3

# HTML: the failed subtests under the failure, every subtest under its row.
assert_has r.html '<li class="subtest" data-outcome="FAIL" data-subtest="divides">'
assert_has r.html '<li class="subtest" data-outcome="FAIL" data-subtest="Math.Fails">'
assert_has r.html '<tr class="subtest" data-outcome="PASS"><td></td><td class="name">&#8627; adds</td>'
assert_has r.html '299000 more subtests not shown'

# Bad values are refused before anything runs.
assert_refused "invalid value 'xml' for protocol \(expected exitcode, tap, gtest or junit\)" --protocol xml t/pass.sh
assert_root_empty

#!/bin/sh
# SPDX-License-Identifier: MIT
# isola merge: the --json reports of N shards (isola run --partition) make one JSON, JUnit, TAP
# and HTML report whose outcomes equal a single-machine run's, test for test; a lost shard, a
# shard given twice, a shard cut short and a test in two shards each make it exit 1 and are
# named; a file that is not a report is exit 2 with one line and no report written.
. "$(dirname "$0")/lib.sh"

# A suite with every outcome, the same on every run: passes, a failure, a skip, a retry that
# passes the second time (flaky), a timeout.
make_test pass.sh 'exit 0'
make_test fail.sh 'printf "it broke\000 past a NUL\n" >&2; exit 1'
make_test skip.sh 'exit 77'
make_test flaky.sh 'if [ "$ISOLA_ATTEMPT" = 1 ]; then exit 1; fi; exit 0'
make_test slow.sh 'sleep 30'
{
	for i in $(seq 1 24); do printf '[test p%02d]\ncommand = %s/pass.sh\n' "$i" "$WORK"; done
	printf '[test fails]\ncommand = %s/fail.sh\n' "$WORK"
	printf '[test skips]\ncommand = %s/skip.sh\n' "$WORK"
	printf '[test flaky]\ncommand = %s/flaky.sh\n' "$WORK"
	printf '[test slow]\ncommand = %s/slow.sh\ntimeout = 0.3s\ngrace = 0.1s\n' "$WORK"
} >isola.ini
ARGS="--root $ROOT --keep none --retries 1"

# outcomes FILE: "NAME OUTCOME" of each test's last attempt in a --json report, sorted.
outcomes() {
	python3 - "$1" <<-'EOF'
	import json, sys
	last = {}
	for line in open(sys.argv[1]):
	    ev = json.loads(line)
	    if ev["event"] == "test_end":
	        if ev["attempt"] >= last.get(ev["test"], (0, ""))[0]:
	            last[ev["test"]] = (ev["attempt"], ev["outcome"])
	for name in sorted(last):
	    print(name, last[name][1])
	EOF
}

run_isola run $ARGS --json single.jsonl --junit single.xml --tap single.tap
assert_rc 1
outcomes single.jsonl >single.out
[ "$(wc -l <single.out)" -eq 28 ] || fail "the single run has $(wc -l <single.out) results"

for strategy in hash slice; do
	for k in 1 2 3 4; do
		run_isola run $ARGS --partition "$strategy:$k/4" --json "$strategy$k.jsonl"
		[ "$RC" -le 1 ] || fail "shard $k of 4 exited $RC: $(cat err)"
	done
	run_isola merge --json merged.jsonl --junit merged.xml --tap merged.tap --html merged.html \
		"${strategy}1.jsonl" "${strategy}2.jsonl" "${strategy}3.jsonl" "${strategy}4.jsonl"
	assert_rc 1 # fails and slow did not pass
	outcomes merged.jsonl >merged.out
	cmp -s merged.out single.out || fail "$strategy: merged outcomes differ: $(diff single.out merged.out)"
	assert_has out '^(FAIL|TIMEOUT) '
	assert_not_has out '^PASS ' # only what did not pass, without -v
	assert_has out '^25 passed, 2 failed, 1 skipped'
	python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" merged.jsonl >/dev/null ||
		fail "$strategy: the merged JSON does not validate"
	# The same shape as the single run's (a retried test's attempts included).
	assert_eq "$(grep -c '<testcase ' merged.xml)" "$(grep -c '<testcase ' single.xml)" "JUnit testcases"
	assert_eq "$(grep -c '<failure' merged.xml)" "$(grep -c '<failure' single.xml)" "JUnit failures"
	assert_eq "$(grep '^1\.\.' merged.tap)" "$(grep '^1\.\.' single.tap)" "the TAP plan"
	assert_eq "$(grep -c '^not ok' merged.tap)" "$(grep -c '^not ok' single.tap)" "TAP failures"
	assert_has merged.html 'fails'
	# What the failure said comes along (the report carries a failed attempt's output tail,
	# a NUL in it too), and the merge leaves no file of its own behind.
	assert_has merged.xml 'it broke\^@ past a NUL'
	assert_has merged.tap 'it broke'
	[ -z "$(ls -A "${TMPDIR:-/tmp}" | grep '^isola-merge\.')" ] || fail "merge left its temporary files"
done

# A shard given alone with its reports fine, all passed: exit 0.
run_isola run $ARGS -k 'p*' --partition hash:1/2 --json p1.jsonl
run_isola run $ARGS -k 'p*' --partition hash:2/2 --json p2.jsonl
run_isola merge p1.jsonl p2.jsonl
assert_rc 0
assert_has out '^24 passed, 0 failed$'

# A lost shard: exit 1, the shard and (from isola.ini and -k as the shards had) its tests named.
run_isola merge -k 'p*' p1.jsonl
assert_rc 1
assert_has err '^isola: 1 of the 2 shards have no report here'
assert_has err '^  shard hash:2/2$'
lost=$(sed -n 's/^  \(p[0-9][0-9]\)$/\1/p' err | sort | tr '\n' ' ')
run_isola list -k 'p*' --partition hash:2/2
assert_eq "$lost" "$(sort out | tr '\n' ' ')" "the lost shard's tests"
# Without the suite at hand, still exit 1, with a count.
mkdir elsewhere
cp p1.jsonl elsewhere/
(cd elsewhere && "$ISOLA_BIN" merge p1.jsonl >../out 2>../err) && fail "merge of a lost shard passed" || true
assert_has err 'tests have no result in any shard \(no config file here'

# A shard given twice, a test in two shards.
run_isola merge p1.jsonl p1.jsonl p2.jsonl
assert_rc 1
assert_has err 'the same shard is given more than once'
assert_has err 'ran in more than one shard'

# A shard killed while it ran: its file stops early (maybe mid-line).
head -n 4 p2.jsonl >cut.jsonl
printf '{"event":"test_end","t":0.2,"te' >>cut.jsonl
run_isola merge p1.jsonl cut.jsonl
assert_rc 1
assert_has err '^isola: cut\.jsonl stops before its run ended'

# Shards of two different suites, or of different splits.
run_isola merge p1.jsonl hash2.jsonl
assert_rc 2
assert_has err 'is not a shard of the same suite'

# Not reports: exit 2, one line naming the file, no report written.
for bad in garbage empty schema; do
	case $bad in
	garbage) printf 'hello\n' >bad.jsonl ;;
	empty) : >bad.jsonl ;;
	schema) sed '1s/"schema":1/"schema":99/' p1.jsonl >bad.jsonl ;;
	esac
	run_isola merge --json never.jsonl bad.jsonl
	assert_rc 2
	assert_has err '^isola: merge: .*bad\.jsonl'
	[ "$(wc -l <err)" -eq 1 ] || fail "$bad: more than one line: $(cat err)"
	[ ! -e never.jsonl ] || fail "$bad: a report was written"
done
run_isola merge
assert_rc 2
run_isola merge --partition hash:1/2 p1.jsonl
assert_rc 2
assert_has err "option '--partition' is not for isola merge"
assert_root_empty

#!/bin/sh
# SPDX-License-Identifier: MIT
# --junit, --tap, --json, --trace and --html together, on a suite with every outcome and with
# nasty names and output (tests/report/suite.sh): each file matches its golden file once times,
# paths and ids are normalised, and each is read by a real consumer: xmllint against a JUnit
# schema and junitparser; TAP::Parser (prove's) and tap-parser (node-tap's, TAP 14); a JSON
# Schema validator; the trace event format's nesting rules. UPDATE_GOLDEN=1 rewrites the goldens.
. "$(dirname "$0")/lib.sh"

top=$ISOLA_SOURCE_DIR
reports=$top/tests/report
. "$reports/suite.sh"
make_report_suite "$WORK/suite"

run_isola run --root "$ROOT" -j1 --config suite/isola.ini --junit out.xml --tap out.tap \
	--json out.jsonl --trace out.trace.json --html out.html
assert_rc 1
assert_eq "$(tail -n 1 out)" "2 passed, 7 failed, 1 skipped"
for f in out.xml out.tap out.jsonl out.trace.json out.html; do
	[ -s "$f" ] || fail "$f was not written"
done
# No temporary is left beside them.
for f in .out*; do
	[ ! -e "$f" ] || fail "a temporary file was left behind: $f"
done

# The goldens.
run_id=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["run_id"])' out.jsonl)
[ -n "$run_id" ] || fail "no run id in out.jsonl"
for pair in junit:out.xml:report.junit.xml tap:out.tap:report.tap json:out.jsonl:report.jsonl \
	trace:out.trace.json:report.trace.json html:out.html:report.html; do
	fmt=${pair%%:*}
	rest=${pair#*:}
	file=${rest%%:*}
	golden=$reports/golden/${rest#*:}
	/usr/bin/python3 "$reports/normalise.py" "$fmt" "$file" "$WORK" "$ROOT" "$run_id" >"$file.norm" ||
		fail "normalise.py $fmt failed"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$file.norm" "$golden"
		continue
	fi
	if ! cmp -s "$file.norm" "$golden"; then
		diff -u "$golden" "$file.norm" | head -n 60 >&2 || true
		fail "$file differs from $golden (UPDATE_GOLDEN=1 rewrites it, if the change is meant)"
	fi
done

# JUnit: well-formed whatever the test printed, valid against the schema, and read back as
# Jenkins-like readers read it.
xmllint --noout out.xml 2>xmllint.err || fail "out.xml is not well-formed: $(head -n 3 xmllint.err)"
xmllint --noout --schema "$reports/junit.xsd" out.xml 2>xmllint.err ||
	fail "out.xml is not valid JUnit: $(head -n 5 xmllint.err)"
# The schema does bite: a testcase without its classname is refused.
sed 's/ classname="isola"//' out.xml >broken.xml
if xmllint --noout --schema "$reports/junit.xsd" broken.xml 2>/dev/null; then
	fail "junit.xsd accepted a testcase without classname"
fi
/usr/bin/python3 "$reports/check_junit.py" out.xml >junit.out 2>&1 || fail "$(cat junit.out)"

# TAP: TAP::Parser (prove's parser) and tap-parser (a TAP 14 parser).
perl "$reports/check_tap.pl" out.tap >tap.out 2>&1 || fail "$(cat tap.out)"
if [ -d /usr/share/nodejs/tap-parser ]; then
	NODE_PATH=/usr/share/nodejs node "$reports/check_tap.js" out.tap >tapjs.out 2>&1 ||
		fail "$(cat tapjs.out)"
else
	fail "tap-parser is not installed (Debian package node-tap-parser; scripts/install-deps)"
fi

# JSON Lines: every event valid against the schema, the story consistent, the outcomes in order.
# shellcheck disable=SC2086 # one word per outcome
/usr/bin/python3 "$reports/check_json.py" out.jsonl $REPORT_SUITE_OUTCOMES >json.out 2>&1 ||
	fail "$(cat json.out)"

# Trace: one track per slot, slices nested as the importers need; then with three slots.
/usr/bin/python3 "$reports/check_trace.py" out.trace.json 10 1 >trace.out 2>&1 ||
	fail "$(cat trace.out)"
run_isola run --root "$ROOT" -j3 --config suite/isola.ini --trace out3.trace.json --json out3.jsonl
assert_rc 1
/usr/bin/python3 "$reports/check_trace.py" out3.trace.json 10 3 >trace.out 2>&1 ||
	fail "$(cat trace.out)"
/usr/bin/python3 "$reports/check_json.py" out3.jsonl >json.out 2>&1 || fail "$(cat json.out)"
assert_no_procs

#!/bin/sh
# SPDX-License-Identifier: MIT
# The environment contract: what every test can rely on, --env expansion by isola (never a
# shell), --unset, --keep-home, and ISOLA_SLOT unique among tests running at the same time.
. "$(dirname "$0")/lib.sh"

make_test env.sh 'env | sort >"$ISOLA_SANDBOX/../env.$ISOLA_TEST.txt"; exit 1'
export KEEP_ME=kept DROP_ME=dropped
run_isola run --root "$ROOT" --keep all --unset DROP_ME \
	--env 'APP_DIR=${ISOLA_SANDBOX}/methods' --env 'LITERAL=$$HOME and ${KEEP_ME} $x' \
	--env 'PORT_BASE=90${ISOLA_SLOT}' --env 'QUOTED=a "b" '"'c'"' ;$(true)' env.sh
assert_rc 1
run=$(ls "$ROOT")
f="$ROOT/$run/env.env.sh.txt"
[ -f "$f" ] || fail "the test did not run"
sb=$(sed -n 's/^ISOLA_SANDBOX=//p' "$f")
case $sb in "$ROOT/$run/"[0-9]*-??????) ;; *) fail "ISOLA_SANDBOX=$sb" ;; esac
[ ${#sb} -lt 120 ] || fail "sandbox path too long: $sb"
assert_has "$f" '^ISOLA=1$'
assert_has "$f" "^ISOLA_RUN_ID=[A-Za-z0-9]{6}-[0-9a-f]{8}$"
assert_has "$f" '^ISOLA_TEST=env\.sh$'
assert_has "$f" '^ISOLA_SLOT=0$'
assert_has "$f" '^ISOLA_ATTEMPT=1$'
assert_has "$f" "^ISOLA_SOURCE_DIR=$WORK$"
for v in TMPDIR TMP TEMP TEST_TMPDIR; do assert_has "$f" "^$v=$sb/tmp$"; done
assert_has "$f" "^HOME=$sb/home$"
assert_has "$f" "^PWD=$sb$"
assert_has "$f" "^APP_DIR=$sb/methods$"
assert_has "$f" '^LITERAL=\$HOME and kept \$x$'
assert_has "$f" '^PORT_BASE=900$'
assert_has "$f" "^QUOTED=a \"b\" 'c' ;\\\$\\(true\\)$"
assert_has "$f" '^KEEP_ME=kept$'
assert_not_has "$f" '^DROP_ME='
[ "$(stat -c %a "$sb/tmp")" = 700 ] && [ "$(stat -c %a "$sb/home")" = 700 ] || fail "tmp/home not 0700"
# Bazel's contract.
assert_has "$f" "^TEST_UNDECLARED_OUTPUTS_DIR=$sb/outputs$"
[ "$(stat -c %a "$sb/outputs")" = 700 ] || fail "outputs/ not a 0700 directory"
assert_has "$f" "^TEST_PREMATURE_EXIT_FILE=$sb/premature-exit$"
assert_has "$f" "^TEST_WARNINGS_OUTPUT_FILE=$sb/warnings$"

# A test that exits 0 but leaves TEST_PREMATURE_EXIT_FILE (as gtest does when a case calls
# exit) did not end as it should: FAIL. The same test removing the file passes.
make_test early.sh ': >"$TEST_PREMATURE_EXIT_FILE"; [ -z "${TIDY:-}" ] || rm "$TEST_PREMATURE_EXIT_FILE"'
run_isola run --root "$ROOT" early.sh
assert_rc 1
assert_has out '^FAIL .* early\.sh \(exit 0 before its end \(it left TEST_PREMATURE_EXIT_FILE\)\)$'
run_isola run --root "$ROOT" --env TIDY=1 early.sh
assert_rc 0

# What a failed test leaves in TEST_UNDECLARED_OUTPUTS_DIR is kept and listed in the reports.
make_test outputs.sh 'echo core >"$TEST_UNDECLARED_OUTPUTS_DIR/dump.txt"; : >"$TEST_UNDECLARED_OUTPUTS_DIR/trace"; exit 1'
run_isola run --root "$ROOT" --json outputs.jsonl outputs.sh
assert_rc 1
assert_has out '^    outputs: /.*/outputs \(2 entries\)$'
dir=$(sed -n 's/^    outputs: \(.*\) (2 entries)$/\1/p' out)
assert_eq "$(cat "$dir/dump.txt")" core
assert_has outputs.jsonl '"event":"test_end".*"outputs":2'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" outputs.jsonl >/dev/null || fail "JSON"

# --keep-home keeps the real HOME; a config file can say so too.
run_isola clean --root "$ROOT"
HOME=/the/real/home run_isola run --root "$ROOT" --keep all --keep-home env.sh
f=$(ls "$ROOT"/*/env.env.sh.txt)
assert_has "$f" '^HOME=/the/real/home$'

# ISOLA_SLOT: in 0..jobs-1 and never shared by two tests running at once. Each test holds its
# slot's lock file for a while; a second holder would find it taken.
make_test slot.sh '
case $ISOLA_SLOT in 0|1|2) ;; *) echo "bad slot $ISOLA_SLOT"; exit 1 ;; esac
exec 9>"$SLOTDIR/$ISOLA_SLOT"
flock -n 9 || { echo "slot $ISOLA_SLOT in use"; exit 1; }
sleep 0.05'
mkdir slots
for i in 1 2 3 4 5 6 7 8 9; do cp slot.sh "slot$i.sh"; done
run_isola run --root "$ROOT" -j3 --env "SLOTDIR=$WORK/slots" 'slot?.sh'
assert_rc 0
assert_eq "$(tail -n 1 out)" "9 passed, 0 failed"
assert_eq "$(ls slots | sort | tr '\n' ' ')" "0 1 2 "

# The environment of an outer isola run does not confuse an inner one: ISOLA_* are replaced.
ISOLA_TEST=outer ISOLA_SLOT=7 run_isola run --root "$ROOT" --keep all env.sh
f=$(ls -t "$ROOT"/*/env.env.sh.txt | head -n 1)
assert_has "$f" '^ISOLA_TEST=env\.sh$'
assert_has "$f" '^ISOLA_SLOT=0$'

# Many settings referring to the contract (a regression: the fifth one used to read freed memory).
make_test many.sh 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do eval "v=\$V$i"; [ "$v" = "$ISOLA_SANDBOX/x$i" ] || { echo "V$i=$v"; exit 1; }; done'
set --
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do set -- "$@" --env "V$i=\${ISOLA_SANDBOX}/x$i"; done
run_isola run --root "$ROOT" --keep none "$@" many.sh
assert_rc 0

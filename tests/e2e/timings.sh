#!/bin/sh
# SPDX-License-Identifier: MIT
# Recorded durations: every run records its tests' durations (.isola/timings beside the config
# file, or here; --timings FILE, ISOLA_TIMINGS, timings = FILE|off), and the next run starts the
# longest first, tests with no record first of all. Concurrent runs lose nothing; a file that is
# not a timings file is rewritten. --slow DUR names a test that runs long, and the summary lists
# the slowest.
. "$(dirname "$0")/lib.sh"
unset ISOLA_TIMINGS

make_test a_fast.sh 'sleep 0.02'
make_test b_mid.sh 'sleep 0.3'
make_test c_slow.sh 'sleep 0.6'
ARGS="--root $ROOT -j1 --keep none"
started() { sed -n 's/.*"event":"test_start","t":[0-9.e-]*,"test":"\([^"]*\)".*/\1/p' "$1" | tr '\n' ' '; }

# The first run: the order given, and the durations recorded.
run_isola run $ARGS --json r1.jsonl a_fast.sh b_mid.sh c_slow.sh
assert_rc 0
assert_eq "$(started r1.jsonl)" "a_fast.sh b_mid.sh c_slow.sh " "the first run's order"
[ -f .isola/timings ] || fail "no .isola/timings recorded"
assert_eq "$(grep -vc '^#' .isola/timings)" 3 "tests recorded"
assert_has .isola/timings '^0\.[0-9]+	c_slow\.sh$'
assert_eq "$(ls -A .isola | tr '\n' ' ')" "timings timings.lock " "what .isola holds"

# The next: the longest first (LPT), a test with no record first of all.
make_test d_new.sh 'exit 0'
run_isola run $ARGS --json r2.jsonl a_fast.sh b_mid.sh c_slow.sh d_new.sh
assert_rc 0
assert_eq "$(started r2.jsonl)" "d_new.sh c_slow.sh b_mid.sh a_fast.sh " "the recorded order"
assert_has r2.jsonl '"order":"longest"'
assert_eq "$(grep -vc '^#' .isola/timings)" 4 "tests recorded"
# isola list shows the same order.
run_isola list a_fast.sh b_mid.sh c_slow.sh
assert_eq "$(tr '\n' ' ' <out)" "c_slow.sh b_mid.sh a_fast.sh " "isola list's order"
# --order given still gives the order given.
run_isola run $ARGS --json r3.jsonl --order given a_fast.sh b_mid.sh c_slow.sh
assert_eq "$(started r3.jsonl)" "a_fast.sh b_mid.sh c_slow.sh " "--order given"

# --no-timings: neither read nor recorded.
cp .isola/timings before.txt
make_test e_other.sh 'exit 0'
run_isola run $ARGS --no-timings --json r4.jsonl a_fast.sh b_mid.sh e_other.sh
assert_rc 0
assert_eq "$(started r4.jsonl)" "a_fast.sh b_mid.sh e_other.sh " "--no-timings order"
cmp -s before.txt .isola/timings || fail "--no-timings recorded"

# Elsewhere: --timings FILE, ISOLA_TIMINGS=FILE; off in the config.
run_isola run $ARGS --timings mine.txt a_fast.sh
assert_rc 0
assert_has mine.txt '	a_fast\.sh$'
export ISOLA_TIMINGS="$WORK/env.txt"
run_isola run $ARGS a_fast.sh
unset ISOLA_TIMINGS
assert_has env.txt '	a_fast\.sh$'
mkdir proj
printf '[suite]\ntimings = off\n[test t]\ncommand = %s/a_fast.sh\n' "$WORK" >proj/isola.ini
run_isola run $ARGS -c proj/isola.ini
assert_rc 0
[ ! -e proj/.isola ] || fail "timings = off recorded"
sed -i 's/^timings = off$//' proj/isola.ini
run_isola run $ARGS -c proj/isola.ini
[ -f proj/.isola/timings ] || fail "the config's directory holds no .isola/timings"

# Runs at the same time lose none of each other's records (the file is replaced under a lock).
rm -rf .isola
for i in 1 2 3 4 5 6; do make_test "x$i.sh" 'exit 0'; done
for i in 1 2 3 4 5 6; do
	"$ISOLA_BIN" run --root "$ROOT" --keep none "x$i.sh" >/dev/null 2>&1 &
done
wait
for i in 1 2 3 4 5 6; do assert_has .isola/timings "	x$i\.sh$"; done
assert_eq "$(ls -A .isola | tr '\n' ' ')" "timings timings.lock " "temporary files left"

# A file that is not a timings file: a warning, and the run rewrites it.
printf 'garbage\n' >.isola/timings
run_isola run $ARGS a_fast.sh
assert_rc 0
assert_has err '^isola: warning: .*\.isola/timings:1: not a line of a timings file.* ignored \(it is rewritten at the end of this run\)$'
assert_has .isola/timings '	a_fast\.sh$'
assert_not_has .isola/timings garbage
# One that cannot be written: a warning; the run's result stands.
run_isola run $ARGS --timings "$WORK/no/such/dir/t" a_fast.sh
assert_rc 0
assert_has err '^isola: warning: the durations of this run were not recorded: cannot (lock|write) the timings file'
# One named that is not a timings file: an error (the user named it).
printf 'garbage\n' >bad.txt
run_isola run $ARGS --timings bad.txt a_fast.sh
assert_rc 2
assert_has err '^isola: bad\.txt:1: not a line of a timings file'
run_isola run $ARGS --timings t.txt --no-timings a_fast.sh
assert_rc 2
assert_has err 'say opposite things'

# --slow DUR: a line while it runs, and the summary lists the slowest.
run_isola run $ARGS --slow 0.2s --json slow.jsonl a_fast.sh c_slow.sh
assert_rc 0
assert_has out '^SLOW +0\.[0-9]+s  c_slow\.sh \(still running\)$'
assert_not_has out '^SLOW .*a_fast'
assert_has out '^slowest: c_slow\.sh 0\.[0-9]+s$'
assert_has slow.jsonl '"event":"test_slow".*"test":"c_slow.sh"'
assert_has slow.jsonl '"slowest":\[\{"test":"c_slow.sh"'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" slow.jsonl >/dev/null || fail "JSON"
# Without it the bar is 1 s: nothing here is that slow.
run_isola run $ARGS a_fast.sh c_slow.sh
assert_not_has out '^slowest:'
assert_not_has out '^SLOW'

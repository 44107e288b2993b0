#!/bin/sh
# SPDX-License-Identifier: MIT
# What cannot be copied: lock = NAME (tests holding one lock never overlap, while the others
# keep running), [lock NAME] max = N, serial = true and slots = N. Checked from the JSON events:
# each test's run is [end - duration, end], its end being the test_end's time less its cleanup.
. "$(dirname "$0")/lib.sh"

make_test nap.sh 'sleep 0.3'
{
	printf '[suite]\ncommand = %s/nap.sh\n' "$WORK" | sed 's/command/;/'
	for i in 1 2 3; do printf '[test db%d]\ncommand = %s/nap.sh\nlock = db\n' $i "$WORK"; done
	for i in 1 2 3; do printf '[test free%d]\ncommand = %s/nap.sh\n' $i "$WORK"; done
} >isola.ini
ARGS="--root $ROOT --keep none"

# overlaps FILE A B: how many pairs of a test matching A and another matching B (Python regexes)
# ran at the same time (by more than 5 ms: the times are the reports').
overlaps() {
	python3 - "$@" <<'EOF'
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
runs = []
for e in ev:
    if e["event"] == "test_end":
        end = e["t"] - e["cleanup_duration"]
        runs.append((e["test"], e["seq"], end - e["duration"], end))
n = 0
for a in runs:
    for b in runs:
        if a[1] < b[1] or (a[1] != b[1] and not re.fullmatch(sys.argv[2], b[0])):
            pass
        if a[1] == b[1] or not re.fullmatch(sys.argv[2], a[0]) or not re.fullmatch(sys.argv[3], b[0]):
            continue
        if min(a[3], b[3]) - max(a[2], b[2]) > 0.005:
            n += 1
print(n)
EOF
}

# Without the lock, the db tests overlap at -j3 (this is what the lock must prevent).
sed 's/^lock = db$//' isola.ini >nolock.ini
run_isola run $ARGS -j3 -c nolock.ini -k 'db*' --json nolock.jsonl
assert_rc 0
[ "$(overlaps nolock.jsonl 'db.' 'db.')" -gt 0 ] || fail "without the lock, the db tests did not overlap"

# With it: never two db tests at once, and the free tests ran beside them.
run_isola run $ARGS -j3 --json lock.jsonl
assert_rc 0
assert_has out '^6 passed, 0 failed$'
python3 "$ISOLA_SOURCE_DIR/tests/report/check_json.py" lock.jsonl >/dev/null || fail "JSON"
assert_eq "$(overlaps lock.jsonl 'db.' 'db.')" 0 "db tests overlapped under lock = db"
[ "$(overlaps lock.jsonl 'db.' 'free.')" -gt 0 ] || fail "the free tests waited for the lock"

# isola list -v says what a test holds.
run_isola list -v -k db1
assert_has out '^  lock: db$'
run_isola list -v -k free1 --slots 2
assert_has out '^  slots: 2$'

# Repeated, and on the command line (--lock): the same.
run_isola run $ARGS -j3 -c nolock.ini -k 'db*' --lock db --repeat 2 --json cli.jsonl
assert_rc 0
assert_eq "$(overlaps cli.jsonl 'db.' 'db.')" 0 "db tests overlapped under --lock db"

# [lock NAME] max = 2: two at once, never three.
printf '[lock db]\nmax = 2\n' >>isola.ini
run_isola run $ARGS -j3 -k 'db*' --json max2.jsonl
assert_rc 0
python3 - max2.jsonl <<'EOF' || fail "max = 2 was not two at a time"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
runs = [(e["t"] - e["cleanup_duration"] - e["duration"], e["t"] - e["cleanup_duration"])
        for e in ev if e["event"] == "test_end"]
most = max(sum(1 for s, e in runs if s + 0.005 < t < e - 0.005) for t in [s for s, _ in runs] + [(s + e) / 2 for s, e in runs])
assert most == 2, most
EOF

# serial = true: it runs alone. slots = 2 at -j2: alone too.
{
	printf '[test alone]\ncommand = %s/nap.sh\nserial = true\n' "$WORK"
	for i in 1 2 3 4; do printf '[test other%d]\ncommand = %s/nap.sh\n' $i "$WORK"; done
} >serial.ini
run_isola run $ARGS -j3 -c serial.ini --json serial.jsonl
assert_rc 0
assert_eq "$(overlaps serial.jsonl alone 'other.')" 0 "a serial test ran beside others"
[ "$(overlaps serial.jsonl 'other.' 'other.')" -gt 0 ] || fail "the others did not run in parallel"
sed 's/^serial = true$/slots = 2/' serial.ini >slots.ini
run_isola run $ARGS -j2 -c slots.ini --json slots.jsonl
assert_rc 0
assert_eq "$(overlaps slots.jsonl alone 'other.')" 0 "a slots = 2 test ran beside others at -j2"
# At -j3 it leaves room for one more.
run_isola run $ARGS -j3 -c slots.ini --json slots3.jsonl
assert_rc 0
[ "$(overlaps slots3.jsonl alone 'other.')" -gt 0 ] || fail "slots = 2 at -j3 ran alone"
# A test that counts as more jobs than the run has runs alone, not never.
run_isola run $ARGS -j2 -c slots.ini --slots 9 -k alone
assert_rc 0

# --- bad input: one line naming the file and line, exit 2, nothing started --------------------
bad() { # REGEX FILE [ARGS...]
	_re=$1
	_f=$2
	shift 2
	run_isola run $ARGS -c "$_f" "$@"
	assert_rc 2
	assert_has err "$_re"
	assert_eq "$(wc -l <"$WORK/err")" 1 "one line"
	assert_root_empty
}
printf '[lock db]\nmaximum = 2\n' >bad1.ini
bad "^isola: bad1.ini:2: unknown key 'maximum' in \[lock db\] \(a lock has max = N\)$" bad1.ini
printf '[lock db]\nmax = 0\n' >bad2.ini
bad "^isola: bad2.ini:2: invalid value '0' for max in \[lock db\]" bad2.ini
printf '[lock d b]\nmax = 1\n' >bad3.ini
bad "^isola: bad3.ini:2: invalid lock name 'd b'" bad3.ini
printf '[test t]\ncommand = %s/nap.sh\nlock = a/b\n' "$WORK" >bad4.ini
bad "^isola: bad4.ini:3: invalid value 'a/b' for lock" bad4.ini
printf '[test t]\ncommand = %s/nap.sh\nslots = 0\n' "$WORK" >bad5.ini
bad "^isola: bad5.ini:3: invalid value '0' for slots" bad5.ini
printf '[test t]\ncommand = %s/nap.sh\nserial = often\n' "$WORK" >bad6.ini
bad "^isola: bad6.ini:3: invalid value 'often' for serial \(expected true or false\)$" bad6.ini
bad "^isola: --slots: invalid value '-1' for slots" serial.ini --slots -1

assert_no_procs

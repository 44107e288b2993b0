#!/bin/sh
# SPDX-License-Identifier: MIT
# --partition from the command line: N shards listed and run are disjoint and together the
# whole selection (after -k and --exclude); auto reads the CI engine's variables; a shard with
# no test passes; every bad value is one line, exit 2, nothing created or started.
. "$(dirname "$0")/lib.sh"

make_test ok.sh 'exit 0'
{
	for i in $(seq 1 60); do printf '[test t%02d]\ncommand = %s/ok.sh\n' "$i" "$WORK"; done
	printf '[test other]\ncommand = %s/ok.sh\n' "$WORK"
} >isola.ini
run_isola list --exclude other
sort out >all.list
[ "$(wc -l <all.list)" -eq 60 ] || fail "expected 60 tests, got $(wc -l <all.list)"

for strategy in hash slice; do
	for n in 1 3 7; do
		: >union.list
		k=1
		while [ "$k" -le "$n" ]; do
			run_isola list --exclude other --partition "$strategy:$k/$n"
			assert_rc 0
			[ ! -s err ] || fail "isola list wrote to stderr: $(cat err)"
			cat out >>union.list
			k=$((k + 1))
		done
		sort union.list >union.sorted
		# Every test once: not lost, not twice.
		cmp -s union.sorted all.list || fail "$strategy, N=$n: the shards are not the list: $(diff union.sorted all.list)"
	done
done

# slice is round-robin over the sorted names, whatever the config's order.
run_isola list --exclude other --partition slice:2/3
assert_eq "$(head -n 3 out | tr '\n' ' ')" "t02 t05 t08 "

# time: durations recorded by isola timings from a --json report; the shards cover the list.
make_test sleepy.sh 'sleep "$1"'
{
	for i in $(seq 1 8); do printf '[test s%d]\ncommand = %s/sleepy.sh 0.%d\n' "$i" "$WORK" "$i"; done
} >sleepy.ini
run_isola run --root "$ROOT" --keep none -c sleepy.ini -j4 --json sleepy.jsonl
assert_rc 0
run_isola timings -o t.txt sleepy.jsonl
assert_rc 0
assert_has t.txt '^[0-9]+\.[0-9]{6}	s8$'
[ "$(grep -c '	s' t.txt)" -eq 8 ] || fail "timings: $(cat t.txt)"
: >union.list
for k in 1 2; do
	run_isola list -c sleepy.ini --partition time:$k/2 --timings t.txt
	assert_rc 0
	cat out >>union.list
done
assert_eq "$(sort union.list | tr '\n' ' ')" "s1 s2 s3 s4 s5 s6 s7 s8 " "time: shards"
# LPT, with durations given (measured ones move with the machine's load): 8, 7, 6, 5, 4, 3, 2
# and 1 s in 2 shards go 8+5+4+1 and 7+6+3+2, 18 s each.
printf '%s\t%s\n' 8 s8 7 s7 6 s6 5 s5 4 s4 3 s3 2 s2 1 s1 >given.txt
run_isola list -c sleepy.ini --partition time:1/2 --timings given.txt
assert_eq "$(sort out | tr '\n' ' ')" "s1 s4 s5 s8 " "time:1/2 of 8..1 s"
run_isola timings nonexistent.jsonl
assert_rc 2
run_isola timings
assert_rc 2

# run: the shard's tests only, said on stderr; the same tests as list.
run_isola run --root "$ROOT" --keep none --exclude other --partition hash:2/3
assert_rc 0
assert_has err '^isola: shard hash:2/3: [0-9]+ of 60 tests$'
n=$(sed -n 's/^\([0-9]*\) passed, 0 failed$/\1/p' out)
run_isola list --exclude other --partition hash:2/3
assert_eq "$n" "$(wc -l <out)" "tests run in shard 2 of 3"

# auto: K and N from the engine; GitLab counts from 1, CircleCI from 0.
CI_NODE_INDEX=2 CI_NODE_TOTAL=3 run_isola list --exclude other --partition auto
cp out gitlab.list
run_isola list --exclude other --partition hash:2/3
cmp -s out gitlab.list || fail "auto from GitLab is not hash:2/3"
CIRCLE_NODE_INDEX=1 CIRCLE_NODE_TOTAL=3 run_isola list --exclude other --partition slice:auto -v
assert_has err '^isola: shard slice:2/3 \(from CircleCI \(CIRCLE_NODE_INDEX=1, CIRCLE_NODE_TOTAL=3\)\): 20 of 60 tests$'
JOB_COMPLETION_INDEX=6 run_isola list --exclude other --partition auto --partition-count 7
assert_rc 0
SLURM_ARRAY_TASK_ID=12 SLURM_ARRAY_TASK_MIN=10 SLURM_ARRAY_TASK_MAX=12 \
	run_isola run --root "$ROOT" --keep none --exclude other --partition auto
assert_rc 0
assert_has err '^isola: shard hash:3/3 \(from Slurm \(SLURM_ARRAY_TASK_ID=12 of 10-12\)\): [0-9]+ of 60 tests$'

# More shards than tests: an empty shard is not an error (one of 8 CI jobs with nothing to do).
run_isola run --root "$ROOT" --keep none -k other --partition slice:5/8
assert_rc 0
assert_has err '^isola: shard slice:5/8: 0 of 1 tests$'
assert_root_empty

# Bad values: exit 2, one line that names the value, no run directory.
bad() { # bad EXPECTED-REGEX ARGS...
	re=$1
	shift
	run_isola run --root "$ROOT" "$@"
	assert_rc 2
	assert_has err "$re"
	[ "$(wc -l <err)" -eq 1 ] || fail "more than one line for $*: $(cat err)"
	assert_not_has out 'PASS'
	assert_root_empty
}
bad "^isola: invalid value 'hash:0/3' for --partition" --partition hash:0/3
bad "^isola: invalid value 'hash:4/3' for --partition: shard 4 of 3 does not exist" --partition hash:4/3
bad "^isola: invalid value 'hash:1/0' for --partition" --partition hash:1/0
bad "^isola: invalid value 'size:1/2' for --partition: unknown strategy 'size'" --partition size:1/2
bad "^isola: --partition time:K/N needs recorded durations, and they are off here" --partition time:1/2
printf '0.5 t01\n' >notimings.txt
bad "^isola: notimings\.txt:1: not a line of a timings file" --partition time:1/2 --timings notimings.txt
bad "^isola: --partition time:K/N needs the recorded durations: --timings FILE" --partition time:1/2 --timings nowhere
bad "^isola: invalid value 'hash' for --partition" --partition hash
bad "^isola: --partition auto: no CI engine's shard index is set .*pass --partition hash:K/N$" --partition auto
bad "^isola: --partition-count is the N of --partition auto" --partition hash:1/2 --partition-count 3
# (Exported and unset around each: an assignment before a function call may or may not last.)
export CI_NODE_INDEX=1 CI_NODE_TOTAL=2 CIRCLE_NODE_INDEX=1 CIRCLE_NODE_TOTAL=2
bad "^isola: --partition auto: GitLab .* says shard 1 of 2, but CircleCI .* says 2 of 2" --partition auto
unset CIRCLE_NODE_INDEX CIRCLE_NODE_TOTAL
export CI_NODE_INDEX=3
bad "out of range" --partition auto
unset CI_NODE_INDEX CI_NODE_TOTAL
export JOB_COMPLETION_INDEX=0
bad "pass --partition-count N or set ISOLA_PARTITION_COUNT" --partition auto
unset JOB_COMPLETION_INDEX
run_isola exec --partition hash:1/2 -- true
assert_rc 125
assert_has err "option '--partition' is for isola run, not isola exec"
assert_no_procs

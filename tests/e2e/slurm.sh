#!/bin/sh
# SPDX-License-Identifier: MIT
# Sharding over a real engine: a one-node Slurm cluster (scripts/slurm-cluster: Debian's
# slurm-wlm and munge, everything in this test's directory) runs the Slurm recipe
# (examples/sharding/slurm-array.sh), an array job of 4 tasks each running
# `isola run --partition auto` on the example suite; `isola merge` of their reports equals a
# single-machine run test for test. Then an array whose task 2 is cancelled while it runs: the
# merge fails and names that shard's tests. Skips (77) where the machine cannot run Slurm.
. "$(dirname "$0")/lib.sh"

CLUSTER=$WORK/slurm
SUITE=$WORK/racy
stop_cluster() {
	"$ISOLA_SOURCE_DIR/scripts/slurm-cluster" stop "$CLUSTER" >/dev/null 2>&1 || true
}
trap 'stop_cluster; cleanup_work' EXIT

set +e
conf=$("$ISOLA_SOURCE_DIR/scripts/slurm-cluster" start "$CLUSTER" 2>"$WORK/cluster.err")
rc=$?
set -e
if [ $rc -eq 77 ]; then
	echo "SKIP: $(cat "$WORK/cluster.err")"
	exit 77
fi
[ $rc -eq 0 ] || fail "the cluster did not start: $(cat "$WORK/cluster.err")"
export SLURM_CONF="$conf"
PATH=$PATH:/usr/sbin

cp -R "$ISOLA_SOURCE_DIR/examples/racy" "$SUITE"

# One machine, the reference.
(cd "$SUITE" && "$ISOLA_BIN" run --root "$ROOT" --keep none -j4 --json "$WORK/single.jsonl") \
	>single.out 2>&1 || fail "the single-machine run failed: $(cat single.out)"

# outcomes FILE: "NAME OUTCOME" of each test's last attempt, sorted.
outcomes() {
	python3 - "$1" <<-'EOF'
	import json, sys
	last = {}
	for line in open(sys.argv[1]):
	    ev = json.loads(line)
	    if ev["event"] == "test_end" and ev["attempt"] >= last.get(ev["test"], (0, ""))[0]:
	        last[ev["test"]] = (ev["attempt"], ev["outcome"])
	for name in sorted(last):
	    print(name, last[name][1])
	EOF
}

# The array task: the recipe, told where the suite, isola and the results are. HOLD=K makes
# task K wait first (to be cancelled).
mkdir -p "$WORK/shards" "$WORK/lost"
cat >"$WORK/task.sh" <<EOF
#!/bin/sh
if [ "\${HOLD:-0}" = "\$SLURM_ARRAY_TASK_ID" ]; then sleep 300; fi
export SUITE_DIR="$SUITE" ISOLA="$ISOLA_BIN" ISOLA_ARGS="--root $ROOT --keep none -j2"
exec "$ISOLA_SOURCE_DIR/examples/sharding/slurm-array.sh"
EOF
chmod +x "$WORK/task.sh"

# wait_array JOBID: until no task of it is pending or running (2 minutes at most).
wait_array() {
	i=0
	while squeue -h -j "$1" 2>/dev/null | grep -q .; do
		i=$((i + 1))
		[ $i -lt 1200 ] || fail "array $1 did not finish: $(squeue 2>&1)"
		sleep 0.1
	done
}

job=$(RESULTS_DIR=$WORK/shards sbatch --parsable --array=1-4 -o "$WORK/task-%a.out" "$WORK/task.sh") ||
	fail "sbatch failed"
wait_array "$job"
for k in 1 2 3 4; do
	[ -s "$WORK/shards/shard-$k.jsonl" ] || fail "task $k wrote no report: $(cat "$WORK/task-$k.out")"
	assert_has "$WORK/task-$k.out" "^isola: shard hash:$k/4 \\(from Slurm \\(SLURM_ARRAY_TASK_ID=$k of 1-4\\)\\)"
done
(cd "$SUITE" && "$ISOLA_BIN" merge --json "$WORK/merged.jsonl" --junit "$WORK/merged.xml" \
	"$WORK"/shards/shard-1.jsonl "$WORK"/shards/shard-2.jsonl "$WORK"/shards/shard-3.jsonl \
	"$WORK"/shards/shard-4.jsonl) \
	>merge.out 2>&1 || fail "the merge failed: $(cat merge.out)"
outcomes single.jsonl >single.list
outcomes merged.jsonl >merged.list
[ "$(wc -l <single.list)" -eq 8 ] || fail "the single run has $(wc -l <single.list) results"
cmp -s single.list merged.list || fail "merged outcomes differ: $(diff single.list merged.list)"

# A lost shard: task 2 holds, and is cancelled while the others finish.
job=$(HOLD=2 RESULTS_DIR=$WORK/lost sbatch --parsable --array=1-4 -o "$WORK/lost-%a.out" "$WORK/task.sh") ||
	fail "sbatch failed"
i=0
until [ -s "$WORK/lost/shard-1.jsonl" ] && [ -s "$WORK/lost/shard-3.jsonl" ] &&
	[ -s "$WORK/lost/shard-4.jsonl" ] &&
	! squeue -h -j "${job}_1,${job}_3,${job}_4" 2>/dev/null | grep -q .; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "tasks 1, 3 and 4 did not finish: $(squeue 2>&1)"
	sleep 0.1
done
scancel "${job}_2"
wait_array "$job"
set +e
(cd "$SUITE" && "$ISOLA_BIN" merge "$WORK"/lost/shard-1.jsonl "$WORK"/lost/shard-3.jsonl \
	"$WORK"/lost/shard-4.jsonl) \
	>lost.out 2>lost.err
rc=$?
set -e
assert_eq "$rc" 1 "the merge of a lost shard"
assert_has lost.err '^  shard hash:2/4$'
(cd "$SUITE" && "$ISOLA_BIN" list --partition hash:2/4) | sort >lost.expected
sed -n 's/^  \([a-z_]*\.sh\)$/\1/p' lost.err | sort >lost.named
[ -s lost.expected ] || fail "shard 2 of 4 has no test: pick another split"
cmp -s lost.expected lost.named || fail "the lost shard's tests: $(diff lost.expected lost.named)"

stop_cluster
assert_no_procs

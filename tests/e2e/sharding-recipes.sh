#!/bin/sh
# SPDX-License-Identifier: MIT
# The sharding recipes (examples/sharding/, shown in doc/sharding.md): the doc shows each file
# exactly; the YAML parses, and each recipe's N agrees with itself (GitHub's matrix and its
# --partition, GitLab's parallel:, the Indexed Job's completions and --partition-count); the
# Kubernetes pods' command, run here for each index with $(JOB_COMPLETION_INDEX) expanded as
# Kubernetes does, makes shards that isola merge joins into the whole suite.
. "$(dirname "$0")/lib.sh"

R=$ISOLA_SOURCE_DIR/examples/sharding
python3 - "$R" "$ISOLA_SOURCE_DIR/doc/sharding.md" >check.out 2>&1 <<-'EOF' || fail "recipes: $(cat check.out)"
import os, re, sys
import yaml

d, doc = sys.argv[1], open(sys.argv[2]).read()
bad = []
for f in sorted(os.listdir(d)):
    text = open(os.path.join(d, f)).read()
    if ("```yaml\n" + text + "```" not in doc) and ("```sh\n" + text + "```" not in doc):
        bad.append("doc/sharding.md does not show %s as it is" % f)

gh = yaml.safe_load(open(os.path.join(d, "github-actions.yml")))
shards = gh["jobs"]["shard"]["strategy"]["matrix"]["shard"]
runs = [s["run"] for s in gh["jobs"]["shard"]["steps"] if "run" in s]
part = [r for r in runs if "--partition" in r]
if shards != list(range(1, len(shards) + 1)):
    bad.append("github: the matrix is not 1..N: %r" % shards)
if not part or "hash:${{ matrix.shard }}/%d " % len(shards) not in part[0]:
    bad.append("github: --partition does not use the matrix's N: %r" % part)
if gh["jobs"]["merge"]["needs"] != "shard" or gh["jobs"]["merge"].get("if") != "always()":
    bad.append("github: the merge job must wait for every shard, failed or not")
if not any("isola merge" in s.get("run", "") for s in gh["jobs"]["merge"]["steps"]):
    bad.append("github: no isola merge")

gl = yaml.safe_load(open(os.path.join(d, "gitlab-ci.yml")))
if not isinstance(gl["test"]["parallel"], int) or gl["test"]["parallel"] < 2:
    bad.append("gitlab: parallel: is not a number of jobs")
if "--partition auto" not in " ".join(gl["test"]["script"]):
    bad.append("gitlab: the test job does not use --partition auto")
if gl["merge"].get("when") != "always" or gl["merge"].get("needs") != ["test"]:
    bad.append("gitlab: the merge job must wait for every shard, failed or not")

job = yaml.safe_load(open(os.path.join(d, "k8s-indexed-job.yaml")))
spec = job["spec"]
c = spec["template"]["spec"]["containers"][0]
argv = c["command"] + c["args"]
if job["apiVersion"] != "batch/v1" or job["kind"] != "Job" or spec["completionMode"] != "Indexed":
    bad.append("k8s: not an Indexed Job of batch/v1")
if "--partition-count" not in argv or int(argv[argv.index("--partition-count") + 1]) != spec["completions"]:
    bad.append("k8s: --partition-count is not the number of completions")
if spec["template"]["spec"]["restartPolicy"] not in ("Never", "OnFailure"):
    bad.append("k8s: a Job's pods must not restart Always")
# The pods' argv, one line per index, for the shell below to run.
with open("pods.argv", "w") as out:
    for i in range(spec["completions"]):
        a = [re.sub(r"\$\(JOB_COMPLETION_INDEX\)", str(i), x) for x in argv]
        a = [x.replace("/results/", "RESULTS/") for x in a]
        out.write("\t".join(a) + "\n")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF

# Each pod of the Indexed Job, here: the example suite, JOB_COMPLETION_INDEX as Kubernetes sets it.
cp -R "$ISOLA_SOURCE_DIR/examples/racy" suite
mkdir results
i=0
while IFS= read -r line; do
	# shellcheck disable=SC2086 # the argv is tab-separated, with no spaces in it
	set -- $(printf '%s' "$line" | tr '\t' ' ' | sed "s|RESULTS/|$WORK/results/|g")
	shift # "isola"
	(cd suite && JOB_COMPLETION_INDEX=$i "$ISOLA_BIN" "$@" --root "$ROOT" --keep none -j2) \
		>"pod-$i.out" 2>&1 || fail "pod $i: $(cat "pod-$i.out")"
	assert_has "pod-$i.out" "^isola: shard hash:$((i + 1))/4 \\(from Kubernetes \\(JOB_COMPLETION_INDEX=$i, --partition-count=4\\)\\)"
	i=$((i + 1))
done <pods.argv
assert_eq "$i" 4 "pods"
(cd suite && "$ISOLA_BIN" merge "$WORK"/results/shard-0.jsonl "$WORK"/results/shard-1.jsonl \
	"$WORK"/results/shard-2.jsonl "$WORK"/results/shard-3.jsonl) >merge.out 2>&1 ||
	fail "the merge of the pods' shards failed: $(cat merge.out)"
assert_has merge.out '^8 passed, 0 failed$'
assert_root_empty

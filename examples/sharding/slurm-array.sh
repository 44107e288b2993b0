#!/bin/sh
# SPDX-License-Identifier: MIT
# A Slurm array job: one task per shard; --partition auto reads the task's place in the array
# (SLURM_ARRAY_TASK_ID within SLURM_ARRAY_TASK_MIN..MAX). Submit it from the suite's directory,
# then merge once every task has ended, whatever its result:
#
#   job=$(sbatch --parsable slurm-array.sh)
#   sbatch --dependency=afterany:$job --wrap 'isola merge --junit results.xml shard-*.jsonl'
#
#SBATCH --job-name=isola-shards
#SBATCH --array=1-4
#SBATCH --output=shard-%a.out
set -eu
cd "${SUITE_DIR:-$SLURM_SUBMIT_DIR}"
exec "${ISOLA:-isola}" run --partition auto \
	--json "${RESULTS_DIR:-$SLURM_SUBMIT_DIR}/shard-$SLURM_ARRAY_TASK_ID.jsonl" ${ISOLA_ARGS:-}

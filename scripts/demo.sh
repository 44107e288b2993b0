#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The isola demo: run the racy example suite (examples/racy) in parallel
# without isolation, where its tests trip over each other, then under isola,
# where each test has its own sandbox and they all pass.
#
# usage: scripts/demo.sh [ISOLA]
#   ISOLA      the isola binary (default: build/isola in this repository)
#   DEMO_RUNS  runs of each kind (default 3)
#
# Exits 0 when every isola run passed. The unisolated runs are expected to
# fail; when they happen not to, that is only a warning.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
suite=$root/examples/racy
isola=${1:-$root/build/isola}
[[ $isola == /* ]] || isola=$PWD/$isola
runs=${DEMO_RUNS:-3}

if [[ ! $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "demo: DEMO_RUNS wants a positive number, not '$runs'" >&2
	exit 2
fi
if [[ ! -f $isola || ! -x $isola ]]; then
	echo "demo: cannot run '$isola': no such executable (build it with make)" >&2
	exit 2
fi

# The example's builds must not inherit the jobserver of a make that
# started us (make demo).
unset MAKEFLAGS MFLAGS MAKELEVEL

scratch=$(mktemp -d "${TMPDIR:-/tmp}/isola-demo.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Failed-test count from a log's "N passed, N failed" summary; empty if none.
failures_in() {
	sed -nE 's/^(.*[^0-9])?[0-9]+ passed, ([0-9]+) failed.*$/\2/p' "$1" | tail -n 1
}

indent() { sed 's/^./    &/' "$1"; }

# run_series KIND: runs the suite $runs times; sets failed_runs, failed_tests
run_series() {
	local kind=$1 i log rc n summary shown=0
	failed_runs=0 failed_tests=0
	for ((i = 1; i <= runs; i++)); do
		log=$scratch/$kind.$i.log
		rc=0
		case $kind in
		unisolated) "$suite/run-unisolated" -j4 >"$log" 2>&1 || rc=$? ;;
		isola) (cd -- "$suite" && "$isola" run -j4) >"$log" 2>&1 || rc=$? ;;
		esac
		n=$(failures_in "$log")
		summary=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || :)
		if ((rc == 0)); then
			echo "run $i: ${summary:-exit 0}"
			continue
		fi
		failed_runs=$((failed_runs + 1))
		failed_tests=$((failed_tests + ${n:-0}))
		if [[ $kind == isola || -z $n ]]; then
			# Not expected: show everything.
			echo "run $i: exit $rc${summary:+, $summary}"
			indent "$log"
		elif ((shown == 0)); then
			# Show the evidence once; later runs only name the failures.
			echo "run $i: $summary"
			indent "$log"
			shown=1
		else
			echo "run $i: $summary:" "$(sed -n 's/^FAIL \([^ ]*\).*/\1/p' "$log" | paste -sd ' ' -)"
		fi
	done
}

echo "== unisolated: examples/racy/run-unisolated -j4 (xargs -P4), $runs runs"
run_series unisolated
uni_runs=$failed_runs uni_tests=$failed_tests
echo
echo "== isola: cd examples/racy && isola run -j4, $runs runs"
run_series isola
iso_runs=$failed_runs iso_tests=$failed_tests

echo
printf '%-25s%d/%d runs failed (%d test failures)\n' \
	'unisolated (xargs -P4):' "$uni_runs" "$runs" "$uni_tests"
if ((iso_runs == 0)); then
	printf '%-25s%d/%d runs failed\n' 'isola run -j4:' 0 "$runs"
else
	printf '%-25s%d/%d runs failed (%d test failures)\n' \
		'isola run -j4:' "$iso_runs" "$runs" "$iso_tests"
fi

if ((uni_runs == 0)); then
	echo "demo: warning: the unisolated runs all passed; the races did not show this time" >&2
fi
((iso_runs == 0))

#!/bin/sh
# SPDX-License-Identifier: MIT
# A flaky test, deterministically: it fails about one run in five. Whether this attempt fails is
# an MD5 hash of the seed, the test's name, its run (ISOLA_ITERATION, --repeat) and its attempt
# (ISOLA_ATTEMPT, --retries): the same seed gives the same failures, on any machine.
h=$(printf '%s/%s/%s/%s' "${FLAKY_SEED:-1}" "$ISOLA_TEST" "${ISOLA_ITERATION:-1}" \
	"${ISOLA_ATTEMPT:-1}" | md5sum)
h=$((0x$(printf '%.7s' "$h")))
if [ $((h % 5)) -eq 0 ]; then
	echo "flaky: this one failed (hash $h)"
	exit 1
fi
echo "flaky: passed (hash $h)"

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 4, state persistence: the app must refuse to start while another
# instance holds its lock. The test plants a lock from a dead process as its
# fixture and, like many tests, never removes it; the app's refusal also lands
# in $HOME/.racy/history. Whatever runs after it in the same TMPDIR/HOME finds
# that state: state_first_run.sh fails if it runs after this test or at the
# same time (see there).
#
# Isolation: isola gives every test a private TMPDIR and HOME inside its
# sandbox; nothing to configure.
set -eu

lock=${TMPDIR:-/tmp}/racy-app.lock
state=$HOME/.racy

fail() { echo "state_stale_lock: $*" >&2; exit 1; }

sleep 0.05 # the fixture is set up

echo 99999 >"$lock" # no such process: a stale lock

# app start: refuse while the lock is held
mkdir -p "$state"
if [ -e "$lock" ]; then
	echo "refused: lock held by $(cat "$lock")" >>"$state/history"
else
	fail "app started although $lock was held"
fi

grep -qx 'refused: lock held by 99999' "$state/history" ||
	fail "app did not record its refusal in $state/history"
echo "state_stale_lock: ok"

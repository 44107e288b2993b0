#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Scenario 4, state persistence: the app's first run in a fresh home. The app
# keeps a lock file in $TMPDIR while it runs and a history in $HOME/.racy; a
# first run must find neither, and must leave no lock behind.
#
# Order dependent, on purpose: state_stale_lock.sh plants a lock in the same
# $TMPDIR and never removes it, and writes to $HOME/.racy. This test passes
# when it runs alone or before state_stale_lock.sh ("first" sorts before
# "stale", so a serial run passes), and fails when state_stale_lock.sh runs
# earlier or at the same time.
#
# Isolation: isola gives every test a private TMPDIR and HOME inside its
# sandbox; nothing to configure.
set -eu

lock=${TMPDIR:-/tmp}/racy-app.lock
state=$HOME/.racy

fail() { echo "state_first_run: $*" >&2; exit 1; }

[ ! -e "$lock" ] || fail "stale lock $lock left by pid $(cat "$lock")"
[ ! -e "$state" ] || fail "not a first run: $state exists: $(cat "$state/history")"

# app start: take the lock, record the run
mkdir -p "$state"
echo "$$" >"$lock"
echo "start $$" >>"$state/history"

sleep 0.25 # the app does its work

# app stop: release the lock only if it is still ours
[ "$(cat "$lock" 2>/dev/null)" = "$$" ] ||
	fail "lock $lock was taken over by pid '$(cat "$lock" 2>/dev/null)' while we ran"
rm -f "$lock"
echo "stop $$" >>"$state/history"

[ "$(cat "$state/history")" = "start $$
stop $$" ] || fail "history has foreign entries: $(cat "$state/history")"
echo "state_first_run: ok"

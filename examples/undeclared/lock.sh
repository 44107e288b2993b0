#!/bin/sh
# SPDX-License-Identifier: MIT
# Takes a lock at a fixed path in /tmp, as many tools do (a pid file, an app's lock), works a
# while and lets it go. Two of it at once: the second finds the lock taken and fails.
lock=/tmp/isola-undeclared.lock
if ! mkdir "$lock" 2>/dev/null; then
	echo "lock.sh: $lock is taken: another copy is running" >&2
	exit 1
fi
echo $$ >"$lock/pid"
sleep 1
rm -r "$lock"

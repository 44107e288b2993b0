#!/bin/sh
# SPDX-License-Identifier: MIT
# --isolate tree on every exit path: a test that times out, a run stopped by Ctrl-C (SIGINT) and
# one whose isola is killed with SIGKILL leave no tree overlay (nor any other mount of theirs)
# mounted anywhere, no process behind, and the real tree as it was.
set -eu
[ "$(id -u)" -eq 0 ] || {
	echo "SKIP: needs root (to see every namespace's mounts)"
	exit 77
}
. "$(dirname "$0")/lib.sh"

SRC=$WORK/src
mkdir -p "$SRC/obj"
echo keep >"$SRC/keep.txt"
BEFORE=$(cd "$SRC" && find . -printf '%p %y %s %m %T@\n' | sort)
assert_tree_untouched() {
	after=$(cd "$SRC" && find . -printf '%p %y %s %m %T@\n' | sort)
	[ "$after" = "$BEFORE" ] || fail "the real tree changed ($1): $after"
}
# No mount of this test's directories in any namespace, within a bounded wait (dying
# processes take their namespaces with them).
wait_no_mounts() {
	i=0
	while grep -qF -- "$WORK" /proc/[0-9]*/mountinfo 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 500 ] || fail "a mount under $WORK is left ($1): $(grep -lF -- "$WORK" /proc/[0-9]*/mountinfo 2>/dev/null)"
		sleep 0.01
	done
}

# The test writes into the tree, says it is there (outside the tree), then waits.
make_test hang.sh "echo o >'$SRC/obj/o.o'; rm '$SRC/keep.txt'; touch '$WORK/started'; sleep 300"

# A timeout.
run_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" --timeout 1s --grace 1s hang.sh
assert_rc 1
assert_has out '^TIMEOUT '
assert_has out '^    wrote 2 paths in the tree: 1 created, 1 deleted$'
wait_no_mounts timeout
wait_no_procs
assert_tree_untouched timeout
assert_root_empty

for sig in INT KILL; do
	rm -f "$WORK/started"
	start_isola run --root "$ROOT" --keep none --isolate tree --tree "$SRC" hang.sh
	wait_for "$WORK/started"
	kill -"$sig" "$ISOLA_PID"
	wait_isola
	wait_no_procs
	wait_no_mounts "SIG$sig"
	assert_tree_untouched "SIG$sig"
	"$ISOLA_BIN" clean --root "$ROOT" >/dev/null 2>&1 || true
done
echo ok

#!/bin/sh
# SPDX-License-Identifier: MIT
# isola clean removes what it locked, never what a name points at afterwards: a dead run's
# directory is swapped for the user's data right after isola has taken its lock (an LD_PRELOAD
# around flock does the swap, so the race is hit every time); the user's data survives, the
# locked directory is emptied, and isola says what happened.
. "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || { echo "SKIP: needs cc for the LD_PRELOAD"; exit 77; }
if ldd "$ISOLA_BIN" | grep -q libasan; then
	echo "SKIP: an LD_PRELOAD cannot come before a sanitized isola's runtime"
	exit 77
fi

# A dead run of isola's: made by a run killed with SIGKILL.
make_test hang.sh "touch $WORK/hang.started; sleep 300"
"$ISOLA_BIN" run --root "$ROOT" hang.sh >/dev/null 2>&1 &
pid=$!
wait_for "$WORK/hang.started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
wait_no_procs
run_dir=$(ls "$ROOT")
lock_free() { flock -n "$ROOT/$run_dir" true; }
wait_until "the dead run's lock was never let go" lock_free

# The user's data, ready to take the run directory's name.
mkdir "$WORK/data"
echo precious >"$WORK/data/file"
cat >swap.c <<EOC
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <sys/file.h>
/* Once isola holds the lock: the run directory moves away, the user's data takes its name. */
int flock(int fd, int op)
{
	static int (*real)(int, int);
	if (!real)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
	int r = real(fd, op);
	if (r == 0 && (op & LOCK_EX)) {
		rename("$ROOT/$run_dir", "$WORK/moved");
		rename("$WORK/data", "$ROOT/$run_dir");
	}
	return r;
}
EOC
cc -shared -fPIC -o swap.so swap.c -ldl
LD_PRELOAD=$WORK/swap.so run_isola clean --root "$ROOT"
assert_rc 3
assert_has err "^isola: cannot remove '$ROOT/$run_dir': it was replaced while being removed$"
assert_eq "$(cat "$ROOT/$run_dir/file")" precious "the user's file under the swapped-in name"
assert_eq "$(ls -A "$WORK/moved")" "" "the locked run directory, emptied"

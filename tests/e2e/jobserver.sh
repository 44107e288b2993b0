#!/bin/sh
# SPDX-License-Identifier: MIT
# GNU make's jobserver, make 4.3's pipe: under `make -j3`, two `+isola run` recipes side by side
# never have more than 3 tests running at once, one alone runs 3, and make's pool is whole
# afterwards; a recipe without '+' is said and runs without it; an unusable or disabled
# jobserver; what tests and isola exec are told. Concurrency is counted by the tests themselves
# (jobserver.inc); jobserver-emulated.sh serves make 4.4's fifo and the ways a run can end.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/jobserver.inc"

# count.py: run by make as a recursive recipe ('+') once the isola runs are done, it takes
# every token in make's pipe without blocking, gives them back, and prints how many there were.
cat >count.py <<'EOF'
import os, re
auth = re.findall(r"--jobserver-auth=(\d+),(\d+)", os.environ["MAKEFLAGS"])[-1]
fd = os.open("/proc/self/fd/%s" % auth[0], os.O_RDWR | os.O_NONBLOCK)
got = b""
while True:
    try:
        b = os.read(fd, 64)
    except BlockingIOError:
        break
    got += b
os.write(fd, got)
print("tokens: %d" % len(got))
EOF

cat >Makefile <<EOF
RUNS = ra rb
all: count
count: \$(RUNS)
	+@python3 count.py
ra:
	+@$ISOLA -v 'a[1-6]' >ra.out 2>ra.err
rb:
	+@$ISOLA 'b[1-6]' >rb.out 2>rb.err
one:
	+@$ISOLA -v 'a[1-3]' >one.out 2>one.err
plain:
	@$ISOLA -j2 'a[1-3]' >plain.out 2>plain.err
EOF

# --- make 4.3, pipe style: two runs side by side, never more than make -j3 ------------------
run_make() {
	set +e
	make -s -j3 "$@" >make.out 2>make.err
	RC=$?
	set -e
	[ "$RC" -eq 0 ] || { cat make.out make.err ra.err rb.err 2>/dev/null; fail "make $* failed"; } >&2
}
reset
export JS_TARGET=2
run_make
assert_has ra.out '^6 passed, 0 failed$'
assert_has rb.out '^6 passed, 0 failed$'
assert_has ra.err "^isola: jobs: up to 3, from make's jobserver \(--jobserver-auth=[0-9]+,[0-9]+, a pipe\)$"
[ "$(most)" -le 3 ] || fail "$(most) tests ran at once under make -j3"
[ "$(most)" -ge 2 ] || fail "the two runs never ran tests at the same time"
assert_has make.out '^tokens: 2$'
# The tests were told the jobserver is not theirs (their init closes every inherited fd).
assert_has "$JS_DIR/makeflags" '--jobserver-auth=[0-9]+,[0-9]+ --jobserver-auth=-2,-2$'

# One run alone takes both tokens: three tests at once, and the tokens are whole afterwards.
reset
export JS_TARGET=3
run_make RUNS=one
assert_has one.out '^3 passed, 0 failed$'
assert_eq "$(most)" 3 "tests at once, one run under make -j3"
assert_has make.out '^tokens: 2$'

# A recipe make does not know is recursive (no '+'): the fds are closed; isola says so, once,
# and runs without the jobserver.
reset
export JS_TARGET=2
run_make RUNS=plain
assert_has plain.out '^3 passed, 0 failed$'
assert_has plain.err "^isola: warning: make's jobserver \(--jobserver-auth=[0-9]+,[0-9]+\) is not open here: make passes it only to a recipe it knows is recursive \(prefix the line with '\+'\); running up to 2 tests at once without it$"
assert_eq "$(grep -c . plain.err)" 1 "one line on stderr"
assert_has make.out '^tokens: 2$'

# isola exec takes no token (it runs on its recipe's slot); its command is told the pipe is not
# its own (it never gets the fds), and gets a fifo as it is.
run_mf ' -j3 --jobserver-auth=3,4' exec -- /usr/bin/env
assert_rc 0
assert_has out '^MAKEFLAGS= -j3 --jobserver-auth=3,4 --jobserver-auth=-2,-2$'
run_mf ' -j3 --jobserver-auth=fifo:/nowhere' exec -- /usr/bin/env
assert_rc 0
assert_has out '^MAKEFLAGS= -j3 --jobserver-auth=fifo:/nowhere$'

# --- no jobserver to use --------------------------------------------------------------------
# fds that are not one pipe: said, and the run goes on with its own jobs. (One test each: it
# waits for no other.)
reset
export JS_TARGET=1
set +e
env MAKEFLAGS=' -j3 --jobserver-auth=7,8' "$ISOLA_BIN" run --root "$ROOT" a1 7</dev/null 8>/dev/null >out 2>err
RC=$?
set -e
assert_rc 0
assert_has err "^isola: warning: --jobserver-auth=7,8 in MAKEFLAGS does not name the two ends of one pipe here"
# An auth isola cannot read: the same.
run_mf '-j3 --jobserver-auth=what' run --root "$ROOT" a1
assert_rc 0
assert_has err "^isola: warning: MAKEFLAGS: cannot read --jobserver-auth=what \(expected R,W or fifo:PATH"
# Off: --no-jobserver or ISOLA_JOBSERVER=off, and no warning.
run_mf '-j3 --jobserver-auth=7,8' run --root "$ROOT" --no-jobserver a1
assert_rc 0
assert_eq "$(cat err)" "" "stderr with --no-jobserver"
export ISOLA_JOBSERVER=off
run_mf '-j3 --jobserver-auth=7,8' run --root "$ROOT" a1
unset ISOLA_JOBSERVER
assert_rc 0
assert_eq "$(cat err)" "" "stderr with ISOLA_JOBSERVER=off"
export ISOLA_JOBSERVER=maybe
run_isola run --root "$ROOT" a1
unset ISOLA_JOBSERVER
assert_rc 2
assert_has err "^isola: invalid ISOLA_JOBSERVER 'maybe' \(expected on or off\)$"
# Disabled by make (-2,-2, what isola gives its tests): silent, -v says so.
run_mf '-j3 --jobserver-auth=-2,-2' run --root "$ROOT" -v -j1 a1
assert_rc 0
assert_has err "^isola: make's jobserver is disabled for this process \(--jobserver-auth=-2,-2\): 1 job of isola's own$"
assert_not_has err warning

assert_root_empty
assert_no_procs

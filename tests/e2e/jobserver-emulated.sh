#!/bin/sh
# SPDX-License-Identifier: MIT
# GNU make's jobserver served by a python3 jobserver of our own (jobserver.inc): make 4.4's fifo
# (two runs side by side never run more than its 3 slots; one alone runs 3; -j2 caps it), and
# every token given back, byte for byte, after a test killed by SIGKILL, a timeout, Ctrl-C,
# SIGTERM and --fail-fast --stop-running.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/jobserver.inc"

cat >both.sh <<EOF
#!/bin/sh
$ISOLA 'a[1-6]' >ra.out 2>ra.err &
$ISOLA 'b[1-6]' >rb.out 2>rb.err &
wait
EOF
chmod +x both.sh

# fifo: two runs at once, never more than 3 tests; the same token comes back. (As under make
# -j3, where the two recipes hold make's own slot and a token, one token is left in the pool.)
reset
export JS_TOKENS=x JS_TARGET=2
serve fifo -- ./both.sh
unset JS_TOKENS
assert_rc 0
assert_has ra.out '^6 passed, 0 failed$'
assert_has rb.out '^6 passed, 0 failed$'
[ "$(most)" -le 3 ] || fail "$(most) tests ran at once from a fifo jobserver of 3"
[ "$(most)" -ge 2 ] || fail "the two runs never ran tests at the same time"
assert_has js.out '^pool: x$'
# A make in a test joins the same fifo: MAKEFLAGS passes as it was.
assert_has "$JS_DIR/makeflags" "^ -j3 --jobserver-auth=fifo:$JS_DIR/fifo$"
rm "$JS_DIR/fifo"

# fifo, one run: -v says where its jobs come from, and it runs three at once.
reset
export JS_TARGET=3
serve fifo -- $ISOLA -v 'a[1-3]'
assert_rc 0
assert_eq "$(most)" 3 "tests at once, one run on a fifo jobserver of 3"
assert_has js.err "^isola: jobs: up to 3, from make's jobserver \(--jobserver-auth=fifo:$JS_DIR/fifo\)$"
assert_has js.out '^pool: xy$'
rm "$JS_DIR/fifo"

# -j is a cap on top: -j2 never runs three.
reset
export JS_TARGET=2
serve fifo -- $ISOLA -j2 'a[1-3]'
assert_rc 0
assert_eq "$(most)" 2 "tests at once with -j2 on a jobserver of 3"
assert_has js.out '^pool: xy$'
rm "$JS_DIR/fifo"

# Tokens come back from a test killed by SIGKILL and from one that timed out, and the tests
# after them run on them again.
reset
export JS_TARGET=3
serve pipe -- $ISOLA --timeout 8s --grace 1s k1 t1 p1 p2 p3 p4
assert_rc 1
assert_eq "$(most)" 3 "tests at once, k1 t1 p1"
assert_has js.out '^pool: xy$'
assert_has js.out '^CRASH .* k1 \(killed by SIGKILL\)$'
assert_has js.out '^TIMEOUT .* t1 '
assert_has js.out '^4 passed, 2 failed$'

# Ctrl-C, or SIGTERM, while three tests hold two tokens: isola stops them and gives both back.
for sig in INT:130 TERM:143; do
	reset
	export JS_SIGNAL="3:${sig%:*}"
	serve pipe -- $ISOLA --grace 1s h1 h2 h3
	unset JS_SIGNAL
	assert_rc "${sig#*:}"
	assert_has js.out '^pool: xy$'
	assert_eq "$(most)" 3 "tests at once before SIG${sig%:*}"
done

# --fail-fast --stop-running: the failure stops the tests beside it; the tokens come back.
reset
serve pipe -- $ISOLA --fail-fast --stop-running --grace 1s h1 h2 f1
assert_rc 1
assert_has js.out '^FAIL .* f1 '
assert_has js.out '^pool: xy$'
assert_eq "$(most)" 3 "tests at once before the failure"

assert_root_empty
assert_no_procs

#!/bin/sh
# SPDX-License-Identifier: MIT
# A resource tree of 100,000 entries: staged and removed under every strategy, seen whole by
# the test, private to it. With overlay the staging time does not grow with the tree. Copying it
# takes seconds, which shows that staging runs beside the event loop: a neighbour's timeout is
# enforced meanwhile, and Ctrl-C during staging starts nothing.
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/stage-common.inc"

# On tmpfs where there is one: creating 100,000 files is slow on some disks, and this test is
# about isola, not the disk. Removed at the end like WORK.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/isola-e2e-big.XXXXXX)
	cleanup_shm() {
		rm -rf "$SHM"
		cleanup_work
	}
	trap cleanup_shm EXIT
	ROOT="$SHM/root"
	mkdir "$ROOT"
	cd "$SHM"
	fi
mkdir big
d=0
while [ $d -lt 100 ]; do
	mkdir "big/d$d"
	d=$((d + 1))
done
# 100 directories of 999 files each, plus the directories and the top: 100,001 entries.
(cd big && for dir in d*; do (cd "$dir" && seq 1 999 | xargs touch); done)
echo original >big/d7/42
want=$(find big | wc -l)
[ "$want" -ge 100000 ] || fail "the fixture has only $want entries"

printf '#!/bin/sh\n%s\n' "[ \"\$(find big | wc -l)\" = $want ] || exit 1; [ \"\$(cat big/d7/42)\" = original ] || exit 1; echo mine >big/d7/42; rm -r big/d9; mkdir big/new" >count.sh
chmod +x count.sh
for how in overlay copy; do
	run_isola run --root "$ROOT" -v --timeout 100s --stage "$how" --copy big count.sh
	assert_rc 0
	assert_has "$WORK/out" "^    staged by $how in "
	assert_eq "$(cat big/d7/42)" original "--stage $how"
	[ -d big/d9 ] && [ ! -e big/new ] || fail "the original tree changed (--stage $how)"
	assert_root_empty
done

# Without worker threads everything is staged in the event loop: slower, the same result.
ISOLA_TEST_NO_WORKERS=1 run_isola run --root "$ROOT" -v --timeout 100s --stage copy --copy big count.sh
assert_rc 0
assert_eq "$(cat big/d7/42)" original "without workers"
assert_root_empty

# Staging is on a worker thread: while the tree is copied for `check`, the loop times out
# `slow` (no resources) and reports it. check passes only if that report is out when it starts.
printf '#!/bin/sh\nsleep 60\n' >slow.sh
printf '#!/bin/sh\n%s\n' "[ -f big/d7/42 ] && grep -q '^TIMEOUT .* slow (timed out' '$WORK/out'" >check.sh
chmod +x slow.sh check.sh
cat >order.ini <<'EOF2'
[suite]
stage = copy
timeout = 100s
grace = 0.05s
[test slow]
command = ./slow.sh
timeout = 0.05s
[test check]
command = ./check.sh
copy = big
EOF2
run_isola run --root "$ROOT" -j2 --keep none --config order.ini
assert_rc 1
assert_has "$WORK/out" '^TIMEOUT .* slow \(timed out'
assert_has "$WORK/out" '^PASS .* check$'
assert_root_empty

# Ctrl-C while a test is being staged: it never starts, it is reported as interrupted, and its
# half-made sandbox goes (--keep none) with nothing left running.
printf '#!/bin/sh\ntouch "%s/mark.ran"\n' "$WORK" >mark.sh
chmod +x mark.sh
"$ISOLA_BIN" run --root "$ROOT" -j1 --keep none --stage copy --copy big mark.sh >"$WORK/out" 2>&1 &
pid=$!
sandbox_made() { ls -d "$ROOT"/isola-*/1-* >/dev/null 2>&1; }
wait_until "the sandbox of mark.sh never appeared" sandbox_made
# SIGUSR1 lists it as being staged.
kill -USR1 "$pid"
wait_until "SIGUSR1 did not list mark.sh as being staged" \
	grep -q '^  slot 0 .*  mark\.sh  (staging)$' "$WORK/out"
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 130 "exit status after SIGINT during staging"
assert_has "$WORK/out" '^ERROR +[0-9.]+s  mark\.sh \(interrupted before it started\)$'
[ ! -e "$WORK/mark.ran" ] || fail "mark.sh ran although isola was interrupted while staging it"
assert_no_procs
assert_root_empty
assert_no_mounts

# The copy under way is cancelled, not waited for: the half-made sandbox, kept as evidence of
# an interrupted test, holds only part of the tree.
"$ISOLA_BIN" run --root "$ROOT" -j1 --keep failed --stage copy --copy big mark.sh >"$WORK/out" 2>&1 &
pid=$!
copy_going() { [ "$(find "$ROOT"/isola-*/1-*/big 2>/dev/null | head -n 1000 | wc -l)" -ge 1000 ]; }
wait_until "the copy for mark.sh never got going" copy_going
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
assert_eq "$rc" 130 "exit status after SIGINT during a copy"
assert_has "$WORK/out" '^ERROR +[0-9.]+s  mark\.sh \(interrupted before it started\)$'
copied=$(find "$ROOT"/isola-*/1-*/big | wc -l)
[ "$copied" -lt "$want" ] || fail "the copy ran to the end ($copied of $want entries) after Ctrl-C"
[ ! -e "$WORK/mark.ran" ] || fail "mark.sh ran although isola was interrupted while staging it"
run_isola clean --root "$ROOT"
assert_root_empty
assert_no_procs

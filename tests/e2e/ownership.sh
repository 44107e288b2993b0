#!/bin/sh
# SPDX-License-Identifier: MIT
# Process ownership: every way of leaving processes behind that defeated the environment mark
# (ownership.inc), at -j1, -j2, -j3 and -j8, ten runs each, half of them with more than 256 KiB
# of environment: the leaker, and only the leaker, is charged; nothing survives; the sandboxes
# go (an unmarked daemon writing into its sandbox no longer makes removal fail).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/ownership.inc"
make_ownership_tests

big=$(head -c 100000 /dev/zero | tr '\0' x)
for j in 1 2 3 8; do
	r=1
	while [ $r -le 10 ]; do
		if [ $((r % 2)) -eq 0 ]; then
			set +e
			BIG1=$big BIG2=$big BIG3=$big "$ISOLA_BIN" run --root "$ROOT" --keep none \
				--leak fail -j$j $LEAKERS $CLEAN >"$WORK/out" 2>"$WORK/err"
			RC=$?
			set -e
		else
			run_isola run --root "$ROOT" --keep none --leak fail -j$j $LEAKERS $CLEAN
		fi
		assert_rc 1
		assert_charged "-j$j, run $r"
		r=$((r + 1))
	done
done

# -v says what owned the processes; a pid namespace shows the test its own pids only.
make_test pid.sh 'echo "pid $$"; set -- /proc/[0-9]*; echo "visible $#"'
run_isola run --root "$ROOT" -v --keep all pid.sh
assert_rc 0
if grep -q 'owned by a pid namespace' out; then
	# The shell is pid 2 (the init is 1), and they are all it sees.
	assert_eq "$(grep '^pid ' "$(ls "$ROOT"/isola-*/1-*.log)")" "pid 2"
	assert_eq "$(grep '^visible ' "$(ls "$ROOT"/isola-*/1-*.log)")" "visible 2"
else
	assert_has out '^    processes owned by isola.s init as a subreaper'
	assert_has out '^    not owned better: '
fi
assert_has out '\(cpu [0-9.]+m?s, peak [0-9]+ KiB\)$'
run_isola clean --root "$ROOT"

# A test that changes its init's mounts (root may mount without a mount plan of isola's) does
# not hand them on: the next test of the slot gets a fresh init. Nothing reaches this namespace.
if [ "$(id -u)" -eq 0 ] && grep -q 'owned by a pid namespace' out; then
	mkdir "$WORK/mnt"
	make_test mounts.sh "mount -t tmpfs isola-e2e $WORK/mnt && touch $WORK/mnt/f"
	make_test sees.sh "[ ! -e $WORK/mnt/f ]"
	run_isola run --root "$ROOT" -j1 --keep none mounts.sh sees.sh
	assert_rc 0
	assert_has out '^PASS +[0-9.]+s  mounts\.sh$'
	assert_has out '^PASS +[0-9.]+s  sees\.sh$'
	assert_not_has /proc/self/mountinfo "$WORK/mnt"
fi

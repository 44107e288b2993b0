#!/bin/sh
# SPDX-License-Identifier: MIT
# Process ownership for an ordinary user: in a pid namespace (through a user namespace) and,
# with user namespaces disabled (ISOLA_TEST_NO_USERNS), in the subreaper fallback, which -v
# names with its reason. The leakers of ownership.inc plus a setgid daemon (its environment is
# unreadable to its own user, as ssh-agent's is), at -j1, -j2, -j3 and -j8, ten runs each, are
# charged exactly and nothing survives, also when isola is killed. Needs root to make the
# user's files.
set -eu
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || {
	echo "SKIP: needs root and setpriv (util-linux) to run isola as an ordinary user"
	exit 77
}
. "$(dirname "$0")/lib.sh"

UID_TEST=4243
GID_SETGID=4244
# The user's own directory ($WORK is root's, 0700), removed at the end.
make_user_dir own
mkdir "$UDIR/root"

# The leakers live in the user's directory: $WORK there for ownership.inc and assert_no_procs.
MYWORK=$WORK
WORK=$UDIR
. "$E2E_DIR/ownership.inc"
make_ownership_tests
# A setgid program the user may run: as such it is not dumpable, its environ unreadable.
cp "$(command -v sleep)" "$UDIR/sgsleep"
make_test sgid.sh "dir=$UDIR"'; setsid "$dir/sgsleep" 300 </dev/null >/dev/null 2>&1 & sleep 0.05'
chown -R "$UID_TEST:$UID_TEST" "$UDIR"
chown "root:$GID_SETGID" "$UDIR/sgsleep"
chmod 2755 "$UDIR/sgsleep"
LEAKERS="$LEAKERS sgid.sh"
WORK=$MYWORK

# assert_no_procs and assert_root_empty, for the user's directory.
user_clean() {
	SAVED=$WORK
	WORK=$UDIR ROOT=$UDIR/root
	assert_no_procs
	assert_root_empty
	WORK=$SAVED ROOT=$SAVED/root
}

for mode in "" ISOLA_TEST_NO_USERNS=1; do
	for j in 1 2 3 8; do
		r=1
		while [ $r -le 10 ]; do
			as_user env $mode ./isola run --root "$UDIR/root" --keep none --leak fail -v -j$j \
				$LEAKERS $CLEAN
			assert_rc 1
			for t in $LEAKERS; do
				grep -Eq "^LEAK +[0-9.]+s  ${t%.sh}\\.sh \\(left 1 process behind\\)$" out ||
					{ cat out err; fail "${mode:-userns} -j$j: $t was not charged with its 1 process"; }
			done
			for t in $CLEAN; do
				grep -Eq "^PASS +[0-9.]+s  ${t%.sh}\\.sh$" out ||
					{ cat out err; fail "${mode:-userns} -j$j: $t was charged or failed"; }
			done
			assert_eq "$(tail -n 1 out)" "4 passed, 6 failed"
			user_clean
			r=$((r + 1))
		done
	done
	if [ -n "$mode" ]; then
		assert_has out '^    processes owned by isola.s init as a subreaper \(cpu '
		assert_has out '^    not owned better: .*user namespaces are disabled \(ISOLA_TEST_NO_USERNS\)'
	elif grep -q 'owned by a pid namespace' out; then
		assert_not_has out 'not owned better'
	else
		echo "note: no pid namespace for an ordinary user here: only the fallback is tested"
	fi
done

# Killed with SIGKILL, as an ordinary user: nothing survives, in either mode.
make_test kill.sh "lurk=$UDIR/lurk"'; setsid env -i "$lurk" </dev/null >/dev/null 2>&1 & touch "$1"; sleep 300'
cp kill.sh "$UDIR/" && chown "$UID_TEST" "$UDIR/kill.sh"
for mode in "" ISOLA_TEST_NO_USERNS=1; do
	rm -f "$UDIR/started"
	printf '[test kill.sh]\ncommand = %s/kill.sh %s/started\n' "$UDIR" "$UDIR" >"$UDIR/kill.ini"
	(cd "$UDIR" && exec setpriv --reuid="$UID_TEST" --regid="$UID_TEST" --clear-groups \
		env $mode ./isola run --root "$UDIR/root" --config kill.ini) >/dev/null 2>&1 &
	pid=$!
	wait_for "$UDIR/started"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	SAVED=$WORK
	WORK=$UDIR
	wait_no_procs
	WORK=$SAVED
done
